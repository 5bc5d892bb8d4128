// The offline passphrase: set it (first sign-in on this device), unlock with it,
// lock (by hand or when idle), change it, and the way out when it is forgotten.
// This screen owns the idle lock and the notice the unlock screen shows after a lock.

import { fetchBootstrap, hasCsrfToken, NetworkError } from "../api.js";
import {
  createVault, unlockVault, lockVault, isUnlocked, UnlockError, MIN_PASSPHRASE_LENGTH,
  changePassphrase, OfflineStorageUnavailable,
} from "../vault.js";
import { currentBootstrap, loadStoredBootstrap, saveBootstrap, clearSession, refreshSession } from "../session.js";
import { refreshCounts } from "../sync/status.js";
import { countOutbox } from "../outbox.js";
import { startIdleLock } from "../idle.js";
import { boot, requestPersistentStorage } from "./boot.js";
import { later, loaded } from "./later.js";
import { nav } from "./nav.js";
import { clearPersonalDom, isLeaving } from "./signout.js";
import { renderStorage } from "./status.js";
import { $, currentScreen, setFieldError, showMessage, showScreen } from "./ui.js";

let stopIdle = null;
let lockNotice = null;

// ---- the checks and messages the set-up, unlock and change forms share ----------------

/** A new passphrase is long enough and typed the same twice; if not, says so at the field. */
function newPassphraseOk(first, second, { firstId, secondId }) {
  if (first.length < MIN_PASSPHRASE_LENGTH) {
    setFieldError(`${firstId}-error`, `Use at least ${MIN_PASSPHRASE_LENGTH} characters.`);
    $(firstId).focus();
    return false;
  }
  if (first !== second) {
    setFieldError(`${secondId}-error`, "The two passphrases are not the same.");
    $(secondId).focus();
    return false;
  }
  return true;
}

function showWiped() {
  showMessage("Offline data deleted",
    "Too many wrong passphrases: the offline data on this device has been deleted. Sign in online to start again.");
}

/** A wrong passphrase (UnlockError), in words: wrong is the first sentence; withWait adds the wait before the next try. */
function wrongPassphraseText(error, wrong, { withWait = false } = {}) {
  if (error.reason === "wait") return `Too many wrong tries. Wait ${Math.ceil(error.waitMs / 1000)} seconds and try again.`;
  let text = wrong;
  if (error.remaining !== null && error.remaining <= 5) {
    text += ` ${error.remaining} more wrong ${error.remaining === 1 ? "try deletes" : "tries delete"} this device's offline data.`;
  }
  if (withWait && error.waitMs) text += ` Wait ${Math.ceil(error.waitMs / 1000)} seconds before the next try.`;
  return text;
}

// ---- set a passphrase ---------------------------------------------------------------------

export function showSetPassphrase() {
  $("set-passphrase-form").reset();
  setFieldError("passphrase-error", "");
  setFieldError("passphrase-confirm-error", "");
  $("set-passphrase-message").textContent = "";
  showScreen("set-passphrase");
  $("passphrase").focus();
}

export async function onSetPassphrase(event) {
  event.preventDefault();
  const first = $("passphrase").value;
  const second = $("passphrase-confirm").value;
  setFieldError("passphrase-error", "");
  setFieldError("passphrase-confirm-error", "");
  if (!newPassphraseOk(first, second, { firstId: "passphrase", secondId: "passphrase-confirm" })) return;
  const bootstrap = currentBootstrap();
  if (!bootstrap) {
    await boot();
    return;
  }
  const submit = $("set-passphrase");
  submit.disabled = true;
  $("set-passphrase-message").textContent = "Setting up encryption on this device…";
  try {
    await createVault({
      passphrase: first,
      userId: bootstrap.user.id,
      iterations: bootstrap.policy?.pbkdf2_iterations,
      maxFailures: bootstrap.policy?.max_unlock_failures,
    });
    $("set-passphrase-form").reset();
    await requestPersistentStorage();
    await afterUnlock();
  } catch (error) {
    $("set-passphrase-message").textContent = "";
    if (error instanceof OfflineStorageUnavailable) {
      console.warn("the vault could not be created", error.cause);
      $("set-passphrase-form").reset();
      showMessage("This browser cannot keep visits offline",
        "It would not store the encrypted vault (this happens in private windows and some restricted browsers). "
        + "visitcheck never keeps visits unencrypted, so it will not work offline here. Use a normal window of a supported browser.");
    } else {
      console.error(error);
      $("set-passphrase-message").textContent = `Could not set up the vault: ${error.message}`;
    }
  } finally {
    submit.disabled = false;
  }
}

