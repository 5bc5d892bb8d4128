// A small form builder for the people screens: real labels, fieldsets with
// legends, show_if, errors at the field and in a summary (style rule 12).

import { button, el } from "../dom.js";

const YES_NO = [["true", "Yes"], ["false", "No"]];

let formCounter = 0;

export class EntityForm {
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

export function errorSummary() {
  return el("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true });
}

export function formActions(saveText, onCancel) {
  return el("div", { class: "actions form-actions" },
    button(saveText, null, { type: "submit" }),
    button("Cancel", onCancel, { variant: "secondary" }));
}
