// Two versions of a record side by side (DESIGN.md §6): the fields that
// differ, labelled for a person (checklist answers from the template; households,
// persons and concerns by field name), and the merge of a choice per field. Pure.

// op type -> the vault kind of the device's copy, and the fields its payload carries.
export const ENTITY_FIELDS = {
  "household.put": { kind: "household", fields: ["address", "professionals"] },
  "person.put": { kind: "person", fields: ["names", "aliases", "date_of_birth", "estimated_age", "sex", "is_child", "children", "recorded_at_visit"] },
  "concern.put": {
    kind: "concern",
    fields: ["person_id", "basis", "source", "source_date", "verified", "protect_source", "fact_or_opinion",
      "mappa_category", "mappa_level", "orders", "works_with_children", "contact", "notes"],
  },
};
// Fields a merge never offers: they identify the record rather than describe it.
const FIXED_FIELDS = new Set(["person_id"]);

export class ConflictChoiceError extends Error {
  constructor(missing) {
    super("Choose which version to keep for every field that differs.");
    this.name = "ConflictChoiceError";
    this.missing = missing;
  }
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function same(a, b) {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

// Key order must not make two equal values differ.
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])]));
  }
  return value === undefined || value === "" ? null : value;
}

// {"visit.present": "Mum", "visit.children.<id>.seen": true, ...}; arrays are leaves.
function leaves(value, prefix = [], out = new Map()) {
  if (isPlainObject(value)) {
    for (const [key, inner] of Object.entries(value)) leaves(inner, [...prefix, key], out);
  } else if (prefix.length) {
    out.set(prefix.join("\u0000"), { path: prefix, value });
  }
  return out;
}

function findField(fields, id) {
  return (fields || []).find((field) => field.id === id) || null;
}

function humanise(name) {
  const text = String(name).replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// A checklist answer's place in words: "Visit › Each child in the household › Mia › Child seen".
function answerLabel(template, path, names) {
  const parts = [];
  const section = findField(template?.sections, path[0]);
  parts.push(section ? section.title || section.id : humanise(path[0]));
  let fields = section ? section.fields : null;
  let field = null;
  for (let i = 1; i < path.length; i += 1) {
    if (field && field.type === "group" && field.repeat) {
      // This segment is one instance of a repeated group: a person, or a row.
      parts.push(names.get(path[i]) || "one entry");
      fields = field.fields;
      field = null;
      continue;
    }
    field = findField(fields, path[i]);
    parts.push(field ? field.label || field.id : humanise(path[i]));
    fields = field ? field.fields : null;
  }
  return { label: parts.join(" › "), field };
}

function optionLabel(field, value) {
  const option = (field?.options || []).find((o) => o.value === value);
  return option ? option.label : String(value);
}

/** A value in words, for the side-by-side view. field: the template field, if any. */
export function describeValue(value, field = null) {
  if (value === undefined || value === null || value === "") return "(not answered)";
  if (typeof value === "boolean") return value ? "Yes" : "No";
  if (Array.isArray(value)) {
    if (!value.length) return "(none)";
    return value.map((item) => (isPlainObject(item) ? describeObject(item) : optionLabel(field, item))).join("; ");
  }
  if (isPlainObject(value)) return describeObject(value);
  if (field && field.options) return optionLabel(field, value);
  if (field && (field.type === "datetime" || field.type === "date")) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) {
      return field.type === "date"
        ? date.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" })
        : date.toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
    }
  }
  return String(value);
}

function describeObject(object) {
  const parts = Object.entries(object)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${humanise(k)}: ${isPlainObject(v) || Array.isArray(v) ? JSON.stringify(v) : describeValue(v)}`);
  return parts.join(", ") || "(empty)";
}

/**
 * The fields of two versions, side by side: [{key, path, label, mine, theirs,
 * differs, field}]. For checklist.put the fields are the answers (leaves of
 * answers[section][field]...) plus the status, labelled from the template;
 * names maps person ids to names for repeated groups. For entity ops they are
 * the payload's fields, labelled by name.
 */
export function compareVersions({ type, mine, theirs, template = null, names = new Map() }) {
  const rows = [];
  if (type === "checklist.put") {
    const a = leaves(mine?.answers || {});
    const b = leaves(theirs?.answers || {});
    const keys = [...new Set([...a.keys(), ...b.keys()])];
    for (const key of keys) {
      const path = (a.get(key) || b.get(key)).path;
      const { label, field } = answerLabel(template, path, names);
      const left = a.get(key)?.value;
      const right = b.get(key)?.value;
      rows.push({ key: path.join("."), path, label, field, mine: left, theirs: right, differs: !same(left, right) });
    }
    const order = templateOrder(template);
    rows.sort((x, y) => (order.get(x.path[0]) ?? 99) - (order.get(y.path[0]) ?? 99));
    return rows;
  }
  const spec = ENTITY_FIELDS[type];
  const fields = spec ? spec.fields : [...new Set([...Object.keys(mine || {}), ...Object.keys(theirs || {})])];
  for (const name of fields) {
    if (FIXED_FIELDS.has(name)) continue;
    const left = mine ? mine[name] : undefined;
    const right = theirs ? theirs[name] : undefined;
    rows.push({ key: name, path: [name], label: humanise(name), field: null, mine: left, theirs: right, differs: !same(left, right) });
  }
  return rows;
}

function templateOrder(template) {
  return new Map((template?.sections || []).map((section, index) => [section.id, index]));
}

function setPath(target, path, value) {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key];
  }
  const last = path[path.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = structuredClone(value);
}

/**
 * The merged payload: the server's version, with the user's value wherever
 * choices[key] === "mine". Every differing field needs a choice
 * (ConflictChoiceError lists the ones missing).
 */
export function mergeVersions({ type, mine, theirs, choices, template = null, names = new Map() }) {
  const rows = compareVersions({ type, mine, theirs, template, names }).filter((row) => row.differs);
  const missing = rows.filter((row) => choices[row.key] !== "mine" && choices[row.key] !== "theirs");
  if (missing.length) throw new ConflictChoiceError(missing.map((row) => row.key));
  if (type === "checklist.put") {
    const answers = structuredClone(theirs?.answers || {});
    for (const row of rows) if (choices[row.key] === "mine") setPath(answers, row.path, row.mine);
    return { ...mine, answers };
  }
  const merged = payloadOf(type, theirs);
  for (const row of rows) {
    if (choices[row.key] !== "mine") continue;
    if (row.mine === undefined) delete merged[row.key];
    else merged[row.key] = structuredClone(row.mine);
  }
  for (const name of FIXED_FIELDS) if (mine && name in mine) merged[name] = mine[name];
  return merged;
}

// The payload fields of a stored copy or of the server's view of an entity.
export function payloadOf(type, record) {
  const spec = ENTITY_FIELDS[type];
  const out = {};
  if (!record) return out;
  for (const name of spec ? spec.fields : Object.keys(record)) {
    if (record[name] !== undefined) out[name] = structuredClone(record[name]);
  }
  return out;
}
