// The status line (what waits to sync, in people's words), "Sync now" with its
// note, and the storage footer. The status line knows one fact of its own: the
// server said this device's session is signed out (boot.js sets it).

import { isUnlocked } from "../vault.js";
import { syncState } from "../sync/status.js";
import { later } from "./later.js";
import { $, timeOf } from "./ui.js";

let signedOutOnServer = false;

/** boot.js: the server answered bootstrap (false) or said the session is signed out (true). */
export function setSignedOutOnServer(value) {
  signedOutOnServer = value;
}

// Sync now says what it did, next to the button (aria-live), offline too.
export async function onSyncNow() {
  const note = $("sync-note");
  const syncNow = (reason) => later("sync").then((sync) => sync.syncNow(reason));
  const count = () => (syncState().waitingItems || []).reduce((n, i) => n + i.count, 0) || syncState().waiting || 0;
  const before = count();
  if (!navigator.onLine) {
    note.textContent = before ? "Offline: will send when connected." : "Offline: nothing waiting to send.";
    syncNow("manual");
    return;
  }
  note.textContent = "Syncing…";
  const result = await syncNow("manual").catch(() => ({ error: true }));
  if (!isUnlocked()) { note.textContent = ""; return; } // locked or wiped meanwhile
  const sent = Math.max(0, before - count());
  const left = count();
  if (!navigator.onLine || syncState().phase === "offline") note.textContent = "Offline: will send when connected.";
  else if (result?.error || syncState().phase === "error") note.textContent = `Could not sync${sent ? ` (sent ${sent})` : ""}: will try again.`;
  else if (sent) note.textContent = `Sent ${sent} ${sent === 1 ? "item" : "items"}${left ? `; ${left} still waiting` : ""}.`;
  else note.textContent = left ? `${left} still waiting: will try again.` : "Up to date: nothing to send.";
}

// "2 visits, 1 person": what is waiting as a person counts it (sync.js waitingItems);
// while locked only the number of items is known.
function waitingWords(state) {
  const items = state.waitingItems;
  if (!items || !items.length) return `${state.waiting} ${state.waiting === 1 ? "item" : "items"}`;
  return items.map((i) => `${i.count} ${i.count === 1 ? i.one : i.many}`).join(", ");
}

export function renderStatus(state) {
  const status = $("sync-status");
  const offline = !navigator.onLine || state.phase === "offline";
  const parts = [];
  const last = state.lastSyncAt ? `last synced ${timeOf(state.lastSyncAt)}` : "not synced yet";
  const words = waitingWords(state);
  if (offline) {
    parts.push("Offline", state.waiting ? `${words} waiting` : "nothing waiting");
  } else if (state.phase === "sending") {
    parts.push(`Sending ${words}`, last);
  } else if (state.phase === "syncing") {
    parts.push(state.waiting ? `Syncing · ${words} waiting` : "Syncing…", last);
  } else if (state.waiting) {
    parts.push(`${words} waiting to sync`, last);
  } else if (state.lastSyncAt) {
    parts.push("All synced", last);
  } else {
    parts.push("Nothing waiting", last);
  }
  if (state.attention) parts.push(`${state.attention} need${state.attention === 1 ? "s" : ""} attention`);
  if (state.phase === "signed-out" || signedOutOnServer) parts.push("signed out on the server: sign in to sync");
  if (state.phase === "wrong-user") parts.push("signed in as someone else: sync paused");
  if (state.phase === "error" && state.message) parts.push(`sync problem: ${state.message}`);
  if (state.retryAt && state.waiting && (offline || state.phase === "error")) parts.push(`next try ${timeOf(state.retryAt)}`);
  status.textContent = parts.join(" · ");
  status.dataset.waiting = String(state.waiting || 0);
  status.dataset.attention = String(state.attention || 0);
  status.dataset.phase = offline ? "offline" : state.phase;
  $("signin-link").hidden = !(state.phase === "signed-out" || signedOutOnServer) || offline;
}

export async function renderStorage() {
  if (!navigator.storage || !navigator.storage.estimate) return;
  try {
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    const persisted = navigator.storage.persisted ? await navigator.storage.persisted() : false;
    const mb = (bytes) => (bytes >= 1024 ** 3
      ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`);
    $("storage-info").textContent = `Storage on this device: ${mb(usage)} used of ${mb(quota)}`
      + (persisted ? " · kept by the browser (persistent)" : " · the browser may clear it when space is short");
  } catch {
    $("storage-info").textContent = "";
  }
}
