// The app shell's start: connect the screens (screens/nav.js), wire the page's
// buttons and forms to them, follow the sync, the lock and the page's
// visibility, register the service worker, and boot. Each screen lives in
// screens/ and owns its own state; importing one has no side effects, so only
// start() (called at the bottom of this file) does anything.
//
// What this file imports statically is what a start loads (the page preloads
// exactly that, read from these imports by the server): the passphrase step and
// what it needs. The caseload, the visit and the people screens, the sync loop
// (started after the unlock) and the export come through screens/later.js,
// loaded when first needed and warmed once the first screen shows.

import { onSyncState, syncState } from "./sync/status.js";
import { isUnlocked, onLockChange } from "./vault.js";
import { registerServiceWorker, applyUpdate } from "./update.js";
import { boot } from "./screens/boot.js";
import { later, loaded, warm } from "./screens/later.js";
import { connect } from "./screens/nav.js";
import { onExport, onRevoked, onSignOut, onSignOutSyncFirst, signOut } from "./screens/signout.js";
import { onSyncNow, renderStatus } from "./screens/status.js";
import { $, currentScreen, showScreen, syncIfOnline } from "./screens/ui.js";
import {
  lockNow, onChangePassphrase, onForgotPassphrase, onLocked, onSetPassphrase, onUnlock,
  showChangePassphrase, showSetPassphrase, showUnlock, stopIdleLock,
} from "./screens/unlock.js";

// A screen loaded on first use. The visit and people screens change households
// and people (entities.js): the open visit's flags and the sync follow those
// changes, wired before either screen can make one.
let entitiesFollowed = null;

function screen(name) {
  entitiesFollowed ??= later("entities").then(({ onEntitiesChanged }) => {
    onEntitiesChanged(() => {
      loaded("visit")?.refreshOpenVisitFlags();
      syncIfOnline();
    });
  }, (error) => {
    entitiesFollowed = null;
    throw error;
  });
  return Promise.all([later(name), entitiesFollowed]).then(([module]) => module);
}

// nav's and the page's handlers for a screen loaded on first use: load it, then
// call its own function with the same arguments.
const use = (name, fn) => async (...args) => (await screen(name))[fn](...args);

// No visit can be open, or need saving, before visit.js has loaded.
const closeVisit = () => loaded("visit")?.closeVisit();
const saveOpenDraftQuietly = async () => loaded("visit")?.saveOpenDraftQuietly();
const refreshOpenVisitFlags = () => loaded("visit")?.refreshOpenVisitFlags();
const renderList = use("caseload", "renderList");

function wire() {
  connect({
    showUnlock, showSetPassphrase, stopIdleLock, renderList, closeVisit, saveOpenDraftQuietly, onRevoked,
    openNew: use("visit", "openNew"),
    openExisting: use("visit", "openExisting"),
    showVisit: use("visit", "showVisit"),
    showPeople: use("people", "showPeople"),
  });

  $("set-passphrase-form").addEventListener("submit", onSetPassphrase);
  $("unlock-form").addEventListener("submit", onUnlock);
  // A submit's default (the page sent to the server) is stopped now, not once
  // the module has loaded.
  const onSubmit = use("visit", "onSubmit");
  $("checklist-form").addEventListener("submit", (event) => { event.preventDefault(); onSubmit(event); });
  $("save-draft").addEventListener("click", use("visit", "onSaveDraft"));
  $("back-to-list").addEventListener("click", use("visit", "onBackToList"));
  // The caseload, one tap from Today, found by name, address or child.
  $("caseload-search").addEventListener("input", use("caseload", "onSearch"));
  const onToCaseload = use("caseload", "onToCaseload");
  $("to-caseload").addEventListener("click", (event) => { event.preventDefault(); onToCaseload(event); });
  $("visit-people").addEventListener("click", use("visit", "onPeopleFromVisit"));
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
  document.addEventListener("visibilitychange", () => loaded("visit")?.onAppVisibility());
  window.addEventListener("pagehide", () => { saveOpenDraftQuietly(); });
}

/** Start the app: wire the page, register the service worker, boot. */
export function start() {
  wire();
  registerServiceWorker({ onUpdateReady: () => { $("update-now").hidden = false; } });
  // The other screens load while the first one waits for the user.
  boot().finally(warm);
}

start();
