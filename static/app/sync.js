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
import { isUnlocked, readAllSecrets, readSecret, writeSecrets, readMeta, countSecrets } from "./vault.js";
import { currentBootstrap, refreshSession, ensureDeviceRegistered, WrongUserError } from "./session.js";

const MAX_OPS_PER_PUSH = 100;
// Pulled entities kept as they come (encrypted), under their type as the record kind.
const STORED_AS_IS = new Set(["household", "person", "concern"]);
const PULL_PAGE = 200;
const BACKOFF_BASE_MS = 5000;
const BACKOFF_MAX_MS = 5 * 60 * 1000;
const PERIODIC_MS = 5 * 60 * 1000;

const listeners = new Set();
// dataVersion goes up whenever sync changed what the vault holds (for re-rendering).
let state = { phase: "idle", waiting: 0, attention: 0, lastSyncAt: null, message: "", dataVersion: 0 };
let running = null;
let rerun = false;
let failures = 0;
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

/** Recount the outbox and tell listeners. Works while locked (count only). */
export async function refreshCounts() {
  const meta = await readMeta("last_sync_at");
  if (!isUnlocked()) {
    const total = await countSecrets("outbox");
    emit({ waiting: total, attention: 0, lastSyncAt: meta || null });
    return;
  }
  const ops = await loadOutbox();
  const attention = ops.filter((op) => op.state === "attention").length;
  emit({ waiting: ops.length - attention, attention, lastSyncAt: meta || null });
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
    let baseRev;
    const attention = ops.filter((item) => item.state === "attention");
    if (attention.length) {
      // The entity is blocked: everything queued after the blocked op is unsent.
      // Replace them all with one op from the blocked op's base revision.
      baseRev = attention[0].base_rev;
      for (const item of ops) remove.push(["outbox", item.op_id]);
    } else if (ops.length) {
      const last = ops[ops.length - 1];
      if (!last.attempts) {
        baseRev = last.base_rev;
        remove.push(["outbox", last.op_id]);
      } else {
        baseRev = last.base_rev + 1;
      }
    } else {
      baseRev = rev;
    }
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
 * Resolve a conflict or rejection on an entity.
 * choice "mine": re-queue the local draft on top of the server's revision.
 * choice "theirs": take the server's copy and drop the local ops.
 */
export async function resolveAttention(entityId, choice) {
  await withLock("visitcheck-outbox", async () => {
    const ops = (await loadOutbox()).filter((item) => item.entity_id === entityId);
    const blocked = ops.find((item) => item.state === "attention");
    if (!blocked) return;
    const draft = await readSecret("draft", entityId);
    const remove = ops.map((item) => ["outbox", item.op_id]);
    const put = [];
    const reason = blocked.reason || {};
    if (choice === "theirs" && reason.current) {
      put.push({
        kind: "draft",
        id: entityId,
        value: { ...(draft || {}), ...reason.current, id: entityId, rev: reason.rev },
      });
    } else if (choice === "mine" && draft && reason.status === "conflict") {
      put.push({ kind: "draft", id: entityId, value: { ...draft, rev: reason.rev } });
    } else if (choice === "discard") {
      // keep the draft as it is; just drop the stuck ops
    } else {
      return;
    }
    await writeSecrets({ put, remove });
  });
  if (choice === "mine") {
    const draft = await readSecret("draft", entityId);
    if (draft) await saveChecklist({ ...draft, saved_at: new Date().toISOString() });
  }
  await refreshCounts();
}

// ---- flushing --------------------------------------------------------------

async function applyResults(batch, results) {
  await withLock("visitcheck-outbox", async () => {
    const byId = new Map(results.map((result) => [result.op_id, result]));
    const current = new Map((await loadOutbox()).map((op) => [op.op_id, op]));
    const put = [];
    const remove = [];
    const revs = new Map();
    for (const sent of batch) {
      const result = byId.get(sent.op_id);
      const op = current.get(sent.op_id);
      if (!result || !op) continue;
      if (result.status === "applied" || result.status === "duplicate") {
        remove.push(["outbox", op.op_id]);
        if (Number.isInteger(result.rev)) revs.set(op.entity_id, result.rev);
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

async function applyChanges(changes, cursor) {
  const put = [];
  const remove = [];
  const pending = await outboxByEntity();
  for (const change of changes) {
    const id = change.entity_id;
    if (STORED_AS_IS.has(change.type)) {
      if (change.data == null) remove.push([change.type, id]);
      else put.push({ kind: change.type, id, value: change.data });
    } else if (change.type === "checklist") {
      if (change.data == null) {
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

function backoffDelay() {
  const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(failures, 10));
  return Math.round(exp / 2 + Math.random() * exp / 2); // "equal jitter"
}

async function runSync() {
  if (!isUnlocked()) return { changed: false };
  const info = await readMeta("device_id");
  emit({ phase: "syncing", message: "" });
  let attemptCsrf = true;
  for (;;) {
    try {
      if (!hasCsrfToken()) await refreshSession();
      await ensureDeviceRegistered();
      await flushOutbox(info);
      const changed = await pullAll();
      const now = new Date().toISOString();
      await writeSecrets({ meta: { last_sync_at: now } });
      failures = 0;
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
        emit({ phase: "revoked", message: "This device was revoked." });
        if (onWipe) await onWipe();
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
      failures += 1;
      const offline = error instanceof NetworkError || !navigator.onLine;
      emit({
        phase: offline ? "offline" : "error",
        message: offline ? "" : (error.message || "Sync failed."),
      });
      if (!(error instanceof NetworkError) && !(error instanceof ApiError)) console.error(error);
      schedule(backoffDelay());
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
      failures = 0;
      syncNow("online");
    });
    window.addEventListener("offline", () => {
      if (started) emit({ phase: "offline" });
    });
  }
  return syncNow("start");
}

/** Stop timers (on lock / sign-out). */
export function stopSync() {
  started = false;
  clearTimeout(timer);
}
