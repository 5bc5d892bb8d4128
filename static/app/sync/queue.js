// Saving on the device queues ops (DESIGN.md §6): a checklist's draft and its
// sealed checklist.put, or the copies of households, people and concerns and
// their entity ops, are written together in one transaction of the outbox
// (outbox.js changeOutbox), so the UI and the rules see a change at once, offline.

import { readSecret } from "../vault.js";
import { changeOutbox } from "../outbox.js";
import { readDraft } from "../caseload.js";
import { refreshCounts } from "./status.js";

// op type -> the vault kind holding the device's copy of that entity
// (membership.put is set-like: a link has no copy of its own).
export const ENTITY_KINDS = {
  "household.put": "household", "person.put": "person", "concern.put": "concern",
  "chronology_event.put": "chronology_event", // a child's significant event (chronology.js)
  "visit_plan.put": "visit_plan", // a planned visit (today.js)
};
// Set-like ops (a link, an alert acknowledgement) always go with base_rev 0.
const ENTITY_OPS = new Set([...Object.keys(ENTITY_KINDS), "membership.put", "alert.ack",
  "chronology.open"]); // an opening of a child's chronology, for the audit (chronology.js)

function plaintextOf(draft) {
  return {
    template: draft.template,
    template_version: draft.template_version,
    household_id: draft.household_id,
    status: draft.status,
    answers: draft.answers,
    saved_at: draft.saved_at,
  };
}

/**
 * Save a checklist draft locally and queue a sealed checklist.put for it,
 * atomically. draft: {id, household_id, template, template_version, status,
 * answers, saved_at, rev}. Returns the op queued.
 */
export async function saveChecklist(draft) {
  const op = await changeOutbox(async (outbox) => {
    // The sync loop may have moved the stored revision on since the caller read it.
    const stored = await readDraft(draft.id);
    const rev = Math.max(draft.rev || 0, (stored && stored.rev) || 0);
    const { baseRev } = outbox.replace(draft.id, rev);
    const queued = await outbox.add({
      type: "checklist.put", entityId: draft.id, baseRev, plaintext: plaintextOf(draft),
      fields: { household_id: draft.household_id, status: draft.status },
    });
    outbox.write([{ kind: "draft", id: draft.id, value: { ...draft, rev } }]);
    return queued;
  });
  await refreshCounts();
  return op;
}

/**
 * Withdraw a submitted visit (op checklist.withdraw, docs/sync-protocol.md): the
 * draft is editable again at once, offline. A submission the server never saw
 * is simply saved back as a draft in its place; otherwise a sealed withdrawal
 * follows the submission in the outbox, from the revision it has (or will have).
 */
export async function withdrawChecklist(draft) {
  const op = await changeOutbox(async (outbox) => {
    const waiting = outbox.of(draft.id);
    const tail = waiting[waiting.length - 1];
    if (tail && !tail.attempts && tail.type === "checklist.put") return null;
    const stored = await readDraft(draft.id);
    const rev = Math.max(draft.rev || 0, (stored && stored.rev) || 0);
    const queued = await outbox.add({
      type: "checklist.withdraw", entityId: draft.id, baseRev: tail ? tail.base_rev + 1 : rev,
      plaintext: { withdrawn_at: new Date().toISOString() },
      fields: { household_id: draft.household_id, status: "draft" },
    });
    outbox.write([{ kind: "draft", id: draft.id, value: { ...(stored || draft), rev, status: "draft" } }]);
    return queued;
  });
  if (!op) return saveChecklist({ ...draft, status: "draft" });
  await refreshCounts();
  return op;
}

/**
 * Queue sealed entity ops and write the device's copies they change, in one
 * IndexedDB transaction, so the UI and the rules see the change at once,
 * offline. items: [{type, entityId, payload, baseRev, meta?}] in the order the
 * server must apply them (e.g. person.put before the membership.put linking
 * it). local: [{kind, id, value}] copies to write (household/person/concern).
 *
 * The base_rev rules are saveChecklist's: the revision the device last saw
 * (never less than its stored copy's); when earlier ops of the entity still
 * wait, an unsent one is replaced (same base_rev, new op_id) and a sent one is
 * followed (its base_rev + 1); a blocked entity is re-queued from the blocked
 * op's base_rev. Unlike a checklist, a replaced entity op keeps its place in
 * the queue, since later ops (links, concerns) may need it applied first.
 * membership.put is set-like and always goes with base_rev 0.
 */
export async function saveEntities(items, { local = [] } = {}) {
  for (const item of items) {
    if (!ENTITY_OPS.has(item.type)) throw new TypeError(`not an entity op: ${item.type}`);
  }
  const queued = await changeOutbox(async (outbox) => {
    const made = [];
    for (const item of items) {
      const kind = ENTITY_KINDS[item.type];
      let baseRev = 0;
      let seq = null;
      if (kind) {
        const stored = await readSecret(kind, item.entityId);
        const rev = Math.max(item.baseRev || 0, (stored && stored.rev) || 0);
        ({ baseRev, seq } = outbox.replace(item.entityId, rev));
      }
      made.push(await outbox.add({
        type: item.type, entityId: item.entityId, baseRev, plaintext: item.payload, fields: item.meta || {}, seq,
      }));
    }
    outbox.write(local);
    return made;
  });
  await refreshCounts();
  return queued;
}

/** One entity op: saveEntities([{type, entityId, payload, baseRev}], {local}). */
export async function saveEntity({ type, entityId, payload, baseRev = 0, meta = {}, local = [] }) {
  const [op] = await saveEntities([{ type, entityId, payload, baseRev, meta }], { local });
  return op;
}
