// The app shell's start: connect the screens (screens/nav.js), wire the page's
// buttons and forms to them, follow the sync, the lock and the page's
// visibility, register the service worker, and boot. Each screen lives in
// screens/ and owns its own state; importing one has no side effects, so only
// start() (called at the bottom of this file) does anything.

import { onSyncState, syncState } from "./sync/status.js";
import { isUnlocked, onLockChange } from "./vault.js";
import { onEntitiesChanged } from "./entities.js";
import { registerServiceWorker, applyUpdate } from "./update.js";
import { boot } from "./screens/boot.js";
import { onSearch, onToCaseload, renderList } from "./screens/caseload.js";
import { connect } from "./screens/nav.js";
import { showPeople } from "./screens/people.js";
import { onExport, onRevoked, onSignOut, onSignOutSyncFirst, signOut } from "./screens/signout.js";
import { onSyncNow, renderStatus } from "./screens/status.js";
import { $, currentScreen, showScreen, syncIfOnline } from "./screens/ui.js";
import {
  lockNow, onChangePassphrase, onForgotPassphrase, onLocked, onSetPassphrase, onUnlock,
  showChangePassphrase, showSetPassphrase, showUnlock, stopIdleLock,
} from "./screens/unlock.js";
import {
  closeVisit, onAppVisibility, onBackToList, onPeopleFromVisit, onSaveDraft, onSubmit, openExisting, openNew,
  refreshOpenVisitFlags, saveOpenDraftQuietly, showVisit,
} from "./screens/visit.js";

function wire() {
  connect({
    showUnlock, showSetPassphrase, stopIdleLock, renderList, openNew, openExisting, showVisit, closeVisit,
    saveOpenDraftQuietly, showPeople, onRevoked,
  });

  $("set-passphrase-form").addEventListener("submit", onSetPassphrase);
  $("unlock-form").addEventListener("submit", onUnlock);
  $("checklist-form").addEventListener("submit", onSubmit);
  $("save-draft").addEventListener("click", onSaveDraft);
  $("back-to-list").addEventListener("click", onBackToList);
  // The caseload, one tap from Today, found by name, address or child.
  $("caseload-search").addEventListener("input", onSearch);
  $("to-caseload").addEventListener("click", onToCaseload);
  $("visit-people").addEventListener("click", onPeopleFromVisit);
  onEntitiesChanged(() => {
    refreshOpenVisitFlags();
    syncIfOnline();
  });
  $("lock").addEventListener("click", () => lockNow());
  $("sign-out").addEventListener("click", onSignOut);
  $("signout-anyway").addEventListener("click", signOut);
  $("signout-cancel").addEventListener("click", () => { $("signout-confirm").hidden = true; $("sign-out").focus(); });
  $("signout-sync-first").addEventListener("click", onSignOutSyncFirst);
  $("signout-export").addEventListener("click", onExport);
  $("export-outbox").addEventListener("click", onExport);
  $("change-passphrase-open").addEventListener("click", async () => {
    await saveOpenDraftQuietly();
    closeVisit();
    showChangePassphrase();
  });
  $("change-passphrase-form").addEventListener("submit", onChangePassphrase);
  $("change-passphrase-cancel").addEventListener("click", async () => { await renderList(); showScreen("list"); });
  $("forgot-passphrase").addEventListener("click", onForgotPassphrase);
  $("forgot-reset").addEventListener("click", signOut);
  $("forgot-cancel").addEventListener("click", () => { $("forgot-confirm").hidden = true; $("unlock-passphrase").focus(); });
  $("retry-start").addEventListener("click", boot);
  $("sync-now").addEventListener("click", onSyncNow);
  $("update-now").addEventListener("click", async () => {
    await saveOpenDraftQuietly();
    if (!applyUpdate()) $("update-now").hidden = true;
  });

  let seenDataVersion = 0;
  onSyncState((state) => {
    renderStatus(state);
    if (state.dataVersion !== seenDataVersion) {
      seenDataVersion = state.dataVersion;
      if (currentScreen() === "list" && isUnlocked()) renderList();
      if (currentScreen() === "form") refreshOpenVisitFlags();
    }
  });
  window.addEventListener("online", () => renderStatus(syncState()));
  window.addEventListener("offline", () => renderStatus(syncState()));
  onLockChange((unlocked) => {
    if (!unlocked) onLocked();
  });
  // Leaving the app (switching task on the tablet) saves an open draft.
  document.addEventListener("visibilitychange", onAppVisibility);
  window.addEventListener("pagehide", () => { saveOpenDraftQuietly(); });
}

/** Start the app: wire the page, register the service worker, boot. */
export function start() {
  wire();
  registerServiceWorker({ onUpdateReady: () => { $("update-now").hidden = false; } });
  boot();
}

start();
