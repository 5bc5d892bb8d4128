// Boot: whether this browser can keep visits safely, what the server says about
// this device (signed in, signed out, revoked or retired, unreachable), and so
// which screen comes first: set a passphrase, unlock, or "online first". Also
// asking the browser to keep this origin's storage (persistent storage).

import { fetchBootstrap, ApiError, NetworkError, setDeviceId } from "../api.js";
import { vaultInfo, wipeVault } from "../vault.js";
import { countOutbox } from "../outbox.js";
import { adoptBootstrap } from "../session.js";
import { refreshCounts } from "../sync/status.js";
import { nav } from "./nav.js";
import { setSignedOutOnServer } from "./status.js";
import { revokedText } from "./signout.js";
import { showScreen, showMessage } from "./ui.js";

function supported() {
  return Boolean(window.isSecureContext && window.crypto && crypto.subtle && window.indexedDB && crypto.randomUUID);
}

export async function boot() {
  showScreen("loading");
  if (!supported()) {
    showMessage("This browser cannot keep visits safely",
      "visitcheck needs a browser with WebCrypto and IndexedDB over a secure connection to keep visits encrypted on this device. It will not store them unencrypted.");
    return;
  }
  let info;
  try {
    info = await vaultInfo();
  } catch (error) {
    console.error(error);
    showMessage("This browser cannot keep visits offline",
      "Its local database is not available (for example in a private window). visitcheck will not store visits without encryption; use a normal window.");
    return;
  }
  // The status line's counts are not needed to choose the first screen; but a
  // wipe waits for them, or their reads would reopen (so recreate) the database.
  const counted = refreshCounts().catch(() => {});

  setDeviceId(info.exists ? info.deviceId : null);
  let bootstrap = null;
  let problem = null;
  // The browser says it has no connection: no request could reach the server,
  // so the first screen does not wait for one to fail.
  if (!navigator.onLine) {
    problem = new NetworkError(new Error("navigator.onLine is false"));
  } else {
    try {
      bootstrap = await fetchBootstrap();
    } catch (error) {
      problem = error;
    }
  }

  if (bootstrap) {
    setSignedOutOnServer(false);
    adoptBootstrap(bootstrap);
    if (info.exists && info.userId === bootstrap.user.id) {
      nav.showUnlock();
    } else {
      if (info.exists) await counted.then(() => wipeVault());
      nav.showSetPassphrase();
    }
    return;
  }
  if (problem instanceof ApiError && problem.wipe) {
    const waiting = info.exists ? await countOutbox().catch(() => 0) : 0;
    if (problem.problem.mode === "retire" && waiting > 0) {
      // Retired, not lost: unlock to send what waits; the sync then wipes.
      nav.showUnlock({ notice: `This device has been retired. Unlock it to send the ${waiting} ${waiting === 1 ? "item" : "items"} waiting; visitcheck then deletes its offline data.` });
      return;
    }
    await counted.then(() => wipeVault());
    showMessage("This device was signed out", revokedText(problem.problem.mode, 0));
    return;
  }
  if (problem instanceof ApiError && problem.signedOut) {
    if (!info.exists) {
      window.location.assign("/login?next=/app");
      return;
    }
    setSignedOutOnServer(true);
    nav.showUnlock({ notice: "You are signed out on the server. You can still work offline; sign in again to sync." });
    return;
  }
  // Offline, or the server is unwell.
  if (info.exists) {
    nav.showUnlock({ notice: problem instanceof NetworkError ? "You are offline. Visits you record will sync when you are back online." : null });
  } else {
    showScreen("online-first");
  }
}

/** Ask the browser not to evict this origin's storage (at sign-in and each unlock; no prompt in Chromium). */
export async function requestPersistentStorage() {
  if (!navigator.storage || !navigator.storage.persist) return false;
  try {
    if (navigator.storage.persisted && await navigator.storage.persisted()) return true;
    return await navigator.storage.persist();
  } catch {
    return false;
  }
}
