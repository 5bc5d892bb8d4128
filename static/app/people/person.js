// Adding or editing a person of a household (people.js): names, date of birth
// or estimated age, sex, where they live, and, for an adult, their links to the
// household's children. screen: {show(...nodes), showHousehold(id, {message})}.

import { getHousehold, getPerson } from "../caseload.js";
import { choices as offered, householdPeople, displayName, savePerson } from "../entities.js";
import { button, el } from "../dom.js";
import { addSameAsButtons } from "../samefor.js"; // one tap copies the first child's answers
import { EntityForm, errorSummary, formActions } from "./entityform.js";

export async function showPersonForm(screen, householdId, personId) {
  const household = await getHousehold(householdId);
  const people = await householdPeople(household);
  const entry = personId ? people.find((p) => p.person_id === personId) : null;
  const known = personId ? (await getPerson(personId)) || null : null;
  const member = entry ? entry.member : null;
  const person = known || (member ? {
    id: member.person_id, names: member.name ? [member.name] : [], aliases: [], date_of_birth: member.date_of_birth,
    is_child: member.is_child, children: [], rev: 0,
  } : { names: [], aliases: [], children: [] });
  const name = personId ? displayName(person, member) : "";
  const summary = errorSummary();
  const form = new EntityForm("person-form");
  const childLinks = new Map((person.children || []).map((row) => [row.child_id, row]));
  const kids = people.filter((p) => p.is_child && p.person_id !== personId);

  form.element.append(
    form.text("names", "Name, or a description if not known", { value: (person.names || [])[0] || "", required: true }),
    form.text("aliases", "Other names or aliases", { value: (person.aliases || []).join(", "), help: "Separate them with commas." }),
    form.choice("is_child", "Child or adult", [["true", "A child"], ["false", "An adult"]],
      { value: personId ? String(Boolean(person.is_child)) : null, required: true, boolean: true }),
    form.text("date_of_birth", "Date of birth", { value: person.date_of_birth || "", type: "date" }),
    form.text("estimated_age", "Estimated age in years, if the date of birth is not known",
      { value: person.estimated_age ?? "", type: "number", inputmode: "numeric" }),
    form.choice("sex", "Sex", offered("sexes"), { value: person.sex || null }),
    form.choice("residence", `Where they live, for ${household.address || "this household"}`, offered("residences"),
      { value: member ? member.residence : null, required: true }),
  );
  if (kids.length) {
    const block = el("fieldset", { class: "field field-group", "data-field": "children" },
      el("legend", { text: "For each child of this household" }));
    for (const kid of kids) {
      const row = childLinks.get(kid.person_id) || {};
      const key = `child.${kid.person_id}`;
      const source = `${key}.details_source`;
      const inner = el("fieldset", { class: "group-instance", "data-child": kid.person_id }, el("legend", { text: kid.name }),
        form.text(`${key}.relationship`, `Relationship to ${kid.name}`, { value: row.relationship || "", help: "For example: mother, grandfather, mother's partner." }),
        form.choice(`${key}.parental_responsibility`, "Parental responsibility", offered("parental_responsibility"), { value: row.parental_responsibility || null }),
        form.bool(`${key}.cares_unsupervised`, `Cares for ${kid.name} unsupervised`, { value: row.cares_unsupervised }),
        form.bool(`${key}.seen_by_practitioner`, "Seen by a practitioner", { value: row.seen_by_practitioner }),
        form.choice(source, "Where the details came from", offered("details_sources"), { value: row.details_source || null }),
        form.showIf(form.text(`${key}.details_description`, "Description", {
          value: row.details_description || "", multiline: true, help: "What they look like, what they are called, when they visit.",
        }), () => form.value(source) === "refused"));
      block.append(inner);
    }
    addSameAsButtons(block, { makeButton: button }); // "Same as for <first child>" (samefor.js)
    form.element.append(form.showIf(block, () => form.value("is_child") === false));
  }
  form.element.append(el("p", { class: "message", role: "status", id: "person-form-message" }),
    formActions(personId ? "Save changes" : "Add this person", () => screen.showHousehold(householdId)));
  form.refresh();

  form.element.addEventListener("submit", async (event) => {
    event.preventDefault();
    const errors = [];
    const names = form.value("names");
    if (!names) errors.push({ name: "names", message: "Enter a name, or a description." });
    const isChild = form.value("is_child");
    if (isChild === undefined) errors.push({ name: "is_child", message: "Choose child or adult." });
    const residence = form.value("residence");
    if (!residence) errors.push({ name: "residence", message: "Choose where they live." });
    const ageInput = form.rawNumber("estimated_age");
    const ageText = form.value("estimated_age");
    let age = null;
    if (ageText !== undefined || (ageInput && ageInput.validity && ageInput.validity.badInput)) {
      age = Number(ageText);
      if (!Number.isInteger(age) || age < 0 || age > 120) errors.push({ name: "estimated_age", message: "Enter the age as a whole number of years." });
    }
    const born = form.value("date_of_birth");
    if (born && born > new Date().toISOString().slice(0, 10)) errors.push({ name: "date_of_birth", message: "The date of birth is in the future." });
    if (errors.length) {
      form.showErrors(errors, summary);
      return;
    }
    const children = isChild ? [] : kids.map((kid) => {
      const key = `child.${kid.person_id}`;
      return {
        child_id: kid.person_id,
        relationship: form.value(`${key}.relationship`),
        parental_responsibility: form.value(`${key}.parental_responsibility`),
        cares_unsupervised: form.value(`${key}.cares_unsupervised`),
        seen_by_practitioner: form.value(`${key}.seen_by_practitioner`),
        details_source: form.value(`${key}.details_source`),
        details_description: form.value(`${key}.details_description`),
      };
    }).filter((row) => Object.keys(row).some((k) => k !== "child_id" && row[k] !== undefined));
    // Details about children of other households stay as they were.
    const here = new Set(kids.map((k) => k.person_id));
    const kept = (person.children || []).filter((row) => !here.has(row.child_id));
    const aliases = (form.value("aliases") || "").split(",").map((a) => a.trim()).filter(Boolean);
    const submit = form.element.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const saved = await savePerson({
        person: {
          id: personId || undefined,
          rev: known ? known.rev : undefined,
          names: [names, ...(person.names || []).slice(1)],
          aliases,
          date_of_birth: born || null,
          estimated_age: age,
          sex: form.value("sex") || "unknown",
          is_child: isChild,
          children: [...kept, ...children],
        },
        householdId,
        residence,
      });
      await screen.showHousehold(householdId, {
        message: `${personId ? "Saved changes to" : "Added"} ${displayName(saved)} on this device.`,
      });
    } catch (error) {
      console.error(error);
      form.element.querySelector("#person-form-message").textContent = `Could not save: ${error.message}`;
      submit.disabled = false;
    }
  });

  screen.show(
    el("div", { class: "form-head" },
      el("h1", { id: "people-title", tabindex: "-1", text: personId ? `Edit ${name}` : "Add a person" }),
      el("p", { class: "subtitle", text: household.address || "" })),
    summary,
    form.element,
  );
}
