// Alerts about adults who may pose a risk (lesson L1), on the tablet.
//
// The server raises an alert for every professional with a child of the
// household on their caseload and delivers it on pull (change type "alert",
// see visitcheck/sharing/service.py alert_view): who, which household, which
// children, the basis in words; never the source of the concern. The device
// keeps it encrypted in its vault (kind "alert"). Acknowledging works offline:
// the device's copy is marked at once and an `alert.ack` op (set-like, never a
// conflict) tells the server on the next sync.

import { readAllSecrets, readSecret } from "./vault.js";
import { saveEntity } from "./sync/queue.js";
import { el } from "./dom.js";

/** Every alert on the device: unacknowledged first, newest first within each. */
export async function listAlerts() {
  const alerts = await readAllSecrets("alert");
  return alerts.sort((a, b) => {
    const open = Number(Boolean(a.acknowledged_at)) - Number(Boolean(b.acknowledged_at));
    return open || String(b.raised_at || "").localeCompare(String(a.raised_at || ""));
  });
}

/**
 * Acknowledge an alert (offline too): marks the device's copy and queues
 * alert.ack with {alert_id, acknowledged_at} (the payload the server checks
 * in sharing.service.acknowledge). The first acknowledgement counts.
 */
export async function acknowledgeAlert(alertId, { now = new Date() } = {}) {
  const alert = await readSecret("alert", alertId);
  if (!alert) throw new Error("This alert is not on the device.");
  if (alert.acknowledged_at) return null;
  const acknowledgedAt = now.toISOString();
  return saveEntity({
    type: "alert.ack",
    entityId: alertId,
    payload: { alert_id: alertId, acknowledged_at: acknowledgedAt },
    baseRev: 0,
    meta: { household_id: alert.household_id },
    local: [{ kind: "alert", id: alertId, value: { ...alert, acknowledged_at: acknowledgedAt } }],
  });
}

/**
 * The alerts for one household in the shape the rules expect (docs/rules.md,
 * "alerts"): [{concern_id, household_id, user_id, professional_name, acknowledged_at}].
 * The device only holds its own user's alerts.
 */
export function alertsForRules(alerts, householdId, user) {
  return alerts
    .filter((alert) => alert.household_id === householdId)
    .map((alert) => ({
      concern_id: alert.concern_id,
      household_id: alert.household_id,
      user_id: user?.id ?? null,
      professional_name: user?.name ?? null,
      acknowledged_at: alert.acknowledged_at ?? null,
    }));
}

// ---- the caseload's alert list -----------------------------------------------------

function when(iso) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return "";
  return date.toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

function childrenWords(children) {
  if (!children || !children.length) return "No children are named.";
  return `${children.length === 1 ? "Child" : "Children"} there: ${children.join(", ")}.`;
}

/**
 * Fill `section` (the caseload's #alerts) with the alerts. outbox: the
 * outboxByEntity() map, to say which acknowledgements wait to be sent.
 * onAcknowledge(alertId) is called by each "Acknowledge" button.
 */
export function renderAlerts(section, alerts, { outbox = new Map(), onAcknowledge }) {
  section.replaceChildren();
  section.hidden = alerts.length === 0;
  if (!alerts.length) return;
  const open = alerts.filter((alert) => !alert.acknowledged_at).length;
  section.append(
    el("h2", { id: "alerts-title", text: "Alerts about adults who may pose a risk" }),
    el("p", { class: "note", text: open
      ? `${open} ${open === 1 ? "alert needs" : "alerts need"} your acknowledgement. Acknowledging says you have read it; your team lead sees who has.`
      : "You have acknowledged every alert." }),
  );
  // Her own acknowledged alerts no longer fill the top of the caseload: they are kept,
  // folded away under their count, for when she needs to read one again.
  const list = el("ul", { class: "alert-list" });
  const done = el("ul", { class: "alert-list" });
  alerts.forEach((alert, index) => {
    const textId = `alert-${index}-text`;
    const acknowledged = Boolean(alert.acknowledged_at);
    const waiting = Boolean(outbox.get(alert.id)?.pending);
    const item = el("li", {
      class: `alert-item${acknowledged ? " acknowledged" : ""}`,
      "data-alert": alert.id,
      "data-acknowledged": String(acknowledged),
    });
    item.append(el("div", { id: textId },
      el("p", {}, el("strong", { text: acknowledged ? "Alert (acknowledged): " : "Alert, not yet acknowledged: " }),
        `${alert.person_name || "A person"}, about whom there is a concern, is linked to ${alert.household_address || "a household on your caseload"}.`),
      el("p", { text: childrenWords(alert.children) }),
      el("p", { text: `Basis: ${alert.basis || "not recorded"}.` }),
      alert.raised_at ? el("p", { class: "note", text: `Raised ${when(alert.raised_at)}.` }) : null));
    if (acknowledged) {
      item.append(el("p", { class: "alert-ack", text: `You acknowledged it ${when(alert.acknowledged_at)}${waiting ? " · waiting to sync" : ""}.` }));
    } else {
      const ack = el("button", { type: "button", class: "button", text: "Acknowledge", "aria-describedby": textId });
      ack.addEventListener("click", async () => {
        ack.disabled = true;
        try {
          await onAcknowledge(alert.id);
        } finally {
          ack.disabled = false;
        }
      });
      item.append(el("div", { class: "actions" }, ack));
    }
    (acknowledged ? done : list).append(item);
  });
  if (list.children.length) section.append(list);
  if (done.children.length) {
    section.append(el("details", { class: "alerts-acknowledged" },
      el("summary", { text: `Alerts you have acknowledged (${done.children.length})` }), done));
  }
}
