// The outbox (DESIGN.md §6, docs/sync-protocol.md "An op on the device"): the
// sealed ops waiting to reach the server, kept encrypted in the vault as
// records of kind "outbox". This module is the only code that reads or writes
// them. The rest of the app says what it wants done — queue an op, replace the
// ops waiting for an entity, count the attempt, set an answered op aside or
// take it out — inside changeOutbox, and reads the outbox through loadOutbox.
//
// Every change moves the meta "outbox_seq" on (new ops take their seq from it),
// in the same transaction. Decrypting the outbox costs a WebCrypto call per op,
// so the decrypted ops are kept here while the vault is unlocked, as of that
// number: a change made on this page updates them, one made by another tab
// moves the number and they are read again. A save decrypts the outbox at most
// once, however many modules look at it.

import { sealEnvelope } from "./seal.js";
import { countSecrets, isUnlocked, onLockChange, readAllSecrets, readMeta, writeSecrets } from "./vault.js";
import { currentBootstrap } from "./session.js";

const KIND = "outbox";
const SEQ = "outbox_seq";
const LOCK = "visitcheck-outbox";

// {version, ops}: the decrypted outbox as of outbox_seq = version, oldest first.
let held = null;
onLockChange(() => { held = null; });

/** Run body holding the outbox lock (Web Locks: across this device's tabs). */
function withOutboxLock(body) {
  if (navigator.locks && navigator.locks.request) return navigator.locks.request(LOCK, body);
  return body();
}

async function current() {
  const version = (await readMeta(SEQ)) || 0;
  if (!isUnlocked()) held = null;
  if (held && held.version === version) return held;
  const ops = (await readAllSecrets(KIND)).sort((a, b) => a.seq - b.seq);
  held = { version, ops: ops.map((op) => Object.freeze(op)) };
  return held;
}

/** The outbox ops, oldest first (not to be changed in place). */
export async function loadOutbox() {
  return [...(await current()).ops];
}

/** How many ops wait, without decrypting them (works while locked). */
export function countOutbox() {
  return countSecrets(KIND);
}

/** Map entity_id -> {pending, attention: [ops]} for the list and the form. */
export async function outboxByEntity(ops = null) {
  const map = new Map();
  for (const op of ops || await loadOutbox()) {
    const entry = map.get(op.entity_id) || { pending: 0, attention: [] };
    if (op.state === "attention") entry.attention.push(op);
    else entry.pending += 1;
    map.set(op.entity_id, entry);
  }
  return map;
}

// What a person counts in the outbox (issue 16 item 4): visits and people, not ops.
// op type -> [singular, plural, the op field naming the thing it changes]; a visit's
// follow-through counts as that visit, a person's household link as that person.
const WAITING_NOUNS = {
  "checklist.put": ["visit", "visits", "entity_id"],
  "checklist.withdraw": ["visit", "visits", "entity_id"],
  "checklist.followup": ["visit", "visits", "checklist_id"],
  "person.put": ["person", "people", "person_id"],
  "membership.put": ["person", "people", "person_id"],
  "concern.put": ["concern", "concerns", "entity_id"],
  "household.put": ["household", "households", "entity_id"],
  "alert.ack": ["alert acknowledgement", "alert acknowledgements", "entity_id"],
  "visit_plan.put": ["planned visit", "planned visits", "entity_id"],
  "chronology_event.put": ["chronology event", "chronology events", "entity_id"],
};

/** The waiting ops as things a person counts: [{one, many, count}] in a fixed order. */
export function waitingItems(ops) {
  const seen = new Map();
  for (const op of ops) {
    if (op.type === "chronology.open") continue; // the audit's record of an opening: counted in `waiting` only
    const [one, many, field] = WAITING_NOUNS[op.type] || ["item", "items", "op_id"];
    if (!seen.has(one)) seen.set(one, { one, many, ids: new Set() });
    seen.get(one).ids.add(op[field] || op.entity_id || op.op_id);
  }
  const order = [...new Set(Object.values(WAITING_NOUNS).map(([one]) => one)), "item"];
  return [...seen.values()].sort((a, b) => order.indexOf(a.one) - order.indexOf(b.one))
    .map(({ one, many, ids }) => ({ one, many, count: ids.size }));
}

