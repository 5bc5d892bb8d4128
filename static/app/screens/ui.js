// What every screen of the app shell shares: finding a node, showing one screen
// (and the header's buttons that go with it), a message, a field's error, the
// words for a visit's status, the times shown, and "sync now if online".
// Making nodes and buttons: ../dom.js.

import { isUnlocked } from "../vault.js";
import { later } from "./later.js";

export const $ = (id) => document.getElementById(id);

const SCREENS = ["loading", "online-first", "set-passphrase", "unlock", "list", "form", "people", "message", "change-passphrase"];

export const STATUS_LABELS = {
  draft: "Draft",
  submitted: "Submitted",
  returned: "Returned for changes",
  approved: "Approved",
  escalated: "Escalated",
};

let shown = "loading";

/** The screen showing now: one of SCREENS ("list", "form", "people", "message", ...). */
export function currentScreen() {
  return shown;
}

export function showScreen(name) {
  shown = name;
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

export function showMessage(title, text) {
  $("message-title").textContent = title;
  $("message-text").textContent = text;
  showScreen("message");
  $("main").focus();
}

export function setFieldError(id, message) {
  const node = $(id);
  node.textContent = message ? `Error: ${message}` : "";
  node.hidden = !message;
}

/** "14:05" today, "3 Mar 14:05" on another day. */
export function timeOf(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  const time = date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  return sameDay ? time : `${date.toLocaleDateString("en-GB", { day: "numeric", month: "short" })} ${time}`;
}

/** "3 Mar 2026, 14:05". */
export function dateTimeOf(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** After something was queued: send it now if there is a connection (else the sync loop will). */
export function syncIfOnline() {
  if (!navigator.onLine) return;
  later("sync").then(({ syncNow }) => syncNow("save"), (error) => console.error(error));
}
