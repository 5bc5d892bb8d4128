// Leaving the device: sign out (warning first about what has not reached the
// server, with "sync first" and "export"), the export of the unsynced outbox
// sealed to the server, and a device an administrator revoked or retired. This
// screen owns the fact that the app is leaving (the vault is being wiped: a lock
// then must not reopen the database).

import { fetchBootstrap, ApiError } from "../api.js";
import { vaultInfo, wipeVault, isUnlocked } from "../vault.js";
import { currentBootstrap, clearSession } from "../session.js";
import { syncState } from "../sync/status.js";
import { loadOutbox } from "../outbox.js";
import { el } from "../dom.js";
import { later, loaded } from "./later.js";
import { nav } from "./nav.js";
import { $, showMessage } from "./ui.js";

let leaving = false;

/** Signed out or revoked: the vault is gone or going, so nothing may reopen it. */
export function isLeaving() {
  return leaving;
}

/** Empty every node that showed personal data (locked, signed out, revoked). */
export function clearPersonalDom() {
  $("households").replaceChildren();
  $("attention").replaceChildren();
  $("today").replaceChildren();
  $("caseload-search").value = "";
  $("checklist-body").replaceChildren();
  $("form-household").textContent = "";
  $("form-attention").replaceChildren();
  $("form-errors").replaceChildren();
  $("form-review").replaceChildren();
  $("people-body").replaceChildren();
  $("alerts").replaceChildren();
  $("user-name").textContent = "";
}

// An administrator revoked or retired this device (sync.js tells, after sending what it could).
export async function onRevoked({ mode = "lost", unsent = 0 } = {}) {
  leaving = true;
  nav.closeVisit();
  loaded("sync")?.stopSync(); // not loaded: never started
  await wipeVault();
  clearSession();
  clearPersonalDom();
  showMessage("This device was signed out", revokedText(mode, unsent));
}

/** What the message screen says to a revoked ("lost") or retired device; unsent: items lost with it. */
export function revokedText(mode, unsent = 0) {
  const base = mode === "retire"
    ? "An administrator retired this device. Everything waiting was sent first; its offline data has now been deleted."
    : "An administrator revoked this device, so its offline data has been deleted.";
  if (!unsent) return base;
  return `${base} ${unsent} ${unsent === 1 ? "item" : "items"} could not be sent and ${unsent === 1 ? "was" : "were"} deleted with it: tell your team lead.`;
}

/** Sign out, after a warning when something has not reached the server yet. */
export async function onSignOut() {
  const state = syncState();
  const waiting = (state.waiting || 0) + (state.attention || 0);
  if (waiting > 0 && $("signout-confirm").hidden) {
    $("signout-confirm-text").textContent = `${waiting} ${waiting === 1 ? "item has" : "items have"} not reached the server yet. Signing out deletes ${waiting === 1 ? "it" : "them"} from this device. Sync first, or export ${waiting === 1 ? "it" : "them"} to a file for your administrator.`;
    $("signout-sync-first").hidden = false;
    $("signout-export").hidden = !isUnlocked();
    $("signout-confirm").hidden = false;
    $("signout-sync-first").focus();
    return;
  }
  await signOut();
}

/** From the sign-out warning: sync, and sign out only if nothing is left waiting. */
export async function onSignOutSyncFirst() {
  const text = $("signout-confirm-text");
  if (!isUnlocked()) {
    text.textContent = "Unlock visitcheck first: the outbox can only be sent while it is unlocked.";
    return;
  }
  if (!navigator.onLine) {
    text.textContent = "You are offline, so nothing can be sent now. Connect and try again, or export to a file.";
    return;
  }
  const buttonNode = $("signout-sync-first");
  buttonNode.disabled = true;
  text.textContent = "Syncing…";
  try {
    const { syncNow } = await later("sync");
    await syncNow("sign-out");
  } finally {
    buttonNode.disabled = false;
  }
  const state = syncState();
  const left = (state.waiting || 0) + (state.attention || 0);
  if (left === 0) {
    await signOut();
    return;
  }
  const why = state.attention ? `${state.attention} need${state.attention === 1 ? "s" : ""} your attention first` : (state.message || "the server could not be reached");
  text.textContent = `${left} ${left === 1 ? "item is" : "items are"} still not on the server (${why}). Signing out now deletes ${left === 1 ? "it" : "them"} from this device.`;
}

/** Save the unsynced outbox as one file sealed to the server (the last resort). */
export async function onExport() {
  const message = $("export-message");
  if (!isUnlocked()) return;
  try {
    const ops = await loadOutbox();
    if (!ops.length) {
      message.textContent = "Nothing is waiting to sync, so there is nothing to export.";
      return;
    }
    const info = await vaultInfo();
    const { buildExport, downloadFile } = await later("export");
    const file = await buildExport({
      ops, deviceId: info.deviceId, userId: info.userId, sealingKey: currentBootstrap()?.sealing_key,
    });
    downloadFile(file);
    message.textContent = `Exported ${file.count} unsynced ${file.count === 1 ? "item" : "items"} to ${file.name}. `
      + "Only the visitcheck server can open it: give it to your administrator to import. The items stay here until they sync.";
  } catch (error) {
    console.error(error);
    message.textContent = `Could not export: ${error.message}`;
  }
}

/** Sign out now: wipe this device's vault, then end the server session if online. */
export async function signOut() {
  leaving = true;
  $("signout-confirm").hidden = true;
  nav.closeVisit();
  loaded("sync")?.stopSync(); // not loaded: never started
  nav.stopIdleLock();
  clearPersonalDom();
  // The vault goes first: this device may be offline.
  await wipeVault();
  let token = null;
  try {
    token = (await fetchBootstrap()).csrf_token;
  } catch (error) {
    if (error instanceof ApiError && error.signedOut) {
      clearSession();
      window.location.assign("/login");
      return;
    }
  }
  clearSession();
  if (!token) {
    showMessage("Signed out on this device",
      "The offline data on this device has been deleted. You are offline, so the server session ends on its own; sign in again when you are back online.");
    return;
  }
  const form = el("form", { method: "post", action: "/logout", class: "hidden-form" },
    el("input", { type: "hidden", name: "csrf_token", value: token }));
  document.body.append(form);
  form.submit();
}
