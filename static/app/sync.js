// The outbox and the sync loop (DESIGN.md §6).
//
// Saving a checklist writes the draft and queues a sealed checklist.put op
// in one IndexedDB transaction. Each op stays in the (encrypted) outbox until
// the server answers applied or duplicate. A conflict or rejection sets the
// op aside ("attention") with its reason; later ops of other entities flow.
// Sync = flush the outbox, then pull; on start, on "online", after each save,
// and on a timer with exponential backoff and jitter while failing.

import { pushOps, pullChanges, hasCsrfToken, setCsrfToken, NetworkError, ApiError } from "./api.js";
import { sealEnvelope } from "./seal.js";
import { isUnlocked, readAllSecrets, readSecret, writeSecrets, readMeta, writeMeta, countSecrets } from "./vault.js";
import { currentBootstrap, refreshSession, ensureDeviceRegistered, WrongUserError } from "./session.js";

// The server takes up to 100 ops a request; smaller batches are answered (and
// leave the outbox) as they go, so a connection that drops part-way through a
// long queue costs one small batch, not the whole queue.
const MAX_OPS_PER_PUSH = 25;
// The Background Sync tag (Chromium): the service worker asks open pages to flush.
export const BACKGROUND_SYNC_TAG = "visitcheck-outbox";
// Pulled entities kept as they come (encrypted), under their type as the record kind.
const STORED_AS_IS = new Set(["household", "person", "concern", "alert", "followup", "chronology_event", "visit_plan"]);
const PULL_PAGE = 200;
const BACKOFF_BASE_MS = 5000;
const BACKOFF_MAX_MS = 5 * 60 * 1000;
const PERIODIC_MS = 5 * 60 * 1000;
// The backoff after failed syncs, in the vault's (clear, non-personal) meta:
// {failures, next_at (ms since the epoch), offline}. Kept there rather than in
// this page's memory because a sync can be woken from several places (the
// timer, "online", Background Sync via the service worker, the Sync now button,
// a save, another tab): every one of them asks the same gate, so none can
// reset the count and retry at once (issue 12: 723 pushes in 10 s).
const BACKOFF_META = "sync_backoff";

const listeners = new Set();
// dataVersion goes up whenever sync changed what the vault holds (for re-rendering).
let state = { phase: "idle", waiting: 0, attention: 0, lastSyncAt: null, message: "", dataVersion: 0, retryAt: null };
let running = null;
let rerun = false;
let timer = null;
let onWipe = null;
let started = false;
let listening = false;

// ---- small helpers -------------------------------------------------------

function withLock(name, body) {
  if (navigator.locks && navigator.locks.request) return navigator.locks.request(name, body);
  return body();
}

function emit(patch) {
  state = { ...state, ...patch };
  for (const listener of listeners) {
    try { listener(state); } catch (error) { console.error(error); }
  }
}

/** Subscribe to sync state {phase, waiting, attention, lastSyncAt, message}. */
export function onSyncState(listener) {
  listeners.add(listener);
  listener(state);
  return () => listeners.delete(listener);
}

export function syncState() {
  return state;
}

