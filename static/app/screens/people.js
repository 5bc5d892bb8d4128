// The people in a household (people.js at the app's top draws them): opened from
// the caseload, or from an open visit and back to it.

import { openPeople } from "../people.js";
import { nav } from "./nav.js";
import { $, showScreen, syncIfOnline } from "./ui.js";

/** fromVisit: {draft, isNew} of the visit to go back to (its answers kept). */
export async function showPeople(householdId, { fromVisit = null } = {}) {
  const onClose = fromVisit
    ? () => nav.showVisit(fromVisit.draft, { isNew: fromVisit.isNew })
    : async () => { await nav.renderList(); showScreen("list"); $("main").focus(); syncIfOnline(); };
  showScreen("people");
  await openPeople($("people-body"), householdId, {
    onClose, closeText: fromVisit ? "Back to the visit" : "Back to list",
  });
}