// ---- unlock -------------------------------------------------------------------------------

export function showUnlock({ notice = null } = {}) {
  $("unlock-form").reset();
  setFieldError("unlock-error", "");
  $("unlock-message").textContent = "";
  $("unlock-notice").textContent = notice || "";
  $("unlock-notice").hidden = !notice;
  showScreen("unlock");
  $("unlock-passphrase").focus();
}

export async function onUnlock(event) {
  event.preventDefault();
  const passphrase = $("unlock-passphrase").value;
  setFieldError("unlock-error", "");
  if (!passphrase) {
    setFieldError("unlock-error", "Enter your offline passphrase.");
    return;
  }
  const submit = $("unlock");
  submit.disabled = true;
  $("unlock-message").textContent = "Unlocking…";
  try {
    await unlockVault(passphrase);
    $("unlock-form").reset();
    $("unlock-message").textContent = "";
    await afterUnlock();
  } catch (error) {
    $("unlock-message").textContent = "";
    $("unlock-passphrase").value = "";
    if (error instanceof UnlockError) {
      if (error.reason === "wiped") {
        showWiped();
        return;
      }
      if (error.reason === "no-vault") {
        await boot();
        return;
      }
      setFieldError("unlock-error", wrongPassphraseText(error, "That passphrase is not right.", { withWait: true }));
    } else {
      console.error(error);
      setFieldError("unlock-error", `Could not unlock: ${error.message}`);
    }
    $("unlock-passphrase").focus();
  } finally {
    submit.disabled = false;
  }
}

// Unlocked (or just set up): the session, the idle lock, the caseload, the sync.
async function afterUnlock() {
  let bootstrap = await loadStoredBootstrap();
  if (currentBootstrap() && hasCsrfToken()) await saveBootstrap();
  if (!bootstrap) {
    // Set-up was interrupted before the bootstrap was stored: fetch it if we can.
    try {
      bootstrap = await refreshSession();
    } catch {
      bootstrap = null;
    }
  }
  if (!bootstrap) {
    // A vault without a stored bootstrap (interrupted set-up): need the server once.
    showMessage("Sign in online first", "This device has not finished setting up. Connect and sign in again.");
    return;
  }
  $("user-name").textContent = `${bootstrap.user.name}`;
  if (stopIdle) stopIdle();
  stopIdle = startIdleLock({
    seconds: bootstrap.policy?.idle_lock_seconds ?? 300,
    onIdle: () => { lockNow({ reason: "You were inactive, so visitcheck locked itself." }); },
  });
  await nav.renderList();
  requestPersistentStorage().then(renderStorage);
  startSyncLoop();
}

// The sync loop is not part of a start (screens/later.js): it is usually warm by
// the time the unlock ends. Locked again while it loaded: it does not start.
function startSyncLoop() {
  later("sync").then(({ startSync }) => {
    if (isUnlocked()) startSync({ onRevoked: nav.onRevoked });
  }, (error) => console.error(error));
}

// Not loaded yet: never started, nothing to stop.
function stopSync() {
  loaded("sync")?.stopSync();
}

// ---- lock -----------------------------------------------------------------------------------

/** Lock now: the open draft is saved first; reason is what the unlock screen then says. */
export async function lockNow({ reason = null } = {}) {
  if (!isUnlocked()) return;
  await nav.saveOpenDraftQuietly();
  nav.closeVisit();
  stopSync();
  stopIdleLock();
  lockNotice = reason;
  lockVault();
}

