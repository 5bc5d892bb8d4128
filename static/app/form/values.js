// Reading and writing a checklist form's answers: each entry's inputs to and from
// its value, the scopes (a section, a group's instance) as objects, and show_if.

import { isoToLocalInput, localInputToIso } from "./dates.js";
import { fillFlagSelect } from "./widgets.js";

// Fields of these types are shown, never answered.
export const DISPLAY_ONLY = new Set(["note", "age_band"]);

export function isEmpty(value) {
  if (value === undefined || value === null) return true;
  if (typeof value === "string") return value.trim() === "";
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

export function readEntry(entry) {
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

export function isVisible(entry, seen = new Set()) {
  const rule = entry.field.show_if;
  if (!rule || !entry.scope) return true;
  const other = entry.scope.entries.get(rule.field);
  if (!other || seen.has(other)) return false;
  seen.add(entry);
  if (!isVisible(other, seen)) return false;
  return readEntry(other) === rule.equals;
}

export function readScope(scope) {
  const out = {};
  for (const entry of scope.entries.values()) {
    if (DISPLAY_ONLY.has(entry.field.type) || !isVisible(entry)) continue;
    const value = readEntry(entry);
    if (value !== undefined) out[entry.field.id] = value;
  }
  return out;
}

export function writeScope(scope, values) {
  if (!values || typeof values !== "object") return;
  for (const entry of scope.entries.values()) writeEntry(entry, values[entry.field.id]);
}