/** The outbox ops, oldest first. */
export async function loadOutbox() {
  const ops = await readAllSecrets("outbox");
  return ops.sort((a, b) => a.seq - b.seq);
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

/** Recount the outbox and tell listeners. Works while locked (count only). */
export async function refreshCounts() {
  const meta = await readMeta("last_sync_at");
  if (!isUnlocked()) {
    const total = await countSecrets("outbox");
    emit({ waiting: total, attention: 0, lastSyncAt: meta || null, waitingItems: null });
    return;
  }
  const ops = await loadOutbox();
  const attention = ops.filter((op) => op.state === "attention").length;
  emit({ waiting: ops.length - attention, attention, lastSyncAt: meta || null,
    waitingItems: waitingItems(ops.filter((op) => op.state !== "attention")) });
  if (ops.length > attention) requestBackgroundSync();
}

/**
 * Ask the browser for a Background Sync (where it has one: Chromium) so that
 * when the connection returns the service worker wakes and asks open pages
 * to flush. The worker holds no key, so it cannot read the outbox itself.
 */
export async function requestBackgroundSync() {
  try {
    if (!("serviceWorker" in navigator)) return false;
    const registration = await navigator.serviceWorker.getRegistration();
    if (!registration || !registration.sync || !registration.active) return false;
    await registration.sync.register(BACKGROUND_SYNC_TAG);
    return true;
  } catch {
    return false; // not allowed here (permission, private mode): the timer and "online" remain
  }
}

/** Map entity_id -> {pending, attention: [ops]} for the list and the form. */
export async function outboxByEntity() {
  const map = new Map();
  for (const op of await loadOutbox()) {
    const entry = map.get(op.entity_id) || { pending: 0, attention: [] };
    if (op.state === "attention") entry.attention.push(op);
    else entry.pending += 1;
    map.set(op.entity_id, entry);
  }
  return map;
}

// ---- queueing ------------------------------------------------------------

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

/**
 * Save a checklist draft locally and queue a sealed checklist.put for it,
 * atomically. draft: {id, household_id, template, template_version, status,
 * answers, saved_at, rev}. Returns the op queued.
 */
export async function saveChecklist(draft) {
  const bootstrap = currentBootstrap();
  if (!bootstrap || !bootstrap.sealing_key) throw new Error("No sealing key yet: sign in online once.");
  const { kid, public_key: publicKey } = bootstrap.sealing_key;
  const op = await withLock("visitcheck-outbox", async () => {
    const ops = (await loadOutbox()).filter((item) => item.entity_id === draft.id);
    // The sync loop may have moved the stored revision on since the caller read it.
    const stored = await readSecret("draft", draft.id);
    const rev = Math.max(draft.rev || 0, (stored && stored.rev) || 0);
    const record = { ...draft, rev };
    const remove = [];
    const { baseRev, replaces } = planOp(ops, rev);
    for (const item of replaces) remove.push(["outbox", item.op_id]);
    const opId = crypto.randomUUID();
    const sealed = await sealEnvelope({
      kid, publicKey, type: "checklist.put", entityId: draft.id, opId, baseRev, plaintext: plaintextOf(draft),
    });
    const seq = ((await readMeta("outbox_seq")) || 0) + 1;
    const queued = {
      op_id: opId, type: "checklist.put", entity_id: draft.id, base_rev: baseRev, sealed,
      seq, attempts: 0, state: "pending", reason: null, queued_at: new Date().toISOString(),
      household_id: draft.household_id, status: draft.status,
    };
    await writeSecrets({
      put: [{ kind: "draft", id: draft.id, value: record }, { kind: "outbox", id: opId, value: queued }],
      remove,
      meta: { outbox_seq: seq },
    });
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
  const unsent = (await loadOutbox()).filter((op) => op.entity_id === draft.id);
  const last = unsent[unsent.length - 1];
  if (last && !last.attempts && last.type === "checklist.put") {
    return saveChecklist({ ...draft, status: "draft" });
  }
  const bootstrap = currentBootstrap();
  if (!bootstrap || !bootstrap.sealing_key) throw new Error("No sealing key yet: sign in online once.");
  const { kid, public_key: publicKey } = bootstrap.sealing_key;
  const op = await withLock("visitcheck-outbox", async () => {
    const ops = (await loadOutbox()).filter((item) => item.entity_id === draft.id);
    const stored = await readSecret("draft", draft.id);
    const rev = Math.max(draft.rev || 0, (stored && stored.rev) || 0);
    const tail = ops[ops.length - 1];
    const baseRev = tail ? tail.base_rev + 1 : rev;
    const opId = crypto.randomUUID();
    const sealed = await sealEnvelope({
      kid, publicKey, type: "checklist.withdraw", entityId: draft.id, opId, baseRev,
      plaintext: { withdrawn_at: new Date().toISOString() },
    });
    const seq = ((await readMeta("outbox_seq")) || 0) + 1;
    const queued = {
      op_id: opId, type: "checklist.withdraw", entity_id: draft.id, base_rev: baseRev, sealed,
      seq, attempts: 0, state: "pending", reason: null, queued_at: new Date().toISOString(),
      household_id: draft.household_id, status: "draft",
    };
    await writeSecrets({
      put: [{ kind: "draft", id: draft.id, value: { ...(stored || draft), rev, status: "draft" } },
        { kind: "outbox", id: opId, value: queued }],
      meta: { outbox_seq: seq },
    });
    return queued;
  });
  await refreshCounts();
  return op;
}

// ---- entity ops (household.put, person.put, membership.put, concern.put) ----

// op type -> the vault kind holding the device's copy of that entity
// (membership.put is set-like: a link has no copy of its own).
const ENTITY_KINDS = {
  "household.put": "household", "person.put": "person", "concern.put": "concern",
  "chronology_event.put": "chronology_event", // a child's significant event (chronology.js)
  "visit_plan.put": "visit_plan", // a planned visit (today.js)
};
// Set-like ops (a link, an alert acknowledgement) always go with base_rev 0.
const ENTITY_OPS = new Set([...Object.keys(ENTITY_KINDS), "membership.put", "alert.ack",
  "chronology.open"]); // an opening of a child's chronology, for the audit (chronology.js)

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
  const bootstrap = currentBootstrap();
  if (!bootstrap || !bootstrap.sealing_key) throw new Error("No sealing key yet: sign in online once.");
  const { kid, public_key: publicKey } = bootstrap.sealing_key;
  for (const item of items) {
    if (!ENTITY_OPS.has(item.type)) throw new TypeError(`not an entity op: ${item.type}`);
  }
  const queued = await withLock("visitcheck-outbox", async () => {
    const outbox = await loadOutbox();
    const put = [];
    const remove = [];
    const made = [];
    let seq = (await readMeta("outbox_seq")) || 0;
    for (const item of items) {
      const kind = ENTITY_KINDS[item.type];
      const ops = outbox.filter((op) => op.entity_id === item.entityId && !remove.some(([, id]) => id === op.op_id));
      let baseRev = 0;
      let keepSeq = null;
      if (kind) {
        const stored = await readSecret(kind, item.entityId);
        const rev = Math.max(item.baseRev || 0, (stored && stored.rev) || 0);
        const plan = planOp(ops, rev);
        baseRev = plan.baseRev;
        keepSeq = plan.keepSeq;
        for (const op of plan.replaces) remove.push(["outbox", op.op_id]);
      }
      const opId = crypto.randomUUID();
      const sealed = await sealEnvelope({
        kid, publicKey, type: item.type, entityId: item.entityId, opId, baseRev, plaintext: item.payload,
      });
      let opSeq = keepSeq;
      if (opSeq === null) {
        seq += 1;
        opSeq = seq;
      }
      const op = {
        ...(item.meta || {}),
        op_id: opId, type: item.type, entity_id: item.entityId, base_rev: baseRev, sealed,
        seq: opSeq, attempts: 0, state: "pending", reason: null, queued_at: new Date().toISOString(),
      };
      put.push({ kind: "outbox", id: opId, value: op });
      made.push(op);
    }
    await writeSecrets({ put: [...local, ...put], remove, meta: { outbox_seq: seq } });
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

// ---- flushing --------------------------------------------------------------

async function applyResults(batch, results) {
  await withLock("visitcheck-outbox", async () => {
    const byId = new Map(results.map((result) => [result.op_id, result]));
    const current = new Map((await loadOutbox()).map((op) => [op.op_id, op]));
    const put = [];
    const remove = [];
    const revs = new Map();
    const entityRevs = new Map(); // the device's copies of households, persons, concerns
    for (const sent of batch) {
      const result = byId.get(sent.op_id);
      const op = current.get(sent.op_id);
      if (!result || !op) continue;
      if (result.status === "applied" || result.status === "duplicate") {
        remove.push(["outbox", op.op_id]);
        if (Number.isInteger(result.rev)) revs.set(op.entity_id, result.rev);
        if (Number.isInteger(result.rev) && ENTITY_KINDS[op.type]) entityRevs.set(op.entity_id, [ENTITY_KINDS[op.type], result.rev]);
      } else if (result.status === "conflict") {
        put.push({ kind: "outbox", id: op.op_id, value: {
          ...op, state: "attention",
          reason: { status: "conflict", rev: result.rev, current: result.current || null },
        } });
      } else if (result.status === "rejected") {
        put.push({ kind: "outbox", id: op.op_id, value: {
          ...op, state: "attention",
          reason: { status: "rejected", error: result.error || { title: "Rejected by the server" } },
        } });
      }
    }
    for (const [entityId, rev] of revs) {
      const draft = await readSecret("draft", entityId);
      if (draft && (draft.rev || 0) < rev) put.push({ kind: "draft", id: entityId, value: { ...draft, rev } });
    }
    for (const [entityId, [kind, rev]] of entityRevs) {
      const copy = await readSecret(kind, entityId);
      if (copy && (copy.rev || 0) < rev) put.push({ kind, id: entityId, value: { ...copy, rev } });
    }
    await writeSecrets({ put, remove });
  });
}

async function flushOutbox(deviceId) {
  for (;;) {
    const batch = await withLock("visitcheck-outbox", async () => {
      const ops = await loadOutbox();
      const blocked = new Set(ops.filter((op) => op.state === "attention").map((op) => op.entity_id));
      const ready = ops.filter((op) => op.state !== "attention" && !blocked.has(op.entity_id)).slice(0, MAX_OPS_PER_PUSH);
      if (ready.length) {
        // Count the attempt before sending, so a later save appends instead of replacing.
        await writeSecrets({ put: ready.map((op) => ({
          kind: "outbox", id: op.op_id, value: { ...op, attempts: (op.attempts || 0) + 1 },
        })) });
      }
      return ready;
    });
    if (!batch.length) return;
    emit({ phase: "sending", sending: batch.length });
    const answer = await pushOps({
      deviceId,
      ops: batch.map((op) => ({
        op_id: op.op_id, type: op.type, entity_id: op.entity_id, base_rev: op.base_rev, sealed: op.sealed,
      })),
    });
    const results = Array.isArray(answer && answer.results) ? answer.results : [];
    await applyResults(batch, results);
    await refreshCounts();
    emit({ dataVersion: state.dataVersion + 1 });
    const answered = results.filter((r) => r.status).length;
    if (answered === 0 || batch.length < MAX_OPS_PER_PUSH) return;
  }
}

// ---- pulling ---------------------------------------------------------------

// A pulled household or person, with the links this device made that the
// server has not applied yet (membership.put ops carry {link: {household_id,
// person_id, residence, member}} beside their sealed envelope).
function withPendingLinks(kind, value, links) {
  if (!links.length || (kind !== "household" && kind !== "person")) return value;
  if (kind === "household") {
    const members = [...(value.members || [])];
    for (const { link } of links) {
      if (link.household_id !== value.id) continue;
      const at = members.findIndex((m) => m.person_id === link.person_id);
      const member = { ...(at >= 0 ? members[at] : link.member || { person_id: link.person_id }), residence: link.residence };
      if (at >= 0) members[at] = member;
      else members.push(member);
    }
    return { ...value, members };
  }
  const households = [...(value.households || [])];
  for (const { link } of links) {
    if (link.person_id !== value.id) continue;
    const at = households.findIndex((h) => h.household_id === link.household_id);
    const entry = { household_id: link.household_id, residence: link.residence };
    if (at >= 0) households[at] = entry;
    else households.push(entry);
  }
  return { ...value, households };
}

async function applyChanges(changes, cursor) {
  const put = [];
  const remove = [];
  const pending = await outboxByEntity();
  const links = (await loadOutbox()).filter((op) => op.type === "membership.put" && op.link);
  for (const change of changes) {
    const id = change.entity_id;
    // Purged on the server (retention): the device's copy goes too, drafts included.
    const deleted = change.data != null && change.data.deleted === true;
    if (STORED_AS_IS.has(change.type)) {
      if (change.data == null || deleted) remove.push([change.type, id]);
      // A local edit still waiting to be sent stays (like a draft); links
      // made here and not yet sent are kept on the server's copy.
      else if (!pending.has(id)) put.push({ kind: change.type, id, value: withPendingLinks(change.type, change.data, links) });
    } else if (change.type === "checklist") {
      if (deleted) remove.push(["draft", id]);
      if (change.data == null || deleted) {
        remove.push(["checklist", id]);
        continue;
      }
      const copy = { ...change.data, id, rev: change.rev ?? change.data.rev };
      put.push({ kind: "checklist", id, value: copy });
      // A newer server copy (e.g. returned by a team lead) replaces a local
      // draft that has nothing waiting to be sent.
      const draft = await readSecret("draft", id);
      if (draft && !pending.has(id) && (draft.rev || 0) < (copy.rev || 0)) {
        put.push({ kind: "draft", id, value: { ...draft, ...copy } });
      }
    }
    // Unknown types are skipped (newer server, older shell): the cursor still moves.
  }
  await writeSecrets({ put, remove, meta: { pull_cursor: cursor } });
}

async function pullAll() {
  let cursor = (await readMeta("pull_cursor")) || 0;
  let changed = false;
  for (let page = 0; page < 1000; page += 1) {
    const answer = await pullChanges({ cursor, limit: PULL_PAGE });
    const changes = Array.isArray(answer.changes) ? answer.changes : [];
    const next = Number.isInteger(answer.cursor) ? answer.cursor : cursor;
    if (changes.length || next !== cursor) await applyChanges(changes, next);
    if (changes.length) {
      changed = true;
      emit({ dataVersion: state.dataVersion + 1 });
    }
    if (!answer.more || next === cursor) break;
    cursor = next;
  }
  return changed;
}

// ---- the loop --------------------------------------------------------------

function schedule(delayMs) {
  clearTimeout(timer);
  if (!started) return;
  timer = setTimeout(() => { syncNow("timer"); }, delayMs);
}

/**
 * The wait before retry number `failureCount` (1, 2, ...): exponential from
 * 5 s, capped at 5 minutes, with "equal jitter" (a random half on top of a
 * fixed half), so devices that failed together do not retry together.
 */
export function retryDelayMs(failureCount, random = Math.random, maxMs = BACKOFF_MAX_MS) {
  const exp = Math.min(maxMs, BACKOFF_BASE_MS * 2 ** Math.min(Math.max(failureCount - 1, 0), 10));
  return Math.round(exp / 2 + random() * exp / 2);
}

// The cap, from the server's policy when it gives one (tests shorten it).
function backoffMaxMs() {
  const seconds = currentBootstrap()?.policy?.sync_backoff_max_seconds;
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : BACKOFF_MAX_MS;
}

async function readBackoff() {
  const stored = await readMeta(BACKOFF_META);
  return stored && Number.isFinite(stored.next_at) ? stored : { failures: 0, next_at: 0, offline: false };
}

/** How long until a sync may go out again (0: now). */
export async function backoffRemainingMs() {
  return Math.max(0, (await readBackoff()).next_at - Date.now());
}

/** A sync failed: one more failure, and the next try pushed out. Returns the wait. */
async function noteFailure() {
  const failures = (await readBackoff()).failures + 1;
  const delay = retryDelayMs(failures, Math.random, backoffMaxMs());
  await writeMeta({ [BACKOFF_META]: { failures, next_at: Date.now() + delay, offline: !navigator.onLine } });
  return delay;
}

async function noteSuccess() {
  await writeMeta({ [BACKOFF_META]: { failures: 0, next_at: 0, offline: false } });
}

/**
 * The browser says the connection is back. If the last failure happened while it
 * knew it was offline, that cause is gone: one try may go now (the count is kept,
 * so if it fails the wait grows as before). A failure while "online" (the server
 * failing, a connection that drops) keeps its wait: "online" fires only on a
 * change, but it says nothing about the server.
 */
async function allowTryAfterOffline() {
  const backoff = await readBackoff();
  if (backoff.offline && backoff.next_at > Date.now()) {
    await writeMeta({ [BACKOFF_META]: { ...backoff, next_at: 0, offline: false } });
  }
}

/**
 * A retired device pushes what waits before it wipes. Needs a CSRF token: the
 * one this page holds, or one the 410 answer carries. "offline" when the
 * connection failed (try again later, do not wipe yet), else "done".
 */
async function drainBeforeRetiring(deviceId, problem) {
  if (problem && typeof problem.csrf_token === "string") setCsrfToken(problem.csrf_token);
  if (!hasCsrfToken()) return "done";
  try {
    await flushOutbox(deviceId);
  } catch (error) {
    if (error instanceof NetworkError || (error instanceof ApiError && error.transient)) return "offline";
    if (!(error instanceof ApiError)) console.error(error);
  }
  return "done";
}

async function runSync() {
  if (!isUnlocked()) return { changed: false };
  const wait = await backoffRemainingMs();
  if (wait > 0) {
    // Woken early (Sync now, Background Sync, a save, "online"): the last
    // failure's wait stands; the timer tries when it is over.
    emit({ retryAt: new Date(Date.now() + wait).toISOString() });
    schedule(wait);
    return { changed: false, deferred: true };
  }
  const info = await readMeta("device_id");
  emit({ phase: "syncing", message: "", retryAt: null });
  let attemptCsrf = true;
  for (;;) {
    try {
      if (!hasCsrfToken()) await refreshSession();
      await ensureDeviceRegistered();
      await flushOutbox(info);
      emit({ phase: "syncing" });
      const changed = await pullAll();
      const now = new Date().toISOString();
      await writeSecrets({ meta: { last_sync_at: now } });
      await noteSuccess();
      await refreshCounts();
      emit({ phase: "idle", message: "" });
      schedule(PERIODIC_MS);
      return { changed };
    } catch (error) {
      if (error instanceof ApiError && error.csrfFailed && attemptCsrf) {
        attemptCsrf = false;
        setCsrfToken(null);
        continue;
      }
      await refreshCounts().catch(() => {});
      if (error instanceof ApiError && error.wipe) {
        const mode = error.problem.mode === "retire" ? "retire" : "lost";
        if (mode === "retire") {
          // Retired: the server still takes pushes, so the outbox goes first.
          const drained = await drainBeforeRetiring(info, error.problem);
          if (drained === "offline") {
            const delay = await noteFailure();
            emit({ phase: "offline", message: "", retryAt: new Date(Date.now() + delay).toISOString() });
            schedule(delay);
            return { changed: false, error };
          }
        }
        const unsent = await countSecrets("outbox").catch(() => 0);
        emit({ phase: "revoked", message: "This device was revoked." });
        if (onWipe) await onWipe({ mode, unsent });
        return { changed: false };
      }
      if (error instanceof ApiError && error.signedOut) {
        setCsrfToken(null);
        emit({ phase: "signed-out", message: "Sign in again to sync." });
        return { changed: false };
      }
      if (error instanceof WrongUserError) {
        emit({ phase: "wrong-user", message: error.message });
        return { changed: false };
      }
      // Written before this run ends, so the rerun that a Background Sync
      // wake-up asks for meanwhile (refreshCounts registers it) finds the wait.
      const delay = await noteFailure();
      const offline = error instanceof NetworkError || !navigator.onLine;
      emit({
        phase: offline ? "offline" : "error",
        message: offline ? "" : (error.message || "Sync failed."),
        retryAt: new Date(Date.now() + delay).toISOString(),
      });
      if (!(error instanceof NetworkError) && !(error instanceof ApiError)) console.error(error);
      schedule(delay);
      return { changed: false, error };
    }
  }
}

/**
 * Flush then pull now (coalesced: a call during a run makes one more run).
 * Resolves to {changed} where changed says whether pull brought anything.
 */
export function syncNow(_reason = "manual") {
  if (running) {
    rerun = true;
    return running;
  }
  running = (async () => {
    let result;
    do {
      rerun = false;
      result = await withLock("visitcheck-sync", runSync);
    } while (rerun);
    return result;
  })().finally(() => {
    running = null;
  });
  return running;
}

/** Start syncing on this page (online event, timer). onRevoked runs on a wipe order. */
export function startSync({ onRevoked } = {}) {
  onWipe = onRevoked || null;
  started = true;
  if (!listening) {
    listening = true;
    window.addEventListener("online", () => {
      if (!started) return;
      allowTryAfterOffline().finally(() => syncNow("online"));
    });
    window.addEventListener("offline", () => {
      if (started) emit({ phase: "offline" });
    });
    // Background Sync: sw.js posts this when the browser fires our sync tag.
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.addEventListener("message", (event) => {
        // Not a reason to retry before the backoff allows: re-registering the
        // tag after a failure makes Chromium fire it at once.
        if (started && event.data && event.data.type === "visitcheck-flush") syncNow("background-sync");
      });
    }
  }
  return syncNow("start");
}

/** Stop timers (on lock / sign-out). */
export function stopSync() {
  started = false;
  clearTimeout(timer);
}
