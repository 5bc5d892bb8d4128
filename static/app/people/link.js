// Linking a person to another household, known or new (people.js), with where
// they live for it. screen: {show(...nodes), showHousehold(id, {message})}.

import { getHousehold, listHouseholds, getPerson } from "../caseload.js";
import { choices as offered, displayName, linkPerson } from "../entities.js";
import { el } from "../dom.js";
import { EntityForm, errorSummary, formActions } from "./entityform.js";

const NEW_HOUSEHOLD = "new";

export async function showLinkForm(screen, householdId, personId) {
  const [household, person, households] = await Promise.all([
    getHousehold(householdId), getPerson(personId), listHouseholds()]);
  const member = (household.members || []).find((m) => m.person_id === personId);
  const name = displayName(person, member);
  const linked = new Set(((person && person.households) || []).map((h) => h.household_id));
  for (const h of households) if ((h.members || []).some((m) => m.person_id === personId)) linked.add(h.id);
  const choices = households.filter((h) => !linked.has(h.id)).map((h) => [h.id, h.address || "Address not recorded"]);
  choices.push([NEW_HOUSEHOLD, "A new household"]);
  const summary = errorSummary();
  const form = new EntityForm("link-form");
  form.element.append(
    form.choice("household", "Which household", choices, { required: true }),
    form.showIf(form.text("address", "Address of the new household", { multiline: true, required: true }),
      () => form.value("household") === NEW_HOUSEHOLD),
    form.choice("residence", `Where ${name} lives, for that household`, offered("residences"), { required: true }),
    el("p", { class: "message", role: "status", id: "link-form-message" }),
    formActions("Link", () => screen.showHousehold(householdId)),
  );
  form.refresh();

  form.element.addEventListener("submit", async (event) => {
    event.preventDefault();
    const errors = [];
    const target = form.value("household");
    const address = form.value("address");
    const residence = form.value("residence");
    if (!target) errors.push({ name: "household", message: "Choose a household." });
    if (target === NEW_HOUSEHOLD && !address) errors.push({ name: "address", message: "Enter the address." });
    if (!residence) errors.push({ name: "residence", message: `Choose where ${name} lives.` });
    if (errors.length) {
      form.showErrors(errors, summary);
      return;
    }
    if (!person) {
      form.element.querySelector("#link-form-message").textContent =
        "This person's record has not reached this device yet. Sync, then try again.";
      return;
    }
    const submit = form.element.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const linkedTo = await linkPerson({
        personId,
        householdId: target === NEW_HOUSEHOLD ? null : target,
        newAddress: target === NEW_HOUSEHOLD ? address : null,
        residence,
      });
      // Go to the household just linked, to add (or check) its other members.
      await screen.showHousehold(linkedTo, {
        message: `Linked ${name} to this household on this device.${target === NEW_HOUSEHOLD ? " Add the people who live here." : ""}`,
      });
    } catch (error) {
      console.error(error);
      form.element.querySelector("#link-form-message").textContent = `Could not link: ${error.message}`;
      submit.disabled = false;
    }
  });

  screen.show(
    el("div", { class: "form-head" },
      el("h1", { id: "people-title", tabindex: "-1", text: `Link ${name} to another household` }),
      el("p", { class: "subtitle", text: `Now linked to ${household.address || "this household"}` })),
    el("p", { class: "note", text: "The same person in two homes is one record, linked to both." }),
    summary,
    form.element,
  );
}
