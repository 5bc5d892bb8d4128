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
// The widgets are form/widgets.js, reading and writing values form/values.js.

import { ageBand } from "./rules/dates.js";
import { el } from "./dom.js";
import { tooLate } from "./form/dates.js";
import { DISPLAY_ONLY, isEmpty, isVisible, readEntry, readScope, writeScope } from "./form/values.js";
import { Renderer, fillFlagSelect } from "./form/widgets.js";

let formCounter = 0;

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
