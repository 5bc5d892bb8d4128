// Boot, screens and the status line of the app shell.

import { fetchBootstrap, hasCsrfToken, ApiError, NetworkError, setDeviceId } from "./api.js";
import {
  vaultInfo, createVault, unlockVault, lockVault, wipeVault, isUnlocked, onLockChange,
  readSecret, readAllSecrets, UnlockError, VaultLockedError, MIN_PASSPHRASE_LENGTH,
  changePassphrase, OfflineStorageUnavailable, countSecrets,
} from "./vault.js";
import {
  adoptBootstrap, currentBootstrap, loadStoredBootstrap, saveBootstrap, clearSession, refreshSession,
} from "./session.js";
import {
  saveChecklist, syncNow, startSync, stopSync, onSyncState, refreshCounts, outboxByEntity,
  syncState, loadOutbox, withdrawChecklist,
} from "./sync.js";
import { renderChecklist } from "./form.js";
import { submitSummary } from "./summary.js";
import { listHouseholds, getHousehold, listVisits, getVisit, concernsFor } from "./caseload.js";
import { buildContext, flagsFor, serverOnlyFlags, SEVERITY_WORDS } from "./flags.js";
import { flagAnswers } from "./answered.js";
import {
  readAllFollowups, recordFollowup, flagChoices, flagAnswerNote, renderFollowThrough,
} from "./followup.js";
import { mountConflict, attentionSubject } from "./conflict.js";
import { listAlerts, acknowledgeAlert, alertsForRules, renderAlerts } from "./alerts.js";
import { openPeople } from "./people.js";
import { onEntitiesChanged, householdWithParents } from "./entities.js";
import { prefillS3, recordVisitFacts, s3Errors, withVisitFacts } from "./visitfacts.js";
import { registerServiceWorker, applyUpdate } from "./update.js";
import { startIdleLock } from "./idle.js";
import { buildExport, downloadFile } from "./export.js";
import { el } from "./dom.js";
import { observationButtons, checklistNoun } from "./observation.js";
import { todayItems, renderToday, searchWords, filterCaseload } from "./today.js";
import { renderFlagsSummary } from "./formbar.js";

const $ = (id) => document.getElementById(id);

const SCREENS = ["loading", "online-first", "set-passphrase", "unlock", "list", "form", "people", "message", "change-passphrase"];
const STATUS_LABELS = {
  draft: "Draft",
  submitted: "Submitted",
  returned: "Returned for changes",
  approved: "Approved",
  escalated: "Escalated",
};

let currentScreen = "loading";
let openVisit = null; // {draft, form, editable, releaseLock, template, household}
let stopIdle = null;
let signedOutOnServer = false;
let lockNotice = null;
let leaving = false;

// ---- small DOM helpers --------------------------------------------------------

function button(text, onClick, { variant = "", label = null, id = null, describedBy = null } = {}) {
  const node = el("button", {
    type: "button", class: `button ${variant}`.trim(), "aria-label": label, id, text, "aria-describedby": describedBy,
  });
  node.addEventListener("click", onClick);
  return node;
}

function timeOf(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  const time = date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  return sameDay ? time : `${date.toLocaleDateString("en-GB", { day: "numeric", month: "short" })} ${time}`;
}

