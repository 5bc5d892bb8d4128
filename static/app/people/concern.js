// Recording a concern about an adult of a household (people.js): what it rests
// on, where it came from (a protected source is kept as such), MAPPA, orders,
// contact with each child. screen: {show(...nodes), showHousehold(id, {message})}.

import { getHousehold, getPerson } from "../caseload.js";
import {
  choices as offered, householdPeople, concernAbout, displayName, saveConcern, childrenAround,
} from "../entities.js";
import { el } from "../dom.js";
import { EntityForm, errorSummary, formActions } from "./entityform.js";
import { tooLate } from "../form/dates.js";

export async function showConcernForm(screen, householdId, personId) {
  const [household, person, concern, around] = await Promise.all([
    getHousehold(householdId), getPerson(personId), concernAbout(personId), childrenAround(personId)]);
  const people = await householdPeople(household);
  const entry = people.find((p) => p.person_id === personId);
  const name = displayName(person, entry && entry.member);
  const current = concern || { contact: {} };
  const summary = errorSummary();
  const form = new EntityForm("concern-form");

  form.element.append(
    form.choice("basis", "What the concern rests on (choose all that apply)", offered("concern_bases"),
      { value: current.basis || [], multi: true, required: true }),
    form.text("source", "Source of the information", { value: current.source || "", required: true,
      help: "Who told us, or which record or agency it comes from." }),
    form.text("source_date", "Date of the information", { value: current.source_date || "", type: "date" }),
    form.bool("verified", "Verified", { value: current.verified }),
    form.bool("protect_source", "Protect the source's identity", { value: current.protect_source }),
    form.choice("fact_or_opinion", "Fact or opinion", offered("fact_or_opinion"), { value: current.fact_or_opinion || null }),
    form.choice("mappa_category", "MAPPA category", offered("mappa_categories"), { value: current.mappa_category || null }),
    form.choice("mappa_level", "MAPPA level", offered("mappa_levels"), { value: current.mappa_level || null }),
    form.text("orders", "Orders or conditions", { value: current.orders || "", multiline: true }),
    form.choice("works_with_children", "Works or volunteers with children", offered("yes_no_unknown"),
      { value: current.works_with_children || null }),
  );
  const childIds = [];
  if (around.length) {
    const block = el("fieldset", { class: "field field-group", "data-field": "contact" },
      el("legend", { text: `${name}'s contact with each child` }));
    for (const { household: h, children } of around) {
      const inner = el("fieldset", { class: "group-instance", "data-household": h.id }, el("legend", { text: h.address || "A household" }));
      for (const kid of children) {
        childIds.push(kid.person_id);
        inner.append(form.choice(`contact.${kid.person_id}`, `Contact with ${kid.name || "a child"}`, offered("contact_levels"),
          { value: (current.contact || {})[kid.person_id] || null }));
      }
      block.append(inner);
    }
    form.element.append(block);
  } else {
    form.element.append(el("p", { class: "note", text: "No children are recorded in the households this person is linked to." }));
  }
  form.element.append(
    form.text("notes", "Notes", { value: current.notes || "", multiline: true }),
    el("p", { class: "message", role: "status", id: "concern-form-message" }),
    formActions(concern ? "Save the concern" : "Record the concern", () => screen.showHousehold(householdId)));
  form.refresh();

  form.element.addEventListener("submit", async (event) => {
    event.preventDefault();
    const errors = [];
    const basis = form.value("basis") || [];
    if (!basis.length) errors.push({ name: "basis", message: "Choose what the concern rests on." });
    const source = form.value("source");
    if (!source) errors.push({ name: "source", message: "Enter the source of the information." });
    const late = tooLate("source_date", form.value("source_date"));
    if (late) errors.push({ name: "source_date", message: `The date of the information ${late}.` });
    if (errors.length) {
      form.showErrors(errors, summary);
      return;
    }
    // Contact with children not shown here (households not on this device) is kept.
    const contact = { ...(current.contact || {}) };
    for (const childId of childIds) {
      const level = form.value(`contact.${childId}`);
      if (level) contact[childId] = level;
      else delete contact[childId];
    }
    const submit = form.element.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      await saveConcern({
        id: concern ? concern.id : undefined,
        rev: concern ? concern.rev : undefined,
        person_id: personId,
        basis,
        source,
        source_date: form.value("source_date"),
        verified: form.value("verified"),
        protect_source: form.value("protect_source"),
        fact_or_opinion: form.value("fact_or_opinion"),
        mappa_category: form.value("mappa_category"),
        mappa_level: form.value("mappa_level"),
        orders: form.value("orders"),
        works_with_children: form.value("works_with_children"),
        contact,
        notes: form.value("notes"),
      });
      await screen.showHousehold(householdId, { message: `Concern about ${name} saved on this device.` });
    } catch (error) {
      console.error(error);
      form.element.querySelector("#concern-form-message").textContent = `Could not save: ${error.message}`;
      submit.disabled = false;
    }
  });

  screen.show(
    el("div", { class: "form-head" },
      el("h1", { id: "people-title", tabindex: "-1", text: `${concern ? "Edit the concern" : "Record a concern"} about ${name}` }),
      el("p", { class: "subtitle", text: household.address || "" })),
    el("p", { class: "note", text: "Tell facts and opinions apart, and record where each piece of information came from. No conviction is not no risk." }),
    summary,
    form.element,
  );
}
