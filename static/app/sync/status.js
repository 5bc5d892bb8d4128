// The sync state the status line shows: {phase, waiting, attention, lastSyncAt,
// message, dataVersion, retryAt, waitingItems}, and who listens to it.
// dataVersion goes up whenever sync changed what the vault holds (for re-rendering).

import { isUnlocked, readMeta } from "../vault.js";
import { countOutbox, loadOutbox, waitingItems } from "../outbox.js";

// The Background Sync tag (Chromium): the service worker asks open pages to flush.
const BACKGROUND_SYNC_TAG = "visitcheck-outbox";

const listeners = new Set();
let state = { phase: "idle", waiting: 0, attention: 0, lastSyncAt: null, message: "", dataVersion: 0, retryAt: null };

/** Change the state and tell the listeners. */
export function emit(patch) {
  state = { ...state, ...patch };
  for (const listener of listeners) {
    try { listener(state); } catch (error) { console.error(error); }
  }
}

/** Tell the listeners that sync changed what the vault holds. */
export function dataChanged() {
  emit({ dataVersion: state.dataVersion + 1 });
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

/** Recount the outbox and tell listeners. Works while locked (count only). */
export async function refreshCounts() {
  const meta = await readMeta("last_sync_at");
  if (!isUnlocked()) {
    const total = await countOutbox();
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