function dateTimeOf(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

function showScreen(name) {
  currentScreen = name;
  for (const screen of SCREENS) $(`screen-${screen}`).hidden = screen !== name;
  const unlocked = isUnlocked();
  $("lock").hidden = !unlocked;
  $("sign-out").hidden = !(unlocked || name === "unlock");
  $("user-name").hidden = !unlocked;
  $("sync-now").hidden = !unlocked;
  $("device-actions").hidden = !unlocked;
  if (name !== "unlock") $("forgot-confirm").hidden = true;
  if (name !== "form") $("form-errors").hidden = true;
}

function showMessage(title, text) {
  $("message-title").textContent = title;
  $("message-text").textContent = text;
  showScreen("message");
  $("main").focus();
}

function setFieldError(id, message) {
  const node = $(id);
  node.textContent = message ? `Error: ${message}` : "";
  node.hidden = !message;
}

// ---- status line and storage footer ------------------------------------------

// Sync now says what it did, next to the button (aria-live), offline too.
async function onSyncNow() {
  const note = $("sync-note");
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

function renderStatus(state) {
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

async function renderStorage() {
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

// ---- boot ------------------------------------------------------------------------

function supported() {
  return Boolean(window.isSecureContext && window.crypto && crypto.subtle && window.indexedDB && crypto.randomUUID);
}

async function boot() {
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
  try {
    bootstrap = await fetchBootstrap();
  } catch (error) {
    problem = error;
  }

  if (bootstrap) {
    signedOutOnServer = false;
    adoptBootstrap(bootstrap);
    if (info.exists && info.userId === bootstrap.user.id) {
      showUnlock();
    } else {
      if (info.exists) await counted.then(() => wipeVault());
      showSetPassphrase();
    }
    return;
  }
  if (problem instanceof ApiError && problem.wipe) {
    const waiting = info.exists ? await countSecrets("outbox").catch(() => 0) : 0;
    if (problem.problem.mode === "retire" && waiting > 0) {
      // Retired, not lost: unlock to send what waits; the sync then wipes.
      showUnlock({ notice: `This device has been retired. Unlock it to send the ${waiting} ${waiting === 1 ? "item" : "items"} waiting; visitcheck then deletes its offline data.` });
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
    signedOutOnServer = true;
    showUnlock({ notice: "You are signed out on the server. You can still work offline; sign in again to sync." });
    return;
  }
  // Offline, or the server is unwell.
  if (info.exists) {
    showUnlock({ notice: problem instanceof NetworkError ? "You are offline. Visits you record will sync when you are back online." : null });
  } else {
    showScreen("online-first");
  }
}

// ---- passphrase and unlock -------------------------------------------------------

function showSetPassphrase() {
  $("set-passphrase-form").reset();
  setFieldError("passphrase-error", "");
  setFieldError("passphrase-confirm-error", "");
  $("set-passphrase-message").textContent = "";
  showScreen("set-passphrase");
  $("passphrase").focus();
}

async function onSetPassphrase(event) {
  event.preventDefault();
  const first = $("passphrase").value;
  const second = $("passphrase-confirm").value;
  setFieldError("passphrase-error", "");
  setFieldError("passphrase-confirm-error", "");
  if (first.length < MIN_PASSPHRASE_LENGTH) {
    setFieldError("passphrase-error", `Use at least ${MIN_PASSPHRASE_LENGTH} characters.`);
    $("passphrase").focus();
    return;
  }
  if (first !== second) {
    setFieldError("passphrase-confirm-error", "The two passphrases are not the same.");
    $("passphrase-confirm").focus();
    return;
  }
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

function showUnlock({ notice = null } = {}) {
  $("unlock-form").reset();
  setFieldError("unlock-error", "");
  $("unlock-message").textContent = "";
  $("unlock-notice").textContent = notice || "";
  $("unlock-notice").hidden = !notice;
  showScreen("unlock");
  $("unlock-passphrase").focus();
}

async function onUnlock(event) {
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
        showMessage("Offline data deleted",
          "Too many wrong passphrases: the offline data on this device has been deleted. Sign in online to start again.");
        return;
      }
      if (error.reason === "no-vault") {
        await boot();
        return;
      }
      if (error.reason === "wait") {
        setFieldError("unlock-error", `Too many wrong tries. Wait ${Math.ceil(error.waitMs / 1000)} seconds and try again.`);
      } else {
        let text = "That passphrase is not right.";
        if (error.remaining !== null && error.remaining <= 5) {
          text += ` ${error.remaining} more wrong ${error.remaining === 1 ? "try deletes" : "tries delete"} this device's offline data.`;
        }
        if (error.waitMs) text += ` Wait ${Math.ceil(error.waitMs / 1000)} seconds before the next try.`;
        setFieldError("unlock-error", text);
      }
    } else {
      console.error(error);
      setFieldError("unlock-error", `Could not unlock: ${error.message}`);
    }
    $("unlock-passphrase").focus();
  } finally {
    submit.disabled = false;
  }
}

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
  await renderList();
  requestPersistentStorage().then(renderStorage);
  startSync({ onRevoked });
}

/** Ask the browser not to evict this origin's storage (at sign-in and each unlock; no prompt in Chromium). */
async function requestPersistentStorage() {
  if (!navigator.storage || !navigator.storage.persist) return false;
  try {
    if (navigator.storage.persisted && await navigator.storage.persisted()) return true;
    return await navigator.storage.persist();
  } catch {
    return false;
  }
}

async function lockNow({ reason = null } = {}) {
  if (!isUnlocked()) return;
  await saveOpenDraftQuietly();
  closeVisit();
  stopSync();
  if (stopIdle) { stopIdle(); stopIdle = null; }
  lockNotice = reason;
  lockVault();
}

function clearPersonalDom() {
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

async function onRevoked({ mode = "lost", unsent = 0 } = {}) {
  leaving = true;
  closeVisit();
  stopSync();
  await wipeVault();
  clearSession();
  clearPersonalDom();
  showMessage("This device was signed out", revokedText(mode, unsent));
}

function revokedText(mode, unsent = 0) {
  const base = mode === "retire"
    ? "An administrator retired this device. Everything waiting was sent first; its offline data has now been deleted."
    : "An administrator revoked this device, so its offline data has been deleted.";
  if (!unsent) return base;
  return `${base} ${unsent} ${unsent === 1 ? "item" : "items"} could not be sent and ${unsent === 1 ? "was" : "were"} deleted with it: tell your team lead.`;
}

// ---- the household list -------------------------------------------------------------

function visitSummary(visit, outbox) {
  const when = visit.answers?.visit?.visit_at || visit.saved_at;
  const label = STATUS_LABELS[visit.status] || visit.status || "Draft";
  const entry = outbox.get(visit.id);
  let sync = "synced";
  if (entry && entry.attention.length) sync = "needs attention";
  else if (entry && entry.pending) sync = "waiting to sync";
  else if (!visit.rev) sync = "not synced";
  const noun = checklistNoun(visit);
  return { title: when ? `${noun} ${dateTimeOf(when)}` : `${noun} (no date yet)`, label, sync };
}

async function renderList() {
  if (!isUnlocked()) return;
  let households;
  let visits;
  let outbox;
  try {
    [households, visits, outbox] = await Promise.all([listHouseholds(), listVisits(), outboxByEntity()]);
  } catch (error) {
    if (error instanceof VaultLockedError) return;
    throw error;
  }
  if (!isUnlocked()) return; // locked while reading: show nothing
  const container = $("households");
  container.replaceChildren();
  const known = new Set(households.map((h) => h.id));
  const byHousehold = new Map();
  for (const visit of visits) {
    const key = known.has(visit.household_id) ? visit.household_id : "__other__";
    if (!byHousehold.has(key)) byHousehold.set(key, []);
    byHousehold.get(key).push(visit);
  }
  for (const list of byHousehold.values()) {
    list.sort((a, b) => String(b.saved_at || "").localeCompare(String(a.saved_at || "")));
  }
  households.forEach((household, index) => {
    container.append(householdCard(household, byHousehold.get(household.id) || [], outbox, index));
  });
  const others = byHousehold.get("__other__");
  if (others && others.length) {
    container.append(householdCard({ id: null, address: "Other visits", members: [] }, others, outbox, households.length));
  }
  $("households-empty").hidden = households.length > 0 || Boolean(others && others.length);
  renderAttention(visits, outbox, households);
  const alerts = isUnlocked() ? await listAlerts().catch(() => []) : [];
  renderAlerts($("alerts"), alerts, { outbox, onAcknowledge: onAcknowledgeAlert });
  await renderTodayList(households, visits, alerts);
  filterCaseload(container, $("caseload-search").value, $("caseload-search-status"));
  if (currentScreen !== "form" && currentScreen !== "people") showScreen("list");
}

// Today (today.js): the day's items from the vault, each opening the thing to do.
async function renderTodayList(households, visits, alerts) {
  if (!isUnlocked()) return; // locked or wiped: never reopen the vault's database
  const [followups, plans] = await Promise.all([readAllSecrets("followup"), readAllSecrets("visit_plan")]).catch(() => [[], []]);
  if (!isUnlocked()) return;
  const items = todayItems({ households, visits, followups, alerts, plans, bankHolidays: currentBootstrap()?.calendar?.bank_holidays || [] });
  renderToday($("today"), items, { households, handlers: {
    onNew: openNew, onOpen: openExisting, onPlanned: async () => { await renderList(); syncIfOnline(); },
    onAlert: (alertId) => {
      const target = document.querySelector(`#alerts [data-alert="${CSS.escape(alertId)}"]`);
      if (!target) return;
      target.scrollIntoView({ block: "start" });
      (target.querySelector("button") || target).focus();
    },
  } });
}

function householdCard(household, visits, outbox, index) {
  const headingId = `household-${index}`;
  const card = el("article", { class: "household", "aria-labelledby": headingId, "data-household": household.id || "", "data-search": searchWords(household) });
  card.append(el("h2", { id: headingId, text: household.address || "Address not recorded" }));
  const children = (household.members || []).filter((m) => m.is_child);
  const adults = (household.members || []).filter((m) => !m.is_child);
  if (household.members && household.members.length) {
    card.append(el("p", { class: "members", text:
      `${children.length} ${children.length === 1 ? "child" : "children"}`
      + (children.length ? `: ${children.map((c) => c.name).join(", ")}` : "")
      + ` · ${adults.length} ${adults.length === 1 ? "adult" : "adults"}` }));
  }
  if (visits.length) {
    const list = el("ul", { class: "visits" });
    visits.forEach((visit, position) => {
      const summary = visitSummary(visit, outbox);
      const titleId = `${headingId}-visit-${position}`;
      const item = el("li", { class: "visit", "data-entity": visit.id, "data-status": visit.status || "draft", "data-sync": summary.sync });
      item.append(el("span", { class: "visit-text", id: titleId },
        el("span", { class: "visit-title", text: summary.title }),
        el("span", { class: `badge status-${visit.status || "draft"}`, text: summary.label }),
        el("span", { class: `badge sync-${summary.sync.replace(/\s+/g, "-")}`, text: summary.sync })));
      item.append(button("Open", () => openExisting(visit.id), { variant: "secondary", describedBy: titleId }));
      list.append(item);
    });
    card.append(list);
  }
  if (household.id) {
    card.append(el("div", { class: "actions" },
      button("New visit", () => openNew(household.id), { describedBy: headingId }),
      button("People", () => showPeople(household.id), { variant: "secondary", describedBy: headingId }),
      ...observationButtons(household, { templates: currentBootstrap()?.templates, makeButton: button,
        describedBy: headingId, onStart: (draft) => showVisit(draft, { isNew: true }) })));
  }
  return card;
}

function describeAttention(op) {
  const reason = op.reason || {};
  if (reason.status === "conflict") return "Changed on the server since you last synced it.";
  const error = reason.error || {};
  const fieldMessages = (error.errors || []).map((e) => e.message).filter(Boolean);
  return [error.title, error.detail, ...fieldMessages].filter(Boolean).join(" ") || "The server did not accept it.";
}

// Acknowledged offline too: the alert.ack op waits in the outbox like any other.
async function onAcknowledgeAlert(alertId) {
  await acknowledgeAlert(alertId);
  await renderList();
  syncIfOnline();
}

// The two versions side by side (conflict.js); the user's choice queues a new op.
function conflictHolder(entityId, visit, households, onResolved) {
  const holder = el("div", { class: "conflict-holder" });
  const household = households.find((h) => h.id === visit?.household_id);
  const names = new Map((household?.members || []).map((m) => [m.person_id, m.name]));
  const template = visit ? findTemplate(visit.template, visit.template_version) : null;
  mountConflict(holder, entityId, { template, names, onResolved }).catch((error) => console.error(error));
  return holder;
}

function renderAttention(visits, outbox, households) {
  const box = $("attention");
  box.replaceChildren();
  const items = [];
  const addresses = new Map(households.map((h) => [h.id, h.address]));
  for (const [entityId, entry] of outbox) {
    if (!entry.attention.length) continue;
    const op = entry.attention[0];
    const visit = visits.find((v) => v.id === entityId);
    const where = addresses.get(op.household_id || (op.type === "household.put" ? entityId : null)) || "a household";
    const item = el("li", { class: "attention-item", "data-entity": entityId });
    item.append(el("p", {},
      el("strong", { text: `Needs attention: ${attentionSubject(op, where)}. ` }), describeAttention(op)));
    const actions = el("div", { class: "actions" });
    if (visit) actions.append(button("Open", () => openExisting(entityId), { variant: "secondary" }));
    item.append(actions);
    if (op.reason?.status === "conflict") {
      item.append(conflictHolder(entityId, visit, households, async () => { await renderList(); syncIfOnline(); }));
    }
    items.push(item);
  }
  box.hidden = items.length === 0;
  if (items.length) {
    box.append(el("h2", { text: "Needs your attention" }), el("ul", {}, ...items));
  }
}

// ---- the checklist form -------------------------------------------------------------

function findTemplate(name, version) {
  const templates = currentBootstrap()?.templates || [];
  return templates.find((t) => t.template === name && (version === undefined || t.version === version)) || null;
}

// New visits start on the latest version of the named template, and of that template
// only (never another one's, such as child-observation); drafts keep their version.
function latestTemplate(name) {
  const templates = (currentBootstrap()?.templates || []).filter((t) => t.template === name);
  return templates.sort((a, b) => b.version - a.version)[0] || null;
}

async function openNew(householdId) {
  const template = latestTemplate("home-visit");
  if (!template) {
    showMessage("No checklist available", "This device has no checklist templates yet. Sync online once.");
    return;
  }
  const draft = {
    id: crypto.randomUUID(),
    household_id: householdId,
    template: template.template,
    template_version: template.version,
    status: "draft",
    answers: {},
    saved_at: null,
    rev: 0,
  };
  await showVisit(draft, { isNew: true });
}

async function openExisting(entityId) {
  const visit = await getVisit(entityId);
  if (!visit) return;
  await showVisit(visit, { isNew: false });
}

function acquireDraftLock(entityId) {
  if (!navigator.locks || !navigator.locks.request) return Promise.resolve(() => {});
  return new Promise((resolve) => {
    navigator.locks.request(`visitcheck-draft-${entityId}`, { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      return new Promise((release) => resolve(release));
    });
  });
}

// Read-only here because another tab has the draft open: once that tab lets go,
// open it again here, editable, with what the other tab saved. Closing the visit
// here first stops the wait (the signal).
function reopenWhenDraftFrees(entityId, signal) {
  if (!navigator.locks || !navigator.locks.request) return;
  navigator.locks.request(`visitcheck-draft-${entityId}`, { signal }, () => undefined)
    .then(() => {
      if (openVisit && openVisit.draft.id === entityId && !openVisit.editable && isUnlocked()) {
        return openExisting(entityId);
      }
      return undefined;
    })
    .catch((error) => { if (error.name !== "AbortError") console.error(error); });
}

function closeVisit() {
  if (openVisit && openVisit.releaseLock) openVisit.releaseLock();
  if (openVisit && openVisit.stopWaiting) openVisit.stopWaiting.abort();
  openVisit = null;
  renderFlags();
  $("section-nav").replaceChildren();
  renderReview(null);
  $("flags-list").replaceChildren();
  document.getElementById("followup")?.remove();
  $("checklist-body").replaceChildren();
  $("form-attention").replaceChildren();
  $("form-errors").replaceChildren();
  $("form-errors").hidden = true;
  $("form-message").textContent = "";
}

// What the form and the live flags need from the vault for one household:
// the household (members with parental responsibility from the person
// records), every household, person and visit the device holds, and the
// concerns about people linked to it.
async function rulesInputFor(householdId) {
  const [stored, allHouseholds, persons, visits, allConcerns, followups] = await Promise.all([
    getHousehold(householdId), listHouseholds(), readAllSecrets("person"), listVisits(), readAllSecrets("concern"),
    readAllFollowups()]);
  const household = householdWithParents(stored || { id: householdId, members: [] }, persons);
  const concerns = await concernsFor(household);
  const alerts = alertsForRules(await listAlerts(), householdId, currentBootstrap()?.user);
  // The bank holidays the server counts working days with (bootstrap's calendar).
  const bankHolidays = currentBootstrap()?.calendar?.bank_holidays || [];
  return { household, allHouseholds, persons, concerns, allConcerns, visits, alerts, bankHolidays, followups };
}

// The flags the server stored for this checklist at its last evaluation, as the
// last pull brought them ([] for a visit the server has not seen).
async function serverFlagsFor(checklistId) {
  const copy = await readSecret("checklist", checklistId);
  return Array.isArray(copy?.flags) ? copy.flags : [];
}

// Entities changed (here or by a pull) while a visit is open: the flags see it at once.
async function refreshOpenVisitFlags() {
  if (!openVisit || !isUnlocked()) return;
  const visit = openVisit;
  try {
    const input = await rulesInputFor(visit.draft.household_id);
    const serverFlags = await serverFlagsFor(visit.draft.id);
    if (openVisit !== visit) return;
    visit.rulesInput = input;
    visit.serverFlags = serverFlags;
    renderFlags();
  } catch (error) {
    if (!(error instanceof VaultLockedError)) console.error(error);
  }
}

let flagTimer = null;

function buildForm({ template, household, concerns, answers }) {
  return renderChecklist({
    template, household, concerns, answers,
    onChange: () => {
      clearTimeout(flagTimer);
      flagTimer = setTimeout(renderFlags, 250);
    },
  });
}

// A save added people to S2 or a concern from S3: draw the form again so the
// new people are members (S1, S2, S4, S5 repeat over them) and S3 lists them,
// keeping the answers, the scroll position and the visit's lock.
async function redrawOpenVisit() {
  const visit = openVisit;
  if (!visit || !isUnlocked()) return;
  const rulesInput = await rulesInputFor(visit.draft.household_id);
  if (openVisit !== visit) return;
  const answers = visit.form.answers();
  const form = buildForm({ template: visit.template, household: rulesInput.household, concerns: rulesInput.concerns, answers });
  form.setDisabled(!visit.editable);
  const y = window.scrollY;
  Object.assign(visit, { form, rulesInput, household: rulesInput.household });
  $("checklist-body").replaceChildren(form.element);
  renderSectionNav(form);
  window.scrollTo(0, y);
  renderFlags();
}

// ---- people in a household -------------------------------------------------------------

async function showPeople(householdId, { fromVisit = null } = {}) {
  const onClose = fromVisit
    ? () => showVisit(fromVisit.draft, { isNew: fromVisit.isNew })
    : async () => { await renderList(); showScreen("list"); $("main").focus(); syncIfOnline(); };
  showScreen("people");
  await openPeople($("people-body"), householdId, {
    onClose, closeText: fromVisit ? "Back to the visit" : "Back to list",
  });
}

/** From an open visit: keep its answers (saved if edited), see the household's people, come back. */
async function onPeopleFromVisit() {
  if (!openVisit) return;
  await saveOpenDraftQuietly();
  if (!openVisit) return;
  const { draft, form, isNew } = openVisit;
  const resume = { draft: { ...draft, answers: form.answers() }, isNew };
  closeVisit();
  await showPeople(draft.household_id, { fromVisit: resume });
}

async function showVisit(draft, { isNew }) {
  closeVisit();
  const template = findTemplate(draft.template, draft.template_version);
  if (!template) {
    showMessage("Checklist version not available",
      `This visit uses ${draft.template} version ${draft.template_version}, which this device does not have yet. Sync online and try again.`);
    return;
  }
  const rulesInput = await rulesInputFor(draft.household_id);
  const serverFlags = await serverFlagsFor(draft.id);
  const { household, concerns } = rulesInput;
  const outbox = await outboxByEntity();
  const entry = outbox.get(draft.id);
  const needsAttention = Boolean(entry && entry.attention.length);
  // A visit the server set aside can be corrected and sent again, even if it was submitted.
  const editableStatus = needsAttention || ["draft", "returned"].includes(draft.status || "draft");
  const releaseLock = editableStatus ? await acquireDraftLock(draft.id) : () => {};
  const lockedElsewhere = editableStatus && releaseLock === null;
  const editable = editableStatus && !lockedElsewhere;

  // An editable visit's S3 shows each concern record as it is now (with what
  // this device saved into it); a submitted visit shows what was recorded then.
  const answers = editable ? prefillS3(draft.answers || {}, concerns, household) : (draft.answers || {});
  const form = buildForm({ template, household, concerns, answers });
  form.setDisabled(!editable);
  openVisit = {
    draft: { ...draft }, form, editable, releaseLock: releaseLock || null, template, household, isNew,
    rulesInput, serverFlags, stopWaiting: lockedElsewhere ? new AbortController() : null,
    // What S2 and S3 held when opened or last saved: a save sends entity ops
    // only for what changed since (visitfacts.js).
    savedAnswers: draft.answers || {},
    s3Before: { ...((answers.risky_adults && answers.risky_adults.concerns) || {}) },
  };
  if (lockedElsewhere) reopenWhenDraftFrees(draft.id, openVisit.stopWaiting.signal);
  renderFlags();

  $("form-title").textContent = template.title || "Visit";
  $("form-household").textContent = household.address || "";
  let state = STATUS_LABELS[draft.status] || "Draft";
  if (draft.saved_at) state += ` · last saved ${dateTimeOf(draft.saved_at)}`;
  if (lockedElsewhere) state += " · being edited in another visitcheck tab or window on this device, so read-only here: close it there and it opens here for editing";
  else if (!editable) state += " · read-only";
  $("form-state").textContent = state;
  $("checklist-body").replaceChildren(form.element);
  renderSectionNav(form);
  renderReview(draft.review);
  $("save-draft").hidden = !editable;
  $("submit").hidden = !editable;
  renderWithdraw(draft, { editable, needsAttention });
  const summaryBox = document.getElementById("submit-summary");
  if (summaryBox) summaryBox.hidden = true;
  $("form-message").textContent = "";

  const box = $("form-attention");
  box.replaceChildren();
  box.hidden = true;
  if (needsAttention) {
    const op = entry.attention[0];
    box.hidden = false;
    box.append(el("p", {}, el("strong", { text: "Needs attention: " }), describeAttention(op)));
    const errors = op.reason?.error?.errors || [];
    if (errors.length) showFormErrors(errors, { heading: "The server could not accept this visit" });
    if (op.reason?.status === "conflict") {
      box.append(conflictHolder(draft.id, draft, [household], async () => {
        closeVisit(); await renderList(); showScreen("list"); syncIfOnline();
      }));
    }
  }
  showScreen("form");
  $("form-title").focus();
  window.scrollTo(0, 0);
}

// Withdraw (issue 11): a visit submitted by mistake goes back to draft until the lead
// decides. Offline too: the withdrawal waits in the outbox like any op.
function renderWithdraw(draft, { editable, needsAttention }) {
  let node = document.getElementById("withdraw");
  if (!node) {
    node = button("Withdraw submission", onWithdraw, { variant: "secondary", id: "withdraw" });
    $("submit").after(node);
  }
  node.hidden = editable || needsAttention || draft.status !== "submitted";
}

async function onWithdraw() {
  if (!openVisit || openVisit.editable || openVisit.draft.status !== "submitted") return;
  const node = $("withdraw");
  node.disabled = true;
  try {
    const { draft } = openVisit;
    await withdrawChecklist(draft);
    const stored = await readSecret("draft", draft.id);
    await showVisit(stored || { ...draft, status: "draft" }, { isNew: false });
    $("form-message").textContent = "Withdrawn: back to a draft you can change and submit again. The team lead will not review it until you do.";
    syncIfOnline();
  } catch (error) {
    console.error(error);
    $("form-message").textContent = `Could not withdraw: ${error.message}`;
  } finally {
    node.disabled = false;
  }
}

const DECISION_WORDS = { approve: "approved it", return: "returned it for changes", escalate: "escalated it" };

// The team lead's latest decision on this checklist, with their comment.
function renderReview(review) {
  const box = $("form-review");
  if (!review) {
    box.replaceChildren();
    box.hidden = true;
    return;
  }
  const who = review.lead || "The team lead";
  const what = DECISION_WORDS[review.decision] || `decided: ${review.decision}`;
  const when = review.decided_at ? ` on ${dateTimeOf(review.decided_at)}` : "";
  box.replaceChildren(
    el("p", {}, el("strong", { text: `${who} ${what}${when}.` })),
    review.comment ? el("p", { class: "review-comment", text: review.comment }) : null,
  );
  box.hidden = false;
}

// Buttons that jump to each section (no URL fragments: nothing about the visit in the URL).
function renderSectionNav(form) {
  const sections = [...form.element.querySelectorAll("fieldset.section")];
  const buttons = sections.map((fieldset) => {
    const legend = fieldset.querySelector("legend");
    return button(legend.textContent, () => {
      fieldset.scrollIntoView({ block: "start" });
      const first = fieldset.querySelector("input:not([type=hidden]), textarea, button");
      if (first) first.focus({ preventScroll: true });
    }, { variant: "secondary small" });
  });
  $("section-nav").replaceChildren(...buttons);
  $("section-nav").hidden = sections.length < 2;
}

let shownFlags = "";

function renderFlags() {
  const section = $("form-flags");
  if (!openVisit) {
    section.hidden = true;
    $("flags-compact").hidden = true;
    shownFlags = "";
    return;
  }
  const { form, draft, template, serverFlags } = openVisit;
  // What S2 and S3 say counts at once, before a save records it (visitfacts.js).
  const rulesInput = withTypedFacts(openVisit.rulesInput, form.answers(), draft.id);
  const visit = { ...draft, answers: form.answers() };
  const context = buildContext({
    visit, household: rulesInput.household, households: rulesInput.allHouseholds, persons: rulesInput.persons,
    concerns: rulesInput.allConcerns, history: rulesInput.visits, alerts: rulesInput.alerts,
    bankHolidays: rulesInput.bankHolidays, followups: rulesInput.followups,
  });
  const flags = flagsFor(template, context);
  // What answers each flag (an S8 action or referral naming it, a response recorded since): answered.js.
  const answers = flagAnswers(flags, context.checklist);
  // The team's records may hold what this device does not: those flags are shown
  // too, after the tablet's own, and say where they come from in words.
  const fromTeam = serverOnlyFlags(serverFlags, flags);
  const key = JSON.stringify([flags, answers, context.checklist.followups, fromTeam]);
  if (key === shownFlags) return;
  shownFlags = key;
  form.setFlagChoices(flagChoices(flags));
  const item = (flag, { team = false, answer = null } = {}) => el("li", {
    class: `flag severity-${flag.severity}${team ? " from-team" : ""}`, "data-rule": flag.rule,
    ...(team ? { "data-source": "team" } : {}),
  },
  ...(team ? [el("p", { class: "flag-source", text: "From the team's records (as at the last sync)" })] : []),
  el("p", { class: "flag-reason" }, el("strong", { text: `${SEVERITY_WORDS[flag.severity] || flag.severity}: ` }), flag.reason),
  el("p", { class: "flag-action" }, el("span", { class: "flag-label", text: "Suggested action: " }), flag.action),
  ...(team ? [] : [flagAnswerNote(flag, answer)]));
  const list = $("flags-list");
  list.replaceChildren(...flags.map((flag, index) => item(flag, { answer: answers[index] })),
    ...fromTeam.map((flag) => item(flag, { team: true })));
  section.hidden = flags.length + fromTeam.length === 0;
  renderFlagsSummary($("flags-compact"), [...flags, ...fromTeam]);
  renderFollowThroughPanel(context, flags, answers);
}

// Follow-through on a visit already submitted (followup.js): outcomes, statuses,
// responses to flags and late entries, recorded offline and synced as ops.
function renderFollowThroughPanel(context, flags, answers) {
  const old = document.getElementById("followup");
  const { draft, editable } = openVisit;
  if (editable || (draft.status || "draft") === "draft") {
    if (old) old.remove();
    return;
  }
  const panel = renderFollowThrough({
    answers: context.checklist.answers, flags, flagAnswers: answers, followups: context.checklist.followups,
    onRecord: async (fields) => {
      const visit = openVisit;
      await recordFollowup(visit.draft, fields);
      visit.rulesInput = { ...visit.rulesInput, followups: await readAllFollowups() };
      if (openVisit !== visit) return;
      renderFlags();
      const message = document.querySelector("#followup .message");
      if (message) message.textContent = "Recorded on this device: it will be sent to the server when it syncs.";
      syncIfOnline();
    },
  });
  if (old) old.replaceWith(panel);
  else $("form-flags").after(panel);
}

// The vault's rules input with what is typed in S2 and S3 laid in: the
// household and persons, and every list of concerns it carries.
function withTypedFacts(input, answers, visitId) {
  const typed = withVisitFacts({ ...input, answers, visitId });
  const out = { ...input, household: typed.household, persons: typed.persons, concerns: typed.concerns };
  if (Array.isArray(input.allConcerns)) {
    out.allConcerns = withVisitFacts({ ...input, concerns: input.allConcerns, answers, visitId }).concerns;
  }
  return out;
}

function showFormErrors(errors, { heading = "There is a problem" } = {}) {
  const { form } = openVisit;
  form.clearErrors();
  const unmatched = form.showErrors(errors);
  const summary = $("form-errors");
  const list = el("ul");
  for (const error of errors) {
    const item = el("li");
    if (unmatched.includes(error)) {
      item.textContent = error.message || String(error.field);
    } else {
      item.append(button(error.message || "Check this answer", () => form.focusField(error.field), { variant: "link" }));
    }
    list.append(item);
  }
  summary.replaceChildren(el("h2", { text: heading }), list);
  summary.hidden = false;
}

function collectDraft(status) {
  const { draft, form } = openVisit;
  return { ...draft, answers: form.answers(), status, saved_at: new Date().toISOString() };
}

// Saving a visit also records what S2 and S3 say about people on their own
// records (visitfacts.js), queued before the checklist. Saves run one after
// another (a quick second click, or leaving while a save runs, must not
// compare against answers a running save has not stored yet), each with the
// answers of the moment it was asked for. Returns what could not be
// recorded yet, in words.
let saving = Promise.resolve();

// quiet: a save nobody is looking at (leaving the visit, locking, the app
// hidden): the form is not drawn again now, but on the next save or return.
function persist(status, { quiet = false } = {}) {
  const visit = openVisit;
  const next = collectDraft(status);
  const run = saving.then(() => persistVisit(visit, next, status, quiet));
  saving = run.catch(() => {});
  return run;
}

async function persistVisit(visit, next, status, quiet) {
  const facts = await recordVisitFacts({ visit: next, savedAnswers: visit.savedAnswers, s3Before: visit.s3Before });
  await saveChecklist(next);
  const stored = await readSecret("draft", next.id);
  visit.draft = stored || next;
  visit.isNew = false;
  visit.savedAnswers = next.answers;
  visit.s3Before = facts.s3Before;
  if (openVisit === visit && JSON.stringify(visit.form.answers()) === JSON.stringify(next.answers)) visit.form.markClean();
  if (facts.structural) visit.needsRedraw = true;
  if (!quiet && status !== "submitted") await redrawIfNeeded(visit);
  return facts.notes;
}

async function redrawIfNeeded(visit) {
  if (openVisit !== visit || !isUnlocked()) return;
  if (visit.needsRedraw) {
    visit.needsRedraw = false;
    await redrawOpenVisit();
  } else {
    await refreshOpenVisitFlags();
  }
}

function syncIfOnline() {
  if (!navigator.onLine) return;
  syncNow("save");
}

async function onSaveDraft() {
  if (!openVisit || !openVisit.editable) return;
  // A draft may have gaps, not a date that cannot be right: the server would refuse it.
  const wrongDates = openVisit.form.validate({ required: false });
  if (wrongDates.length) {
    showFormErrors(wrongDates);
    $("form-message").textContent = "Not saved: a date cannot be right (see above).";
    openVisit.form.focusField(wrongDates[0].field);
    return;
  }
  const buttonNode = $("save-draft");
  buttonNode.disabled = true;
  const visit = openVisit;
  try {
    const notes = await persist("draft");
    syncIfOnline();
    if (openVisit !== visit) return; // left the visit while it was saving
    $("form-message").textContent = [`Draft saved on this device at ${timeOf(visit.draft.saved_at)}.`, ...notes].join(" ");
    $("form-state").textContent = `Draft · last saved ${dateTimeOf(visit.draft.saved_at)}`;
  } catch (error) {
    console.error(error);
    $("form-message").textContent = `Could not save: ${error.message}`;
  } finally {
    buttonNode.disabled = false;
  }
}

async function onSubmit(event) {
  event.preventDefault();
  if (!openVisit || !openVisit.editable) return;
  const { form } = openVisit;
  form.clearErrors();
  $("form-errors").hidden = true;
  const { rulesInput, s3Before } = openVisit;
  const errors = [...form.validate(),
    ...s3Errors({ answers: form.answers(), concerns: rulesInput.concerns, s3Before, household: rulesInput.household })];
  if (errors.length) {
    showFormErrors(errors);
    $("form-message").textContent = "Not submitted yet: some answers are missing.";
    form.focusField(errors[0].field);
    return;
  }
  // The check before submitting: shown first, the practitioner confirms (issue 11).
  if (!openVisit.summaryConfirmed) {
    showSubmitSummary();
    return;
  }
  openVisit.summaryConfirmed = false;
  hideSubmitSummary();
  const submitButton = $("submit");
  submitButton.disabled = true;
  try {
    await persist("submitted");
    closeVisit();
    await renderList();
    showScreen("list");
    $("main").focus();
    syncIfOnline();
  } catch (error) {
    console.error(error);
    $("form-message").textContent = `Could not submit: ${error.message}`;
  } finally {
    submitButton.disabled = false;
  }
}

// What may be left open, each item a way to the place to fix it; then confirm or go back.
function showSubmitSummary() {
  const { form, draft, template, rulesInput, household } = openVisit;
  const answers = form.answers();
  const flags = flagsFor(template, buildContext({ ...rulesInput, visit: { ...draft, answers } }));
  const items = submitSummary({ template, answers, flags, household });
  let box = document.getElementById("submit-summary");
  if (!box) {
    box = el("section", { id: "submit-summary", class: "notice submit-summary", "aria-labelledby": "submit-summary-title", tabindex: "-1" });
    $("checklist-form").querySelector(".form-actions").before(box);
  }
  const goTo = (item) => () => {
    hideSubmitSummary();
    if (item.path) form.focusField(item.path);
    else if (item.section) {
      const fieldset = form.element.querySelector(`fieldset.section[data-section="${item.section}"]`);
      if (fieldset) {
        fieldset.scrollIntoView({ block: "start" });
        const first = fieldset.querySelector("input:not([type=hidden]), textarea, button");
        if (first) first.focus({ preventScroll: true });
      }
    }
  };
  box.replaceChildren(
    el("h2", { id: "submit-summary-title", text: "Before you submit" }),
    items.length
      ? el("p", { text: `${items.length} ${items.length === 1 ? "thing is" : "things are"} left open. You can still send it, or go to each and fix it first.` })
      : el("p", { text: "Nothing left open: every urgent flag has an action, every section has answers and every child was seen." }),
    items.length ? el("ul", { class: "summary-items" }, ...items.map((item) => el("li", { "data-kind": item.kind },
      el("span", { text: item.text }), " ",
      (item.path || item.section) ? button("Go there", goTo(item), { variant: "secondary small", label: `Go there: ${item.text}` }) : null))) : null,
    el("div", { class: "actions" },
      button("Send to the team lead", () => {
        openVisit.summaryConfirmed = true;
        $("checklist-form").requestSubmit();
      }, { id: "submit-confirm" }),
      button("Back to the visit", () => { hideSubmitSummary(); $("submit").focus(); }, { variant: "secondary" })),
  );
  box.hidden = false;
  $("submit").hidden = true;
  $("save-draft").hidden = true;
  box.focus();
}

function hideSubmitSummary() {
  const box = document.getElementById("submit-summary");
  if (box) box.hidden = true;
  if (openVisit && openVisit.editable) {
    $("submit").hidden = false;
    $("save-draft").hidden = false;
  }
}

/** Save the open draft, if it has unsaved edits, without leaving the form. */
async function saveOpenDraftQuietly() {
  if (!openVisit || !openVisit.editable || !openVisit.form.dirty || !isUnlocked()) return;
  try {
    await persist("draft", { quiet: true });
  } catch (error) {
    console.error("could not save the open draft", error);
  }
}

async function onBackToList() {
  await saveOpenDraftQuietly();
  closeVisit();
  await renderList();
  showScreen("list");
  syncIfOnline();
}

// ---- sign-out ---------------------------------------------------------------------------

async function onSignOut() {
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
async function onSignOutSyncFirst() {
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
async function onExport() {
  const message = $("export-message");
  if (!isUnlocked()) return;
  try {
    const ops = await loadOutbox();
    if (!ops.length) {
      message.textContent = "Nothing is waiting to sync, so there is nothing to export.";
      return;
    }
    const info = await vaultInfo();
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

// ---- passphrase change and reset --------------------------------------------------------

function showChangePassphrase() {
  $("change-passphrase-form").reset();
  for (const id of ["current-passphrase-error", "new-passphrase-error", "new-passphrase-confirm-error"]) setFieldError(id, "");
  $("change-passphrase-message").textContent = "";
  showScreen("change-passphrase");
  $("current-passphrase").focus();
}

async function onChangePassphrase(event) {
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
  if (next.length < MIN_PASSPHRASE_LENGTH) {
    setFieldError("new-passphrase-error", `Use at least ${MIN_PASSPHRASE_LENGTH} characters.`);
    $("new-passphrase").focus();
    return;
  }
  if (next !== again) {
    setFieldError("new-passphrase-confirm-error", "The two passphrases are not the same.");
    $("new-passphrase-confirm").focus();
    return;
  }
  const submit = $("change-passphrase");
  submit.disabled = true;
  $("change-passphrase-message").textContent = "Changing the passphrase…";
  try {
    await changePassphrase({ current, next });
    $("change-passphrase-form").reset();
    $("change-passphrase-message").textContent = "";
    await renderList();
    showScreen("list");
    $("export-message").textContent = "Offline passphrase changed. Use the new one from now on.";
  } catch (error) {
    $("change-passphrase-message").textContent = "";
    $("current-passphrase").value = "";
    if (error instanceof UnlockError && error.reason === "wiped") {
      showMessage("Offline data deleted",
        "Too many wrong passphrases: the offline data on this device has been deleted. Sign in online to start again.");
      return;
    }
    if (error instanceof UnlockError && error.reason === "wait") {
      setFieldError("current-passphrase-error", `Too many wrong tries. Wait ${Math.ceil(error.waitMs / 1000)} seconds and try again.`);
    } else if (error instanceof UnlockError) {
      let text = "That is not your current passphrase.";
      if (error.remaining !== null && error.remaining <= 5) {
        text += ` ${error.remaining} more wrong ${error.remaining === 1 ? "try deletes" : "tries delete"} this device's offline data.`;
      }
      setFieldError("current-passphrase-error", text);
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
async function onForgotPassphrase() {
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
  const unsynced = await countSecrets("outbox").catch(() => 0);
  text.textContent = (unsynced
    ? `${unsynced} ${unsynced === 1 ? "item on this device has" : "items on this device have"} not reached the server and will be lost: without the passphrase nobody can open ${unsynced === 1 ? "it" : "them"}. `
    : "Everything on this device has reached the server, so nothing is lost. ")
    + "Resetting deletes this device's offline data and signs you out. Sign in again with your account password, set a new offline passphrase, and your caseload downloads again.";
  $("forgot-confirm").dataset.unsynced = String(unsynced);
  $("forgot-confirm").hidden = false;
  $("forgot-cancel").focus();
}

async function signOut() {
  leaving = true;
  $("signout-confirm").hidden = true;
  closeVisit();
  stopSync();
  if (stopIdle) { stopIdle(); stopIdle = null; }
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

// ---- wiring ----------------------------------------------------------------------------------

function wire() {
  $("set-passphrase-form").addEventListener("submit", onSetPassphrase);
  $("unlock-form").addEventListener("submit", onUnlock);
  $("checklist-form").addEventListener("submit", onSubmit);
  $("save-draft").addEventListener("click", onSaveDraft);
  $("back-to-list").addEventListener("click", onBackToList);
  // The caseload, one tap from Today, found by name, address or child.
  $("caseload-search").addEventListener("input", () => filterCaseload($("households"), $("caseload-search").value, $("caseload-search-status")));
  $("to-caseload").addEventListener("click", (event) => {
    event.preventDefault();
    $("caseload-title").scrollIntoView({ block: "start" });
    $("caseload-title").focus();
  });
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
      if (currentScreen === "list" && isUnlocked()) renderList();
      if (currentScreen === "form") refreshOpenVisitFlags();
    }
  });
  window.addEventListener("online", () => renderStatus(syncState()));
  window.addEventListener("offline", () => renderStatus(syncState()));
  onLockChange((unlocked) => {
    if (unlocked) return;
    closeVisit();
    clearSession();
    clearPersonalDom();
    if (leaving) return; // wiped: do not reopen (and so recreate) the database
    refreshCounts().catch(() => {});
    const notice = lockNotice || "visitcheck is locked.";
    lockNotice = null;
    if (currentScreen !== "message") showUnlock({ notice });
  });
  // Leaving the app (switching task on the tablet) saves an open draft.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") saveOpenDraftQuietly();
    else if (openVisit && openVisit.needsRedraw) redrawIfNeeded(openVisit).catch((error) => console.error(error));
  });
  window.addEventListener("pagehide", () => { saveOpenDraftQuietly(); });
}

wire();
registerServiceWorker({ onUpdateReady: () => { $("update-now").hidden = false; } });
boot();