// The base revision a new op of an entity gets, and which waiting ops it replaces
// (docs/sync-protocol.md, "An op on the device"). An entity blocked by an op that
// needs attention has everything after it unsent: one new op from the blocked
// op's base replaces them all. An op never sent is replaced in its place (keepSeq);
// one that was sent may have been applied, so the new op follows it.
function planOp(ops, rev) {
  const attention = ops.filter((op) => op.state === "attention");
  if (attention.length) return { baseRev: attention[0].base_rev, replaces: ops, keepSeq: ops[0].seq };
  if (ops.length) {
    const last = ops[ops.length - 1];
    // A withdrawal is never replaced by a later save: the save follows it (base + 1).
    if (!last.attempts && last.type !== "checklist.withdraw") return { baseRev: last.base_rev, replaces: [last], keepSeq: last.seq };
    return { baseRev: last.base_rev + 1, replaces: [], keepSeq: null };
  }
  return { baseRev: rev, replaces: [], keepSeq: null };
}

/** One change to the outbox, written in one vault transaction by changeOutbox. */
class OutboxChange {
  constructor({ version, ops }) {
    this.version = version;
    this.ops = ops;
    this.seq = version;
    this.removed = new Set();
    this.changed = new Map(); // op_id -> the op as it will be stored
    this.records = []; // other vault records written with it: {kind, id, value}
    this.erased = []; // other vault records removed with it: [kind, id]
  }

  /** The ops waiting for an entity, oldest first, less those this change takes out. */
  of(entityId) {
    return this.ops.filter((op) => op.entity_id === entityId && !this.removed.has(op.op_id));
  }

  /**
   * A new op for an entity replaces what waits for it (planOp): the replaced ops
   * leave, and {baseRev, seq} says where the new one starts (seq null: at the end).
   */
  replace(entityId, rev) {
    const plan = planOp(this.of(entityId), rev);
    this.remove(plan.replaces);
    return { baseRev: plan.baseRev, seq: plan.keepSeq };
  }

  /** Seal and queue an op; fields are kept beside the envelope (household_id, link ...). */
  async add({ type, entityId, baseRev, plaintext, fields = {}, seq = null }) {
    const bootstrap = currentBootstrap();
    if (!bootstrap || !bootstrap.sealing_key) throw new Error("No sealing key yet: sign in online once.");
    const { kid, public_key: publicKey } = bootstrap.sealing_key;
    const opId = crypto.randomUUID();
    const sealed = await sealEnvelope({ kid, publicKey, type, entityId, opId, baseRev, plaintext });
    let opSeq = seq;
    if (opSeq === null) {
      this.seq += 1;
      opSeq = this.seq;
    }
    const op = {
      ...fields,
      op_id: opId, type, entity_id: entityId, base_rev: baseRev, sealed,
      seq: opSeq, attempts: 0, state: "pending", reason: null, queued_at: new Date().toISOString(),
    };
    this.changed.set(opId, op);
    return op;
  }

  /** Take ops out (sent and answered, replaced, or resolved). */
  remove(ops) {
    for (const op of ops) {
      this.removed.add(op.op_id);
      this.changed.delete(op.op_id);
    }
  }

  /** Store an op with some of its fields changed (attempts, state, reason). */
  update(op, patch) {
    this.changed.set(op.op_id, { ...op, ...patch });
  }

  /** Other vault records to write in the same transaction: [{kind, id, value}]. */
  write(records) {
    this.records.push(...records);
  }

  /** Other vault records to delete in the same transaction: [[kind, id]]. */
  erase(keys) {
    this.erased.push(...keys);
  }

  async commit() {
    const outboxChanged = this.removed.size > 0 || this.changed.size > 0;
    if (!outboxChanged && !this.records.length && !this.erased.length) return;
    const version = this.seq > this.version ? this.seq : this.version + 1;
    const put = [...this.changed.values()].map((op) => ({ kind: KIND, id: op.op_id, value: op }));
    const remove = [...this.removed].map((id) => [KIND, id]);
    await writeSecrets({ put: [...this.records, ...put], remove: [...this.erased, ...remove], meta: { [SEQ]: version } });
    const ops = this.ops.filter((op) => !this.removed.has(op.op_id) && !this.changed.has(op.op_id));
    for (const op of this.changed.values()) ops.push(Object.freeze(op));
    held = { version, ops: ops.sort((a, b) => a.seq - b.seq) };
  }
}

/**
 * Change the outbox holding its lock: body(change) says what to do (of, replace,
 * add, remove, update, write, erase); it is all written in one transaction when
 * body returns, and changeOutbox returns what body returned. WebCrypto runs
 * before the transaction opens (style rule 10).
 */
export function changeOutbox(body) {
  return withOutboxLock(async () => {
    const change = new OutboxChange(await current());
    const result = await body(change);
    await change.commit();
    return result;
  });
}