/** Stop watching for idleness (locked, signed out). */
export function stopIdleLock() {
  if (stopIdle) { stopIdle(); stopIdle = null; }
}

/** The vault locked (vault.js onLockChange): clear what showed, then the unlock screen. */
export function onLocked() {
  nav.closeVisit();
  clearSession();
  clearPersonalDom();
  if (isLeaving()) return; // wiped: do not reopen (and so recreate) the database
  refreshCounts().catch(() => {});
  const notice = lockNotice || "visitcheck is locked.";
  lockNotice = null;
  if (currentScreen() !== "message") showUnlock({ notice });
}

// ---- passphrase change and reset --------------------------------------------------------

export function showChangePassphrase() {
  $("change-passphrase-form").reset();
  for (const id of ["current-passphrase-error", "new-passphrase-error", "new-passphrase-confirm-error"]) setFieldError(id, "");
  $("change-passphrase-message").textContent = "";
  showScreen("change-passphrase");
  $("current-passphrase").focus();
}

export async function onChangePassphrase(event) {
  event.preventDefault();
  const current = $("current-passphrase").value;
  const next = $("new-passphrase").value;
  const again = $("new-passphrase-confirm").value;
  for (const id of ["current-passphrase-error", "new-passphrase-error", "new-passphrase-confirm-error"]) setFieldError(id, "");
  if (!current) {
    setFieldError("current-passphrase-error", "Enter your current offline passphrase.");
    $("current-passphrase").focus();
    return;
  }
  if (!newPassphraseOk(next, again, { firstId: "new-passphrase", secondId: "new-passphrase-confirm" })) return;
  const submit = $("change-passphrase");
  submit.disabled = true;
  $("change-passphrase-message").textContent = "Changing the passphrase…";
  try {
    await changePassphrase({ current, next });
    $("change-passphrase-form").reset();
    $("change-passphrase-message").textContent = "";
    await nav.renderList();
    showScreen("list");
    $("export-message").textContent = "Offline passphrase changed. Use the new one from now on.";
  } catch (error) {
    $("change-passphrase-message").textContent = "";
    $("current-passphrase").value = "";
    if (error instanceof UnlockError && error.reason === "wiped") {
      showWiped();
      return;
    }
    if (error instanceof UnlockError) {
      setFieldError("current-passphrase-error", wrongPassphraseText(error, "That is not your current passphrase."));
    } else {
      console.error(error);
      setFieldError("current-passphrase-error", `Could not change the passphrase: ${error.message}`);
    }
    $("current-passphrase").focus();
  } finally {
    submit.disabled = false;
  }
}

/**
 * A forgotten passphrase: nothing on the device can be opened, so the only way
 * on is to delete the vault, sign in again online with the account password,
 * set a new passphrase and download again what the server holds. Offline,
 * that is refused; online, the user is told first how much unsynced work is lost.
 */
export async function onForgotPassphrase() {
  const text = $("forgot-confirm-text");
  setFieldError("unlock-error", "");
  let online = navigator.onLine;
  if (online) {
    try {
      await fetchBootstrap();
    } catch (error) {
      online = !(error instanceof NetworkError);
    }
  }
  if (!online) {
    setFieldError("unlock-error", "Resetting a forgotten passphrase needs a connection: you must sign in online again. Connect and try again.");
    return;
  }
  const unsynced = await countOutbox().catch(() => 0);
  text.textContent = (unsynced
    ? `${unsynced} ${unsynced === 1 ? "item on this device has" : "items on this device have"} not reached the server and will be lost: without the passphrase nobody can open ${unsynced === 1 ? "it" : "them"}. `
    : "Everything on this device has reached the server, so nothing is lost. ")
    + "Resetting deletes this device's offline data and signs you out. Sign in again with your account password, set a new offline passphrase, and your caseload downloads again.";
  $("forgot-confirm").dataset.unsynced = String(unsynced);
  $("forgot-confirm").hidden = false;
  $("forgot-cancel").focus();
}
