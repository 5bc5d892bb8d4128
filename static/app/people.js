// The people screens, reachable from a household in the caseload list (and
// from an open visit): who is in the household, adding and editing a person,
// recording a concern about an adult, and linking a person to another
// household. Everything works offline; entities.js keeps the device's copies
// and queues the sealed ops. Nothing personal goes into a URL or any store
// but the vault.

import {
  choices as offered, choiceLabel,
  getHouseholdRecord, listHouseholdRecords, getPerson, householdPeople, concernAbout, displayName,
  savePerson, saveConcern, linkPerson, childrenAround,
} from "./entities.js";
import { button, el, showIn } from "./dom.js";
import { openChronology } from "./chronology.js";
import { addSameAsButtons } from "./samefor.js"; // one tap copies the first child's answers
import { tooLate } from "./form.js";

const YES_NO = [["true", "Yes"], ["false", "No"]];

let container = null;
let closeScreen = null;
let backLabel = "Back to list";
let formCounter = 0;


function show(...nodes) {
  showIn(container, ...nodes);
}

// ---- a small form builder: real labels, fieldsets with legends, show_if ------------

class EntityForm {
  constructor(id) {
    formCounter += 1;
    this.prefix = `pf${formCounter}`;
    this.element = el("form", { id, class: "entity-form", novalidate: true, autocomplete: "off" });
    this.fields = new Map(); // name -> {kind, inputs, wrapper, errorEl}
    this.conditions = []; // [{wrapper, test}]
    const refresh = () => this.refresh();
    this.element.addEventListener("input", refresh);
    this.element.addEventListener("change", refresh);
  }

  id(name, suffix = "") {
    return `${this.prefix}-${name.replace(/[^A-Za-z0-9_-]/g, "_")}${suffix}`;
  }

  errorFor(name) {
    return el("p", { class: "field-error", id: this.id(name, "-error"), hidden: true });
  }

  text(name, label, { value = "", required = false, multiline = false, type = "text", help = null, inputmode = null } = {}) {
    const inputId = this.id(name);
    const errorEl = this.errorFor(name);
    const helpEl = help ? el("p", { class: "help", id: this.id(name, "-help"), text: help }) : null;
    const describedBy = [helpEl && helpEl.id, errorEl.id].filter(Boolean).join(" ");
    const input = multiline
      ? el("textarea", { id: inputId, name, rows: 3, autocomplete: "off", "aria-describedby": describedBy })
      : el("input", { id: inputId, name, type, autocomplete: "off", inputmode, "aria-describedby": describedBy,
        min: type === "number" ? 0 : null, max: type === "number" ? 120 : null, step: type === "number" ? 1 : null });
    input.value = value ?? "";
    const wrapper = el("div", { class: "field", "data-field": name },
      el("label", { for: inputId }, label, required ? el("span", { class: "required", text: " (required)" }) : null),
      helpEl, errorEl, input);
    this.fields.set(name, { kind: "text", inputs: [input], wrapper, errorEl });
    return wrapper;
  }

  choice(name, legend, options, { value = null, required = false, multi = false, boolean = false } = {}) {
    const errorEl = this.errorFor(name);
    const list = el("div", { class: `options options-${multi ? "checkbox" : "radio"}` });
    const wanted = new Set((Array.isArray(value) ? value : [value]).filter((v) => v !== null && v !== undefined).map(String));
    const inputs = options.map(([optionValue, optionLabel], index) => {
      const optionId = this.id(name, `-${index}`);
      const input = el("input", { id: optionId, type: multi ? "checkbox" : "radio", name, value: optionValue, autocomplete: "off" });
      input.checked = wanted.has(optionValue);
      list.append(el("div", { class: "option" }, input, el("label", { for: optionId, text: optionLabel })));
      return input;
    });
    const wrapper = el("fieldset", { class: `field ${options === YES_NO ? "field-boolean" : ""}`.trim(), "data-field": name, "aria-describedby": errorEl.id },
      el("legend", {}, legend, required ? el("span", { class: "required", text: " (required)" }) : null), errorEl, list);
    this.fields.set(name, { kind: multi ? "multi" : (boolean ? "boolean" : "choice"), inputs, wrapper, errorEl });
    return wrapper;
  }

  bool(name, legend, { value = null } = {}) {
    return this.choice(name, legend, YES_NO, { value: value === null || value === undefined ? null : String(Boolean(value)), boolean: true });
  }

  /** Show `wrapper` only while test() is true (its answers are then not read). */
  showIf(wrapper, test) {
    this.conditions.push({ wrapper, test });
    return wrapper;
  }

  refresh() {
    for (const { wrapper, test } of this.conditions) wrapper.hidden = !test();
  }

  visible(name) {
    const field = this.fields.get(name);
    let node = field && field.wrapper;
    while (node && node !== this.element) {
      if (node.hidden) return false;
      node = node.parentElement;
    }
    return Boolean(field);
  }

  value(name) {
    const field = this.fields.get(name);
    if (!field || !this.visible(name)) return undefined;
    if (field.kind === "text") {
      const text = field.inputs[0].value.trim();
      return text === "" ? undefined : text;
    }
    const checked = field.inputs.filter((input) => input.checked).map((input) => input.value);
    if (field.kind === "multi") return checked;
    if (!checked.length) return undefined;
    return field.kind === "boolean" ? checked[0] === "true" : checked[0];
  }

