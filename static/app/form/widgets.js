// The widgets of a checklist form, one per field type, built from the template:
// inputs with their labels, help and error places, groups, repeated groups (one
// fieldset per person; rows the practitioner adds) and S3's chooser of another
// adult. Each field becomes an entry {field, path, scope, inputs, errorEl,
// wrapper, subScopes} that form/values.js reads and writes.

import { button, el } from "../dom.js";
import { PERSON_REPEATS, emptyNote, repeatInstances } from "./repeats.js";

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
export function fillFlagSelect(select, choices, value) {
  const options = [el("option", { value: "", text: "None: not about a flag" })];
  for (const choice of choices) options.push(el("option", { value: choice.value, text: choice.label }));
  if (value && !choices.some((choice) => choice.value === value)) {
    options.push(el("option", { value, text: `A flag no longer raised (${value})` }));
  }
  select.replaceChildren(...options);
  select.value = value || "";
}

function newRowId() {
  return crypto.randomUUID();
}

export class Renderer {
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
      const add = button(field.add_label || `Add to ${field.label}`, null, { variant: "secondary add-row" });
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
    const add = button("Add what is known about them", null, { variant: "secondary add-person-button" });
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
