// Renders a checklist form generically from its template JSON, reads the
// answers back, checks required fields (on submit only) and dates that cannot
// lie ahead (as they are typed, and on submit), and shows errors
// next to the field they belong to. No per-section HTML: every section is
// built from its field types.
//
// Answers shape: answers[section.id][field.id]. A group is an object of its
// sub-fields. A repeated group is an object keyed by what it repeats over:
// person ids for children / members / adults / parents / persons_of_concern,
// a row id made here for "rows" (a list the practitioner adds to).
// Fields of type "note" and "age_band" are shown, never answered.
// A "choice" with "options_from" (e.g. "children") offers the people that repeat
// would run over, by person id, instead of listed options; an "age_band" with
// "person_from" (a question's path, e.g. "visit.child") shows the chosen person's.

import { ageBand } from "./rules.js";
import { el } from "./dom.js";

const PERSON_REPEATS = new Set(["children", "members", "adults", "parents", "persons_of_concern"]);
const DISPLAY_ONLY = new Set(["note", "age_band"]);

let formCounter = 0;


function pad(n) {
  return String(n).padStart(2, "0");
}

/** ISO string -> the value a datetime-local input shows (local time). */
export function isoToLocalInput(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** datetime-local value -> ISO 8601 UTC string. */
export function localInputToIso(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

// Dates that cannot lie ahead, by field id (the server holds the same rule in
// checklists/validation.py LATEST): a visit at most a day ahead, information never
// dated in the future.
const DAY_MS = 24 * 60 * 60 * 1000;
const LATEST = {
  visit_at: { aheadMs: DAY_MS, message: "cannot be more than a day ahead" },
  source_date: { aheadMs: 0, message: "cannot be in the future" },
};

/** The message when a date ("YYYY-MM-DD", today on this device) or a time (ISO) lies further ahead than its field allows; null otherwise. */
export function tooLate(fieldId, value, now = new Date()) {
  const rule = LATEST[fieldId];
  if (!rule || typeof value !== "string" || value === "") return null;
  if (value.length === 10) {
    const latest = new Date(now.getTime() + rule.aheadMs);
    const day = `${latest.getFullYear()}-${pad(latest.getMonth() + 1)}-${pad(latest.getDate())}`;
    return value > day ? rule.message : null;
  }
  const moment = new Date(value);
  if (Number.isNaN(moment.getTime())) return null;
  return moment.getTime() > now.getTime() + rule.aheadMs ? rule.message : null;
}

function isEmpty(value) {
  if (value === undefined || value === null) return true;
  if (typeof value === "string") return value.trim() === "";
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

function hasParentalResponsibility(member) {
  const value = member.parental_responsibility ?? member.has_parental_responsibility;
  return value === true || value === "yes";
}

/**
 * The people a repeated group runs over, as [{key, title, person}].
 * context: {household: {members}, concerns: [{person_id, name}]}.
 */
export function repeatInstances(repeat, context) {
  const household = context.household || {};
  const members = Array.isArray(household.members) ? household.members : [];
  const asInstance = (m) => ({ key: m.person_id, title: m.name || "Name not recorded", person: m });
  switch (repeat) {
    case "children":
      return members.filter((m) => m.is_child).map(asInstance);
    case "members":
      return members.map(asInstance);
    case "adults":
      return members.filter((m) => !m.is_child).map(asInstance);
    case "parents": {
      const adults = members.filter((m) => !m.is_child);
      const holders = adults.filter(hasParentalResponsibility);
      // Until the person records say who holds parental responsibility, offer
      // every adult not known to have none.
      const hasNone = (m) => (m.parental_responsibility ?? m.has_parental_responsibility) === "no"
        || m.has_parental_responsibility === false;
      return (holders.length ? holders : adults.filter((m) => !hasNone(m))).map(asInstance);
    }
    case "persons_of_concern": {
      const seen = new Set();
      const out = [];
      for (const concern of context.concerns || []) {
        if (!concern.person_id || seen.has(concern.person_id)) continue;
        seen.add(concern.person_id);
        const member = members.find((m) => m.person_id === concern.person_id);
        out.push({ key: concern.person_id, title: concern.name || (member && member.name) || "Person of concern", person: member || null });
      }
      return out;
    }
    default:
      return [];
  }
}

function emptyNote(repeat) {
  return {
    children: "No children are recorded in this household.",
    members: "No members are recorded in this household.",
    adults: "No adults are recorded in this household.",
    parents: "Nobody with parental responsibility is recorded in this household.",
    persons_of_concern: "No person of concern is recorded for this household.",
  }[repeat] || "Nothing to record here.";
}

function newRowId() {
  return crypto.randomUUID();
}

class Renderer {
  constructor({ context, prefix, onChange }) {
    this.context = context;
    this.prefix = prefix;
    this.onChange = onChange;
    this.byPath = new Map();
    this.displays = []; // age bands to recompute
    this.flagChoices = []; // [{value, label}]: the flags raised now (setFlagChoices)
    this.flagSelects = [];
  }

  id(path, suffix = "") {
    return `${this.prefix}-${path.replace(/[^A-Za-z0-9_-]/g, "_")}${suffix}`;
  }

  // A scope is a section or one instance of a group: show_if looks up siblings here.
  scope(path, person = null) {
    return { path, person, entries: new Map() };
  }

  // One instance of a repeated group, so errors about it (e.g. "required for each child") land on it.
  instance(path, wrapper) {
    const errorEl = el("p", { class: "field-error", id: this.id(path, "-error"), hidden: true });
    wrapper.firstChild.after(errorEl);
    wrapper.setAttribute("aria-describedby", errorEl.id);
    wrapper.dataset.path = path;
    this.byPath.set(path, { field: { id: path, type: "instance" }, path, scope: null, inputs: [], errorEl, wrapper });
  }

  forget(scope) {
    this.byPath.delete(scope.path);
    for (const entry of scope.entries.values()) {
      this.byPath.delete(entry.path);
      this.displays = this.displays.filter((d) => d.entry !== entry);
      if (entry.subScopes) for (const sub of entry.subScopes.values()) this.forget(sub);
    }
  }

  field(field, scope) {
    const path = `${scope.path}.${field.id}`;
    const entry = { field, path, scope, inputs: [], errorEl: null, wrapper: null, subScopes: null };
    scope.entries.set(field.id, entry);
    this.byPath.set(path, entry);
    const errorId = this.id(path, "-error");
    const helpId = field.help ? this.id(path, "-help") : null;
    const describedBy = [helpId, errorId].filter(Boolean).join(" ");
    entry.errorEl = el("p", { class: "field-error", id: errorId, hidden: true });
    const help = field.help ? el("p", { class: "help", id: helpId, text: field.help }) : null;
    const requiredMark = field.required ? el("span", { class: "required", text: " (required)" }) : null;

    switch (field.type) {
      case "text":
      case "date":
      case "datetime":
      case "number": {
        const inputId = this.id(path);
        let input;
        if (isFlagField(field)) {
          // S8: the flag an action or referral answers is chosen among the flags raised now, by
          // their words; the stored value stays text (the flag's key: rule[:subject]).
          input = el("select", { id: inputId, name: path, "aria-describedby": describedBy });
          this.flagSelects.push(input);
          fillFlagSelect(input, this.flagChoices, "");
        } else if (field.type === "text" && field.multiline) {
          input = el("textarea", { id: inputId, name: path, rows: 4, autocomplete: "off", "aria-describedby": describedBy });
        } else {
          const type = { text: "text", date: "date", datetime: "datetime-local", number: "number" }[field.type];
          input = el("input", {
            id: inputId, name: path, type, autocomplete: "off", "aria-describedby": describedBy,
            inputmode: field.type === "number" ? "decimal" : null, step: field.type === "number" ? "any" : null,
          });
        }
        entry.inputs.push(input);
        // The practitioner never sees rule ids: the flag is chosen by its words.
        const label = isFlagField(field) ? FLAG_FIELD_LABEL : field.label;
        entry.wrapper = el("div", { class: `field field-${field.type}` },
          el("label", { for: inputId }, label, requiredMark), help, entry.errorEl, input);
        break;
      }
      case "boolean":
      case "choice":
      case "multi": {
        let options = field.options || [];
        if (field.type === "boolean") options = [{ value: "true", label: "Yes" }, { value: "false", label: "No" }];
        else if (field.options_from) {
          options = repeatInstances(field.options_from, this.context).map((i) => ({ value: i.key, label: i.title }));
        }
        const inputType = field.type === "multi" ? "checkbox" : "radio";
        const list = el("div", { class: `options options-${inputType}` });
        options.forEach((option, index) => {
          const optionId = this.id(path, `-${index}`);
          const input = el("input", {
            id: optionId, type: inputType, name: path, value: String(option.value), autocomplete: "off",
          });
          entry.inputs.push(input);
          list.append(el("div", { class: "option" }, input, el("label", { for: optionId, text: option.label })));
        });
        if (field.options_from && !options.length) list.append(el("p", { class: "note", text: emptyNote(field.options_from) }));
        entry.wrapper = el("fieldset", { class: `field field-${field.type}`, "aria-describedby": describedBy },
          el("legend", {}, field.label, requiredMark), help, entry.errorEl, list);
        break;
      }
      case "note":
        entry.wrapper = el("div", { class: "field field-note", role: "note" },
          el("p", {}, el("strong", { text: `${field.label}: ` }), field.text || ""), help);
        break;
      case "age_band": {
        const value = el("span", { class: "age-band-value" });
        entry.wrapper = el("div", { class: "field field-age-band" },
          el("p", {}, el("strong", { text: `${field.label}: ` }), value), help);
        // In a repeat, the instance's person; with "person_from" ("visit.child"), the
        // person chosen in that question (a child observation's one child).
        this.displays.push({ entry, value, person: scope.person, personFrom: field.person_from || null });
        break;
      }
      case "group":
        entry.wrapper = this.group(field, entry, { path, describedBy, help, requiredMark });
        break;
      default:
        entry.wrapper = el("p", { class: "note", text: `${field.label} (this question needs a newer version of the app)` });
    }
    entry.wrapper.dataset.path = path;
    return entry.wrapper;
  }

  group(field, entry, { path, describedBy, help, requiredMark }) {
    entry.subScopes = new Map();
    const wrapper = el("fieldset", { class: "field field-group", "aria-describedby": describedBy },
      el("legend", {}, field.label, requiredMark), help, entry.errorEl);
    const repeat = field.repeat;
    if (!repeat) {
      const sub = this.scope(path, entry.scope.person);
      for (const child of field.fields || []) wrapper.append(this.field(child, sub));
      entry.subScopes.set(null, sub);
      return wrapper;
    }
    if (repeat === "rows") {
      const rows = el("div", { class: "rows" });
      const add = el("button", { type: "button", class: "button secondary add-row", text: field.add_label || `Add to ${field.label}` });
      entry.addRow = (key = newRowId()) => {
        if (entry.subScopes.has(key)) return entry.subScopes.get(key);
        const sub = this.scope(`${path}.${key}`);
        const number = entry.subScopes.size + 1;
        const legend = `${field.label}: ${number}`;
        const remove = el("button", { type: "button", class: "button secondary remove-row", text: "Remove", "aria-label": `Remove ${legend}` });
        const inner = el("fieldset", { class: "group-instance row", "data-row": key }, el("legend", { text: legend }));
        for (const child of field.fields || []) inner.append(this.field(child, sub));
        inner.append(remove);
        this.instance(sub.path, inner);
        remove.addEventListener("click", () => {
          this.forget(sub);
          entry.subScopes.delete(key);
          inner.remove();
          this.onChange();
          add.focus();
        });
        entry.subScopes.set(key, sub);
        rows.append(inner);
        return sub;
      };
      add.addEventListener("click", () => {
        const sub = entry.addRow();
        this.onChange();
        const first = [...sub.entries.values()].find((e) => e.inputs.length);
        if (first) first.inputs[0].focus();
      });
      wrapper.append(rows, add);
      return wrapper;
    }
    if (!PERSON_REPEATS.has(repeat)) {
      wrapper.append(el("p", { class: "note", text: "This question needs a newer version of the app." }));
      return wrapper;
    }
    const instances = repeatInstances(repeat, this.context);
    const empty = instances.length ? null : el("p", { class: "note", text: emptyNote(repeat) });
    if (empty) wrapper.append(empty);
    const addInstance = (instance, before = null) => {
      const sub = this.scope(`${path}.${instance.key}`, instance.person);
      const inner = el("fieldset", { class: "group-instance", "data-key": instance.key }, el("legend", { text: instance.title }));
      for (const child of field.fields || []) inner.append(this.field(child, sub));
      this.instance(sub.path, inner);
      entry.subScopes.set(instance.key, sub);
      if (before) before.before(inner);
      else wrapper.append(inner);
      return sub;
    };
    for (const instance of instances) addInstance(instance);
    if (repeat === "persons_of_concern") this.concernChooser(entry, path, addInstance, empty, wrapper);
    return wrapper;
  }

  // S3 is also where a concern about an adult of the household is first
  // recorded (saving the visit records it as a concern): offer the adults
  // who have no concern yet. entry.addPerson(key) adds one (saved answers too).
  concernChooser(entry, path, addInstance, empty, wrapper) {
    const members = (this.context.household && this.context.household.members) || [];
    const adults = () => members.filter((m) => !m.is_child && m.person_id && !entry.subScopes.has(m.person_id));
    const selectId = this.id(path, "-add-person");
    const select = el("select", { id: selectId, class: "add-person-choice", autocomplete: "off" });
    const add = el("button", { type: "button", class: "button secondary add-person-button", text: "Add what is known about them" });
    const chooser = el("div", { class: "field add-person" },
      el("label", { for: selectId, text: "Another adult of this household with a concern about them" }), select, add);
    const fill = () => {
      const left = adults();
      select.replaceChildren(...left.map((m) => el("option", { value: m.person_id, text: m.name || "Name not recorded" })));
      chooser.hidden = left.length === 0;
    };
    entry.addPerson = (key) => {
      if (entry.subScopes.has(key)) return entry.subScopes.get(key);
      const member = members.find((m) => m.person_id === key && !m.is_child);
      if (!member) return null;
      if (empty) empty.remove();
      const sub = addInstance({ key, title: member.name || "Name not recorded", person: member }, chooser);
      fill();
      return sub;
    };
    add.addEventListener("click", () => {
      const sub = select.value && entry.addPerson(select.value);
      if (!sub) return;
      this.onChange();
      const first = [...sub.entries.values()].find((e) => e.inputs.length);
      if (first) first.inputs[0].focus();
    });
    wrapper.append(chooser);
    fill();
  }
}

// ---- S8: the flag an action or referral answers, chosen by its words -----------

// The row's "flag" field (home-visit v1: analysis.actions[].flag; v2 adds
// analysis.referrals[].flag; type text; v1's label asks for a rule id, which the
// tablet never shows).
const FLAG_FIELD_LABEL = "The flag it answers, if any";

function isFlagField(field) {
  return field.type === "text" && field.id === "flag";
}

// Options: none, the flags raised now, and a value chosen earlier that is no longer
// raised (kept, so nothing recorded is lost by re-rendering).
function fillFlagSelect(select, choices, value) {
  const options = [el("option", { value: "", text: "None: not about a flag" })];
  for (const choice of choices) options.push(el("option", { value: choice.value, text: choice.label }));
  if (value && !choices.some((choice) => choice.value === value)) {
    options.push(el("option", { value, text: `A flag no longer raised (${value})` }));
  }
  select.replaceChildren(...options);
  select.value = value || "";
}

// ---- reading and writing values ---------------------------------------------

function readEntry(entry) {
  const { field, inputs } = entry;
  switch (field.type) {
    case "text":
    case "date": {
      const value = inputs[0].value;
      return value === "" ? undefined : value;
    }
    case "datetime":
      return inputs[0].value === "" ? undefined : localInputToIso(inputs[0].value);
    case "number": {
      const input = inputs[0];
      if (input.value === "") return undefined;
      const number = Number(input.value);
      return Number.isFinite(number) ? number : undefined;
    }
    case "boolean": {
      const checked = inputs.find((input) => input.checked);
      return checked ? checked.value === "true" : undefined;
    }
    case "choice": {
      const checked = inputs.find((input) => input.checked);
      return checked ? checked.value : undefined;
    }
    case "multi": {
      const values = inputs.filter((input) => input.checked).map((input) => input.value);
      return values.length ? values : undefined;
    }
    case "group": {
      if (field.repeat) {
        const out = {};
        for (const [key, scope] of entry.subScopes) {
          const value = readScope(scope);
          // A row the user added is kept even while empty; a person with no answers is left out.
          if (!isEmpty(value) || field.repeat === "rows") out[key] = value;
        }
        return isEmpty(out) ? undefined : out;
      }
      const value = readScope(entry.subScopes.get(null));
      return isEmpty(value) ? undefined : value;
    }
    default:
      return undefined;
  }
}

function writeEntry(entry, value) {
  const { field, inputs } = entry;
  if (value === undefined || value === null) return;
  switch (field.type) {
    case "text":
    case "date":
    case "number":
      if (inputs[0].tagName === "SELECT") fillFlagSelect(inputs[0], [], String(value)); // choices come with setFlagChoices
      else inputs[0].value = String(value);
      break;
    case "datetime":
      inputs[0].value = isoToLocalInput(value);
      break;
    case "boolean":
      for (const input of inputs) input.checked = input.value === String(Boolean(value));
      break;
    case "choice":
      for (const input of inputs) input.checked = input.value === String(value);
      break;
    case "multi": {
      const wanted = new Set((Array.isArray(value) ? value : [value]).map(String));
      for (const input of inputs) input.checked = wanted.has(input.value);
      break;
    }
    case "group":
      if (typeof value !== "object") return;
      if (field.repeat === "rows" && entry.addRow) {
        for (const key of Object.keys(value)) writeScope(entry.addRow(key), value[key]);
      } else if (field.repeat) {
        if (entry.addPerson) for (const key of Object.keys(value)) entry.addPerson(key);
        for (const [key, scope] of entry.subScopes) writeScope(scope, value[key]);
      } else {
        writeScope(entry.subScopes.get(null), value);
      }
      break;
    default:
  }
}

function isVisible(entry, seen = new Set()) {
  const rule = entry.field.show_if;
  if (!rule || !entry.scope) return true;
  const other = entry.scope.entries.get(rule.field);
  if (!other || seen.has(other)) return false;
  seen.add(entry);
  if (!isVisible(other, seen)) return false;
  return readEntry(other) === rule.equals;
}

function readScope(scope) {
  const out = {};
  for (const entry of scope.entries.values()) {
    if (DISPLAY_ONLY.has(entry.field.type) || !isVisible(entry)) continue;
    const value = readEntry(entry);
    if (value !== undefined) out[entry.field.id] = value;
  }
  return out;
}

function writeScope(scope, values) {
  if (!values || typeof values !== "object") return;
  for (const entry of scope.entries.values()) writeEntry(entry, values[entry.field.id]);
}

function findVisitDateEntry(renderer) {
  for (const entry of renderer.byPath.values()) {
    if (entry.field.type === "datetime" && entry.field.id === "visit_at") return entry;
  }
  return null;
}

// ---- the public form object ----------------------------------------------------

/**
 * Build the form for a template, for a household (its members) and the
 * concerns about people linked to it. onChange() runs after every edit.
 * Returns a ChecklistForm:
 *   element            the <div> holding one <fieldset> per section
 *   answers()          collect the visible answers
 *   validate({required = true})  required and date checks -> [{field, message}];
 *                      {required: false}: the date checks only (a draft may have gaps)
 *   showErrors(list)   show [{field, message}] next to the fields; returns the
 *                      errors that matched no field
 *   clearErrors()      remove every field error
 *   focusField(path)   move focus to a field
 *   setDisabled(bool)  read-only view
 *   dirty / markClean()
 */
export function renderChecklist({ template, household = null, concerns = [], answers = {}, onChange = null }) {
  formCounter += 1;
  const element = el("div", { class: "checklist-sections" });
  const form = { element, dirty: false };
  const renderer = new Renderer({
    context: { household: household || { members: [] }, concerns },
    prefix: `f${formCounter}`,
    onChange: () => {
      form.dirty = true;
      refresh();
      if (onChange) onChange();
    },
  });
  const sectionScopes = [];
  for (const section of template.sections || []) {
    const scope = renderer.scope(section.id);
    sectionScopes.push({ section, scope });
    const headingText = section.code ? `${section.code} · ${section.title}` : section.title;
    const fieldset = el("fieldset", { class: "section", "data-section": section.id },
      el("legend", { class: "section-title", text: headingText }));
    if (section.help) fieldset.append(el("p", { class: "help", text: section.help }));
    for (const field of section.fields || []) fieldset.append(renderer.field(field, scope));
    element.append(fieldset);
  }
  for (const { section, scope } of sectionScopes) writeScope(scope, answers[section.id]);

  const visitDate = findVisitDateEntry(renderer);
  function refresh() {
    for (const entry of renderer.byPath.values()) {
      if (entry.wrapper) entry.wrapper.hidden = !isVisible(entry);
    }
    const at = (visitDate && readEntry(visitDate)) || new Date().toISOString();
    const members = renderer.context.household.members || [];
    for (const display of renderer.displays) {
      let person = display.person;
      if (display.personFrom) {
        const chooser = renderer.byPath.get(display.personFrom);
        const chosen = chooser && chooser.inputs.length ? readEntry(chooser) : undefined;
        person = members.find((m) => m.person_id === chosen) || null;
        if (!person) {
          display.value.textContent = "choose the child first";
          continue;
        }
      }
      const birth = person && person.date_of_birth;
      const band = birth ? ageBand(birth, at) : null;
      display.value.textContent = band || (birth ? "not a child on the visit date" : "date of birth not recorded");
    }
  }
  refresh();

  Object.assign(form, {
    answers() {
      const out = {};
      for (const { section, scope } of sectionScopes) out[section.id] = readScope(scope);
      return out;
    },
    validate({ required = true } = {}) {
      const errors = [];
      const visit = (entry) => {
        const { field } = entry;
        if (DISPLAY_ONLY.has(field.type) || !isVisible(entry)) return;
        if (required && field.type === "number" && entry.inputs[0].validity && entry.inputs[0].validity.badInput) {
          errors.push({ field: entry.path, message: "Enter a number." });
          return;
        }
        if (field.type === "group") {
          if (required && field.required && field.repeat === "rows" && entry.subScopes.size === 0) {
            errors.push({ field: entry.path, message: `Add at least one: ${field.label}.` });
          }
          for (const scope of entry.subScopes.values()) for (const child of scope.entries.values()) visit(child);
          return;
        }
        if (required && field.required && isEmpty(readEntry(entry))) {
          const verb = ["boolean", "choice"].includes(field.type) ? "Choose an answer"
            : field.type === "multi" ? "Choose at least one" : "Fill in this answer";
          const who = entry.scope.person && entry.scope.person.name ? ` (${entry.scope.person.name})` : "";
          errors.push({ field: entry.path, message: `${verb}: ${field.label}${who}.` });
        }
        const late = tooLate(field.id, readEntry(entry));
        if (late) errors.push({ field: entry.path, message: `${field.label} ${late}.` });
      };
      for (const { scope } of sectionScopes) for (const entry of scope.entries.values()) visit(entry);
      return errors;
    },
    clearErrors() {
      for (const entry of renderer.byPath.values()) setError(entry, null);
    },
    showErrors(list) {
      const unmatched = [];
      for (const error of list || []) {
        const entry = renderer.byPath.get(error.field);
        if (entry) {
          setError(entry, error.message || "Check this answer.");
          // Make sure it can be seen even if a show_if hid it.
          entry.wrapper.hidden = false;
        } else {
          unmatched.push(error);
        }
      }
      return unmatched;
    },
    focusField(path) {
      const entry = renderer.byPath.get(path);
      if (!entry) return;
      const target = entry.inputs[0] || entry.wrapper.querySelector("input, textarea, select, button");
      if (target) target.focus();
      entry.wrapper.scrollIntoView({ block: "center" });
    },
    setDisabled(disabled) {
      for (const fieldset of element.querySelectorAll("fieldset.section")) fieldset.disabled = disabled;
    },
    markClean() {
      form.dirty = false;
    },
    /** The flags raised now, [{value, label}], for S8's "flag it answers" choice. */
    setFlagChoices(choices) {
      renderer.flagChoices = choices;
      renderer.flagSelects = renderer.flagSelects.filter((select) => select.isConnected || element.contains(select));
      for (const select of renderer.flagSelects) fillFlagSelect(select, choices, select.value);
    },
  });

  const onEdit = (event) => {
    form.dirty = true;
    refresh();
    const wrapper = event.target.closest("[data-path]");
    const entry = wrapper && renderer.byPath.get(wrapper.dataset.path);
    // Said as soon as it is typed: a date that cannot lie this far ahead.
    const late = entry && tooLate(entry.field.id, readEntry(entry));
    if (entry) setError(entry, late ? `${entry.field.label} ${late}.` : null);
    if (onChange) onChange();
  };
  element.addEventListener("input", onEdit);
  element.addEventListener("change", onEdit);
  return form;
}

function setError(entry, message) {
  if (!entry.errorEl) return;
  entry.errorEl.textContent = message ? `Error: ${message}` : "";
  entry.errorEl.hidden = !message;
  entry.wrapper.classList.toggle("has-error", Boolean(message));
  for (const input of entry.inputs) {
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}
