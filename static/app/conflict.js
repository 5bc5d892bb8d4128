// Conflicts shown to a person (DESIGN.md §6, docs/sync-protocol.md).
//
// When a push answers `conflict`, the op waits in the outbox ("attention")
// with the server's revision and content. Nothing is dropped: the user sees
// both versions side by side, field by field (conflict/versions.js), and keeps
// theirs, keeps the server's, or merges with a choice per differing field.
// The choice becomes a new op on the server's current revision, which the
// server records as the answer to the conflict (sync_conflicts.resolved_by_op_id).

import { readSecret } from "./vault.js";
import { changeOutbox, loadOutbox } from "./outbox.js";
import { readDraft } from "./caseload.js";
import { saveChecklist, saveEntity } from "./sync/queue.js";
import { refreshCounts } from "./sync/status.js";
import {
  ConflictChoiceError, ENTITY_FIELDS, compareVersions, describeValue, mergeVersions, payloadOf,
} from "./conflict/versions.js";
import { button, el } from "./dom.js";

const TYPE_WORDS = {
  "checklist.put": "visit", "household.put": "household", "person.put": "person", "concern.put": "concern",
  "checklist.followup": "follow-through",
};

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
    mine = await readDraft(entityId);
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
  await changeOutbox(async (outbox) => {
    outbox.remove(outbox.of(entityId));
    if (type === "checklist.put") {
      const draft = (await readDraft(entityId)) || {};
      const server = conflict.op.reason.current || {};
      const value = choice === "theirs"
        ? { ...draft, ...server, id: entityId, rev }
        : { ...draft, answers: payload.answers, rev };
      outbox.write([{ kind: "draft", id: entityId, value }]);
    } else if (ENTITY_FIELDS[type]) {
      const kind = ENTITY_FIELDS[type].kind;
      const copy = (await readSecret(kind, entityId)) || {};
      outbox.write([{ kind, id: entityId, value: { ...copy, ...(conflict.op.reason.current || {}), ...payload, id: entityId, rev } }]);
    }
  });

  let queued = null;
  if (type === "checklist.put") {
    if (choice !== "theirs") {
      const draft = await readDraft(entityId);
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
    button("Keep my version", run("mine")),
    theirs ? button("Use the server's version", run("theirs"), { variant: "secondary" }) : null,
    rows.length > 1 ? button("Save merged version", run("merge"), { variant: "secondary" }) : null);
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
