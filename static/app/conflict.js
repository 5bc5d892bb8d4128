// Conflicts shown to a person (DESIGN.md §6, docs/sync-protocol.md).
//
// When a push answers `conflict`, the op waits in the outbox ("attention")
// with the server's revision and content. Nothing is dropped: the user sees
// both versions side by side, field by field (checklist answers labelled from
// the template; households, persons and concerns by field name), and keeps
// theirs, keeps the server's, or merges with a choice per differing field.
// The choice becomes a new op on the server's current revision, which the
// server records as the answer to the conflict (sync_conflicts.resolved_by_op_id).

import { readSecret, writeSecrets } from "./vault.js";
import { loadOutbox, saveChecklist, saveEntity, refreshCounts } from "./sync.js";
import { el } from "./dom.js";

// op type -> the vault kind of the device's copy, and the fields its payload carries.
const ENTITY_FIELDS = {
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
const TYPE_WORDS = {
  "checklist.put": "visit", "household.put": "household", "person.put": "person", "concern.put": "concern",
  "checklist.followup": "follow-through",
};

export class ConflictChoiceError extends Error {
  constructor(missing) {
    super("Choose which version to keep for every field that differs.");
    this.name = "ConflictChoiceError";
    this.missing = missing;
  }
}

function withOutboxLock(body) {
  if (navigator.locks && navigator.locks.request) return navigator.locks.request("visitcheck-outbox", body);
  return body();
}

// ---- comparing ------------------------------------------------------------------

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
function payloadOf(type, record) {
  const spec = ENTITY_FIELDS[type];
  const out = {};
  if (!record) return out;
  for (const name of spec ? spec.fields : Object.keys(record)) {
    if (record[name] !== undefined) out[name] = structuredClone(record[name]);
  }
  return out;
}

// ---- loading and resolving ------------------------------------------------------

/**
 * The conflict waiting on an entity: {op, type, entityId, rev, mine, theirs}
 * or null. mine is the device's version (the draft, or its copy of the
 * entity), theirs the server's content from the conflict answer.
 */
export async function loadConflict(entityId) {
  const ops = (await loadOutbox()).filter((op) => op.entity_id === entityId);
  const op = ops.find((item) => item.state === "attention" && item.reason?.status === "conflict");
  if (!op) return null;
  const theirs = op.reason.current || null;
  let mine;
  if (op.type === "checklist.put") {
    mine = await readSecret("draft", entityId);
  } else if (ENTITY_FIELDS[op.type]) {
    const copy = await readSecret(ENTITY_FIELDS[op.type].kind, entityId);
    mine = copy ? payloadOf(op.type, copy) : null;
  } else {
    mine = null;
  }
  return { op, type: op.type, entityId, rev: op.reason.rev, mine, theirs: op.type === "checklist.put" ? theirs : payloadOf(op.type, theirs) };
}

/**
 * Resolve a conflict: choice "mine" | "theirs" | "merge" (with choices
 * {fieldKey: "mine" | "theirs"} for every differing field). The stuck ops of
 * the entity leave the outbox and one new op, on the server's current
 * revision, carries the result. Keeping the server's version of a checklist
 * sends nothing (its author cannot write a returned or submitted checklist
 * back as it is); the device simply takes the server's copy.
 */
export async function resolveConflict(entityId, { choice, choices = {}, template = null, names = new Map() }) {
  const conflict = await loadConflict(entityId);
  if (!conflict) return null;
  const { type, rev, mine, theirs } = conflict;
  let payload;
  if (choice === "mine") payload = mine;
  else if (choice === "theirs") payload = theirs;
  else if (choice === "merge") payload = mergeVersions({ type, mine, theirs, choices, template, names });
  else throw new TypeError(`unknown choice ${choice}`);
  if (!payload) throw new Error("This version is not on the device any more.");

  // Take the stuck ops out and move the local copy onto the server's revision,
  // so the new op is based on it.
  await withOutboxLock(async () => {
    const ops = (await loadOutbox()).filter((item) => item.entity_id === entityId);
    const remove = ops.map((item) => ["outbox", item.op_id]);
    const put = [];
    if (type === "checklist.put") {
      const draft = (await readSecret("draft", entityId)) || {};
      const server = conflict.op.reason.current || {};
      const value = choice === "theirs"
        ? { ...draft, ...server, id: entityId, rev }
        : { ...draft, answers: payload.answers, rev };
      put.push({ kind: "draft", id: entityId, value });
    } else if (ENTITY_FIELDS[type]) {
      const kind = ENTITY_FIELDS[type].kind;
      const copy = (await readSecret(kind, entityId)) || {};
      put.push({ kind, id: entityId, value: { ...copy, ...(conflict.op.reason.current || {}), ...payload, id: entityId, rev } });
    }
    await writeSecrets({ put, remove });
  });

  let queued = null;
  if (type === "checklist.put") {
    if (choice !== "theirs") {
      const draft = await readSecret("draft", entityId);
      queued = await saveChecklist({ ...draft, rev, saved_at: new Date().toISOString() });
    }
  } else if (ENTITY_FIELDS[type]) {
    const kind = ENTITY_FIELDS[type].kind;
    const copy = await readSecret(kind, entityId);
    queued = await saveEntity({
      type, entityId, payload, baseRev: rev,
      meta: conflict.op.person_id ? { person_id: conflict.op.person_id } : {},
      local: [{ kind, id: entityId, value: copy }],
    });
  }
  await refreshCounts();
  return queued;
}

// ---- the side-by-side view -------------------------------------------------------

let panelCounter = 0;


function actionButton(text, onClick, variant = "") {
  const node = el("button", { type: "button", class: `button ${variant}`.trim(), text });
  node.addEventListener("click", onClick);
  return node;
}

/**
 * The two versions side by side, with the three ways out. conflict: from
 * loadConflict; template and names (person id -> name) label a checklist's
 * answers. onResolved(choice) runs after the new op is queued.
 */
export function conflictPanel({ conflict, template = null, names = new Map(), onResolved = () => {} }) {
  panelCounter += 1;
  const prefix = `conflict-${panelCounter}`;
  const { type, entityId, mine, theirs } = conflict;
  const rows = compareVersions({ type, mine, theirs, template, names }).filter((row) => row.differs);
  const what = TYPE_WORDS[type] || "record";
  const panel = el("section", { class: "conflict", "data-entity": entityId, "data-type": type, "aria-labelledby": `${prefix}-title` });
  panel.append(
    el("h3", { id: `${prefix}-title`, text: `Your ${what} and the server's version` }),
    el("p", { text: `Someone changed this ${what} on the server after you last synced it. Nothing is sent until you choose: keep your version, keep the server's, or choose field by field.` }),
  );
  const status = el("p", { class: "field-error", role: "alert", hidden: true });
  const choices = {};
  if (rows.length) {
    const body = el("tbody");
    rows.forEach((row, index) => {
      const name = `${prefix}-${index}`;
      const legendId = `${name}-legend`;
      const group = el("fieldset", { class: "conflict-choice" },
        el("legend", { id: legendId, class: "visually-hidden", text: `Keep for ${row.label}` }));
      for (const [value, text] of [["mine", "Yours"], ["theirs", "Server's"]]) {
        const input = el("input", { type: "radio", name, value, id: `${name}-${value}` });
        input.addEventListener("change", () => { choices[row.key] = value; });
        group.append(el("label", { for: `${name}-${value}`, class: "choice" }, input, ` ${text}`));
      }
      body.append(el("tr", { "data-field": row.key },
        el("th", { scope: "row", text: row.label }),
        el("td", { class: "conflict-mine", text: describeValue(row.mine, row.field) }),
        el("td", { class: "conflict-theirs", text: describeValue(row.theirs, row.field) }),
        el("td", {}, group)));
    });
    panel.append(el("table", { class: "conflict-table" },
      el("caption", { text: `${rows.length} ${rows.length === 1 ? "field differs" : "fields differ"}` }),
      el("thead", {}, el("tr", {},
        el("th", { scope: "col", text: "Field" }),
        el("th", { scope: "col", text: "Your version" }),
        el("th", { scope: "col", text: "Server's version" }),
        el("th", { scope: "col", text: "Keep" }))),
      body));
  } else {
    panel.append(el("p", { class: "note", text: "The two versions hold the same answers." }));
  }
  const run = (choice) => async () => {
    status.hidden = true;
    try {
      await resolveConflict(entityId, { choice, choices, template, names });
      await onResolved(choice);
    } catch (error) {
      status.textContent = error instanceof ConflictChoiceError
        ? `Error: ${error.message} ${error.missing.length} still ${error.missing.length === 1 ? "needs" : "need"} a choice.`
        : `Error: ${error.message}`;
      status.hidden = false;
    }
  };
  const actions = el("div", { class: "actions" },
    actionButton("Keep my version", run("mine")),
    theirs ? actionButton("Use the server's version", run("theirs"), "secondary") : null,
    rows.length > 1 ? actionButton("Save merged version", run("merge"), "secondary") : null);
  panel.append(status, actions);
  return panel;
}

/**
 * Load the conflict waiting on entityId and put its panel into container
 * (left empty when there is none). Returns the conflict or null.
 */
export async function mountConflict(container, entityId, { template = null, names = new Map(), onResolved = () => {} } = {}) {
  const conflict = await loadConflict(entityId);
  container.replaceChildren();
  if (!conflict) return null;
  container.append(conflictPanel({ conflict, template, names, onResolved }));
  return conflict;
}

/** What an op is about, in words, for the "needs attention" list. */
export function attentionSubject(op, where) {
  if (op.type === "checklist.put" || !op.type) return `visit at ${where}`;
  const what = TYPE_WORDS[op.type] || op.type.replace(/\.put$/, "").replace(/\./g, " ");
  return op.type === "household.put" ? `${what} ${where}` : `${what} record`;
}
