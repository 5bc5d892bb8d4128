// The sync loop (DESIGN.md §6): flush the outbox, then pull; on start, on
// "online", after each save, and on a timer with exponential backoff and
// jitter while failing. Saving queues ops (sync/queue.js) in the outbox
// (outbox.js), which stays encrypted until the server answers applied or
// duplicate; a conflict or rejection sets the op aside ("attention") with its
// reason, and later ops of other entities flow (sync/push.js). Then the
// change feed is pulled (sync/pull.js). The state the status line shows is
// sync/status.js; the wait after failures sync/backoff.js.

import { hasCsrfToken, setCsrfToken, NetworkError, ApiError } from "./api.js";
import { isUnlocked, readMeta, writeSecrets } from "./vault.js";
import { refreshSession, ensureDeviceRegistered, WrongUserError } from "./session.js";
import { countOutbox } from "./outbox.js";
import { allowTryAfterOffline, backoffRemainingMs, noteFailure, noteSuccess } from "./sync/backoff.js";
import { flushOutbox } from "./sync/push.js";
import { pullAll } from "./sync/pull.js";
import { emit, refreshCounts } from "./sync/status.js";

// What the app shell (main.js) takes from sync, from this one path.

const PERIODIC_MS = 5 * 60 * 1000;

let running = null;
let rerun = false;
let timer = null;
let onWipe = null;
let started = false;
let listening = false;

function withLock(name, body) {
  if (navigator.locks && navigator.locks.request) return navigator.locks.request(name, body);
  return body();
}

function schedule(delayMs) {
  clearTimeout(timer);
  if (!started) return;
  timer = setTimeout(() => { syncNow("timer"); }, delayMs);
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
        const unsent = await countOutbox().catch(() => 0);
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
