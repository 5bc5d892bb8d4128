// The wait after failed syncs: exponential from 5 s, capped (5 minutes, or the
// server's policy), with jitter. Kept in the vault's (clear, non-personal) meta
// "sync_backoff" {failures, next_at (ms since the epoch), offline} rather than in
// this page's memory because a sync can be woken from several places (the
// timer, "online", Background Sync via the service worker, the Sync now button,
// a save, another tab): every one of them asks the same gate, so none can
// reset the count and retry at once (issue 12: 723 pushes in 10 s).

import { readMeta, writeSecrets } from "../vault.js";
import { currentBootstrap } from "../session.js";

const BACKOFF_BASE_MS = 5000;
const BACKOFF_MAX_MS = 5 * 60 * 1000;
const BACKOFF_META = "sync_backoff";

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

function writeBackoff(value) {
  return writeSecrets({ meta: { [BACKOFF_META]: value } });
}

/** How long until a sync may go out again (0: now). */
export async function backoffRemainingMs() {
  return Math.max(0, (await readBackoff()).next_at - Date.now());
}

/** A sync failed: one more failure, and the next try pushed out. Returns the wait. */
export async function noteFailure() {
  const failures = (await readBackoff()).failures + 1;
  const delay = retryDelayMs(failures, Math.random, backoffMaxMs());
  await writeBackoff({ failures, next_at: Date.now() + delay, offline: !navigator.onLine });
  return delay;
}

export async function noteSuccess() {
  await writeBackoff({ failures: 0, next_at: 0, offline: false });
}

/**
 * The browser says the connection is back. If the last failure happened while it
 * knew it was offline, that cause is gone: one try may go now (the count is kept,
 * so if it fails the wait grows as before). A failure while "online" (the server
 * failing, a connection that drops) keeps its wait: "online" fires only on a
 * change, but it says nothing about the server.
 */
export async function allowTryAfterOffline() {
  const backoff = await readBackoff();
  if (backoff.offline && backoff.next_at > Date.now()) {
    await writeBackoff({ ...backoff, next_at: 0, offline: false });
  }
}