  rawNumber(name) {
    const field = this.fields.get(name);
    return field ? field.inputs[0] : null;
  }

  clearErrors() {
    for (const field of this.fields.values()) this.setError(field, null);
  }

  setError(field, message) {
    field.errorEl.textContent = message ? `Error: ${message}` : "";
    field.errorEl.hidden = !message;
    field.wrapper.classList.toggle("has-error", Boolean(message));
    for (const input of field.inputs) {
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }

  /** Show [{name, message}] at their fields and in a summary; focus the first. */
  showErrors(errors, summary) {
    this.clearErrors();
    const list = el("ul");
    for (const error of errors) {
      const field = this.fields.get(error.name);
      if (field) this.setError(field, error.message);
      list.append(el("li", {}, field
        ? button(error.message, () => field.inputs[0].focus(), { variant: "link" })
        : error.message));
    }
    summary.replaceChildren(el("h2", { text: "There is a problem" }), list);
    summary.hidden = errors.length === 0;
    const first = errors.map((e) => this.fields.get(e.name)).find(Boolean);
    if (first) first.inputs[0].focus();
    else summary.focus();
  }
}

function errorSummary() {
  return el("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true });
}

function formActions(saveText, onCancel) {
  return el("div", { class: "actions form-actions" },
    button(saveText, null, { type: "submit" }),
    button("Cancel", onCancel, { variant: "secondary" }));
}

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
  const household = await getHouseholdRecord(householdId);
  if (!household) {
    show(el("h1", { id: "people-title", tabindex: "-1", text: "Household not on this device" }),
      button(backLabel, () => closeScreen()));
    return;
  }
  const [people, households] = await Promise.all([householdPeople(household), listHouseholdRecords()]);
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
      button("Edit", () => showPersonForm(householdId, entry.person_id), { variant: "secondary", describedBy: nameId }));
    if (entry.is_child) {
      actions.append(button("Chronology", () => openChronology(container, {
        childId: entry.person_id, childName: entry.name, householdId, onClose: () => showHousehold(householdId),
      }), { variant: "secondary", describedBy: nameId }));
    }
    if (!entry.is_child) {
      actions.append(button(entry.concern ? "Edit the concern" : "Record a concern",
        () => showConcernForm(householdId, entry.person_id), { variant: "secondary", describedBy: nameId }));
    }
    actions.append(button("Link to another household", () => showLinkForm(householdId, entry.person_id),
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
    el("div", { class: "actions" }, button("Add a person", () => showPersonForm(householdId, null))),
  );
}

// ---- adding or editing a person ----------------------------------------------------------

async function showPersonForm(householdId, personId) {
  const household = await getHouseholdRecord(householdId);
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
    formActions(personId ? "Save changes" : "Add this person", () => showHousehold(householdId)));
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
      await showHousehold(householdId, {
        message: `${personId ? "Saved changes to" : "Added"} ${displayName(saved)} on this device.`,
      });
    } catch (error) {
      console.error(error);
      form.element.querySelector("#person-form-message").textContent = `Could not save: ${error.message}`;
      submit.disabled = false;
    }
  });

  show(
    el("div", { class: "form-head" },
      el("h1", { id: "people-title", tabindex: "-1", text: personId ? `Edit ${name}` : "Add a person" }),
      el("p", { class: "subtitle", text: household.address || "" })),
    summary,
    form.element,
  );
}

// ---- a concern about an adult --------------------------------------------------------------

async function showConcernForm(householdId, personId) {
  const [household, person, concern, around] = await Promise.all([
    getHouseholdRecord(householdId), getPerson(personId), concernAbout(personId), childrenAround(personId)]);
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
    formActions(concern ? "Save the concern" : "Record the concern", () => showHousehold(householdId)));
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
      await showHousehold(householdId, { message: `Concern about ${name} saved on this device.` });
    } catch (error) {
      console.error(error);
      form.element.querySelector("#concern-form-message").textContent = `Could not save: ${error.message}`;
      submit.disabled = false;
    }
  });

  show(
    el("div", { class: "form-head" },
      el("h1", { id: "people-title", tabindex: "-1", text: `${concern ? "Edit the concern" : "Record a concern"} about ${name}` }),
      el("p", { class: "subtitle", text: household.address || "" })),
    el("p", { class: "note", text: "Tell facts and opinions apart, and record where each piece of information came from. No conviction is not no risk." }),
    summary,
    form.element,
  );
}

// ---- linking a person to another household ----------------------------------------------------

const NEW_HOUSEHOLD = "new";

async function showLinkForm(householdId, personId) {
  const [household, person, households] = await Promise.all([
    getHouseholdRecord(householdId), getPerson(personId), listHouseholdRecords()]);
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
    formActions("Link", () => showHousehold(householdId)),
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
      await showHousehold(linkedTo, {
        message: `Linked ${name} to this household on this device.${target === NEW_HOUSEHOLD ? " Add the people who live here." : ""}`,
      });
    } catch (error) {
      console.error(error);
      form.element.querySelector("#link-form-message").textContent = `Could not link: ${error.message}`;
      submit.disabled = false;
    }
  });

  show(
    el("div", { class: "form-head" },
      el("h1", { id: "people-title", tabindex: "-1", text: `Link ${name} to another household` }),
      el("p", { class: "subtitle", text: `Now linked to ${household.address || "this household"}` })),
    el("p", { class: "note", text: "The same person in two homes is one record, linked to both." }),
    summary,
    form.element,
  );
}
