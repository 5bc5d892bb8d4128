// The visit screen's live flags: what the rules (flags.js) say about the visit as
// typed, with the team's flags the device does not raise itself, what answers each
// (answered.js), and the follow-through panel of a submitted visit (followup.js).
// Also what the rules need from the vault for one household. The visit screen
// (visit.js) owns the open visit and passes it in; this module only remembers
// what it drew last, so it draws again only when something changed.

import { currentBootstrap } from "../session.js";
import {
  listHouseholds, getHousehold, listVisits, concernsFor, listPersons, listConcerns, readServerCopy,
} from "../caseload.js";
import { flagsFor, serverOnlyFlags, SEVERITY_WORDS } from "../flags.js";
import { buildContext } from "../rules/context.js";
import { flagAnswers } from "../answered.js";
import { readAllFollowups, recordFollowup, flagChoices, flagAnswerNote, renderFollowThrough } from "../followup.js";
import { listAlerts, alertsForRules } from "../alerts.js";
import { householdWithParents } from "../entities.js";
import { withVisitFacts } from "../visitfacts.js";
import { renderFlagsSummary } from "../formbar.js";
import { el } from "../dom.js";
import { $, syncIfOnline } from "./ui.js";

// What the form and the live flags need from the vault for one household:
// the household (members with parental responsibility from the person
// records), every household, person and visit the device holds, and the
// concerns about people linked to it.
export async function rulesInputFor(householdId) {
  const [stored, allHouseholds, persons, visits, allConcerns, followups] = await Promise.all([
    getHousehold(householdId), listHouseholds(), listPersons(), listVisits(), listConcerns(),
    readAllFollowups()]);
  const household = householdWithParents(stored || { id: householdId, members: [] }, persons);
  const concerns = await concernsFor(household);
  const alerts = alertsForRules(await listAlerts(), householdId, currentBootstrap()?.user);
  // The bank holidays the server counts working days with (bootstrap's calendar).
  const bankHolidays = currentBootstrap()?.calendar?.bank_holidays || [];
  return { household, allHouseholds, persons, concerns, allConcerns, visits, alerts, bankHolidays, followups };
}

// The flags the server stored for this checklist at its last evaluation, as the
// last pull brought them ([] for a visit the server has not seen).
export async function serverFlagsFor(checklistId) {
  const copy = await readServerCopy(checklistId);
  return Array.isArray(copy?.flags) ? copy.flags : [];
}

let shownFlags = "";

/**
 * Draw the flags of visit (null: none open, hide them). stillOpen(visit) says
 * whether it is still the open visit, for what finishes after an await.
 */
export function renderFlags(visit, { stillOpen } = {}) {
  const section = $("form-flags");
  if (!visit) {
    section.hidden = true;
    $("flags-compact").hidden = true;
    shownFlags = "";
    return;
  }
  const { form, draft, template, serverFlags } = visit;
  // What S2 and S3 say counts at once, before a save records it (visitfacts.js).
  const rulesInput = withTypedFacts(visit.rulesInput, form.answers(), draft.id);
  const context = buildContext({
    visit: { ...draft, answers: form.answers() }, household: rulesInput.household, households: rulesInput.allHouseholds, persons: rulesInput.persons,
    concerns: rulesInput.allConcerns, history: rulesInput.visits, alerts: rulesInput.alerts,
    bankHolidays: rulesInput.bankHolidays, followups: rulesInput.followups,
  });
  const flags = flagsFor(template, context);
  // What answers each flag (an S8 action or referral naming it, a response recorded since): answered.js.
  const answers = flagAnswers(flags, context.checklist);
  // The team's records may hold what this device does not: those flags are shown
  // too, after the tablet's own, and say where they come from in words.
  const fromTeam = serverOnlyFlags(serverFlags, flags);
  const key = JSON.stringify([flags, answers, context.checklist.followups, fromTeam]);
  if (key === shownFlags) return;
  shownFlags = key;
  form.setFlagChoices(flagChoices(flags));
  const item = (flag, { team = false, answer = null } = {}) => el("li", {
    class: `flag severity-${flag.severity}${team ? " from-team" : ""}`, "data-rule": flag.rule,
    ...(team ? { "data-source": "team" } : {}),
  },
  ...(team ? [el("p", { class: "flag-source", text: "From the team's records (as at the last sync)" })] : []),
  el("p", { class: "flag-reason" }, el("strong", { text: `${SEVERITY_WORDS[flag.severity] || flag.severity}: ` }), flag.reason),
  el("p", { class: "flag-action" }, el("span", { class: "flag-label", text: "Suggested action: " }), flag.action),
  ...(team ? [] : [flagAnswerNote(flag, answer)]));
  const list = $("flags-list");
  list.replaceChildren(...flags.map((flag, index) => item(flag, { answer: answers[index] })),
    ...fromTeam.map((flag) => item(flag, { team: true })));
  section.hidden = flags.length + fromTeam.length === 0;
  renderFlagsSummary($("flags-compact"), [...flags, ...fromTeam]);
  renderFollowThroughPanel(visit, { context, flags, answers, stillOpen });
}

// Follow-through on a visit already submitted (followup.js): outcomes, statuses,
// responses to flags and late entries, recorded offline and synced as ops.
function renderFollowThroughPanel(visit, { context, flags, answers, stillOpen }) {
  const old = document.getElementById("followup");
  const { draft, editable } = visit;
  if (editable || (draft.status || "draft") === "draft") {
    if (old) old.remove();
    return;
  }
  const panel = renderFollowThrough({
    answers: context.checklist.answers, flags, flagAnswers: answers, followups: context.checklist.followups,
    onRecord: async (fields) => {
      await recordFollowup(visit.draft, fields);
      visit.rulesInput = { ...visit.rulesInput, followups: await readAllFollowups() };
      if (!stillOpen(visit)) return;
      renderFlags(visit, { stillOpen });
      const message = document.querySelector("#followup .message");
      if (message) message.textContent = "Recorded on this device: it will be sent to the server when it syncs.";
      syncIfOnline();
    },
  });
  if (old) old.replaceWith(panel);
  else $("form-flags").after(panel);
}

// The vault's rules input with what is typed in S2 and S3 laid in: the
// household and persons, and every list of concerns it carries.
function withTypedFacts(input, answers, visitId) {
  const typed = withVisitFacts({ ...input, answers, visitId });
  const out = { ...input, household: typed.household, persons: typed.persons, concerns: typed.concerns };
  if (Array.isArray(input.allConcerns)) {
    out.allConcerns = withVisitFacts({ ...input, concerns: input.allConcerns, answers, visitId }).concerns;
  }
  return out;
}
