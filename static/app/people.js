// The people screens, reachable from a household in the caseload list (and
// from an open visit): who is in the household, adding and editing a person,
// recording a concern about an adult, and linking a person to another
// household. Everything works offline; entities.js keeps the device's copies
// and queues the sealed ops. Nothing personal goes into a URL or any store
// but the vault. The editors are people/person.js, concern.js and link.js.

import { getHousehold, listHouseholds } from "./caseload.js";
import { choiceLabel, householdPeople } from "./entities.js";
import { button, el, showIn } from "./dom.js";
import { openChronology } from "./chronology.js";
import { showPersonForm } from "./people/person.js";
import { showConcernForm } from "./people/concern.js";
import { showLinkForm } from "./people/link.js";

let container = null;
let closeScreen = null;
let backLabel = "Back to list";

function show(...nodes) {
  showIn(container, ...nodes);
}

// What an editor needs of this screen: to show itself, and to come back here.
const screen = { show, showHousehold: (householdId, options) => showHousehold(householdId, options) };

// ---- the household's people ----------------------------------------------------------

/**
 * Show the people screen for a household. onClose() leaves it (back to the
 * list or to the visit it was opened from); closeText names that button.
 */
export async function openPeople(target, householdId, { onClose, closeText = "Back to list", message = "" } = {}) {
  container = target;
  container.replaceChildren(); // nothing of an earlier household while this one loads
  closeScreen = () => {
    container.replaceChildren();
    return onClose();
  };
  backLabel = closeText;
  await showHousehold(householdId, { message });
}

function residenceWords(code) {
  const label = choiceLabel("residences", code);
  return label ? label.toLowerCase() : "where they live is not recorded";
}

async function showHousehold(householdId, { message = "" } = {}) {
  const household = await getHousehold(householdId);
  if (!household) {
    show(el("h1", { id: "people-title", tabindex: "-1", text: "Household not on this device" }),
      button(backLabel, () => closeScreen()));
    return;
  }
  const [people, households] = await Promise.all([householdPeople(household), listHouseholds()]);
  const addresses = new Map(households.map((h) => [h.id, h.address]));
  const list = el("ul", { class: "people-list" });
  people.forEach((entry, index) => {
    const nameId = `people-person-${index}`;
    const elsewhere = ((entry.person && entry.person.households) || [])
      .filter((link) => link.household_id !== household.id)
      .map((link) => `${addresses.get(link.household_id) || "a household not on this device"} (${residenceWords(link.residence)})`);
    const text = el("span", { class: "person-text", id: nameId },
      el("span", { class: "person-name", text: entry.name }),
      el("span", { class: "badge", text: entry.is_child ? "child" : "adult" }),
      el("span", { class: "person-residence", text: residenceWords(entry.residence) }),
      entry.concern ? el("span", { class: "badge concern-badge", text: "person of concern" }) : null,
      elsewhere.length ? el("span", { class: "person-elsewhere", text: `also linked to ${elsewhere.join("; ")}` }) : null);
    const actions = el("div", { class: "actions person-actions" },
      button("Edit", () => showPersonForm(screen, householdId, entry.person_id), { variant: "secondary", describedBy: nameId }));
    if (entry.is_child) {
      actions.append(button("Chronology", () => openChronology(container, {
        childId: entry.person_id, childName: entry.name, householdId, onClose: () => showHousehold(householdId),
      }), { variant: "secondary", describedBy: nameId }));
    }
    if (!entry.is_child) {
      actions.append(button(entry.concern ? "Edit the concern" : "Record a concern",
        () => showConcernForm(screen, householdId, entry.person_id), { variant: "secondary", describedBy: nameId }));
    }
    actions.append(button("Link to another household", () => showLinkForm(screen, householdId, entry.person_id),
      { variant: "secondary", describedBy: nameId }));
    list.append(el("li", { class: "person", "data-person": entry.person_id }, text, actions));
  });
  show(
    el("div", { class: "form-head" },
      button(backLabel, () => closeScreen(), { variant: "secondary" }),
      el("h1", { id: "people-title", tabindex: "-1", text: "People in this household" }),
      el("p", { class: "subtitle", id: "people-household", text: household.address || "Address not recorded" })),
    el("p", { class: "message", role: "status", id: "people-message", text: message }),
    el("p", { class: "note", text: "A person is recorded once and linked to each household they are part of. Changes are kept encrypted on this device and sync when you are online." }),
    people.length ? list : el("p", { class: "note", text: "Nobody is recorded in this household yet." }),
    el("div", { class: "actions" }, button("Add a person", () => showPersonForm(screen, householdId, null))),
  );
}
