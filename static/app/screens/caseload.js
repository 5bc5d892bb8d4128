// The caseload: Today (today.js), "Needs your attention", the alerts, and a card
// for each household with its visits, search by name, address or child.

import { isUnlocked, VaultLockedError } from "../vault.js";
import { currentBootstrap } from "../session.js";
import { outboxByEntity } from "../outbox.js";
import { listHouseholds, listVisits, listVisitPlans } from "../caseload.js";
import { readAllFollowups } from "../followup.js";
import { attentionSubject } from "../conflict.js";
import { listAlerts, acknowledgeAlert, renderAlerts } from "../alerts.js";
import { button, el } from "../dom.js";
import { observationButtons, checklistNoun } from "../observation.js";
import { todayItems, renderToday, searchWords, filterCaseload } from "../today.js";
import { describeAttention, conflictHolder } from "./attention.js";
import { nav } from "./nav.js";
import { $, STATUS_LABELS, currentScreen, dateTimeOf, showScreen, syncIfOnline } from "./ui.js";

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

/** Draw the caseload again from the vault (and show it, unless a visit or people are open). */
export async function renderList() {
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
  if (currentScreen() !== "form" && currentScreen() !== "people") showScreen("list");
}

// Today (today.js): the day's items from the vault, each opening the thing to do.
async function renderTodayList(households, visits, alerts) {
  if (!isUnlocked()) return; // locked or wiped: never reopen the vault's database
  const [followups, plans] = await Promise.all([readAllFollowups(), listVisitPlans()]).catch(() => [[], []]);
  if (!isUnlocked()) return;
  const items = todayItems({ households, visits, followups, alerts, plans, bankHolidays: currentBootstrap()?.calendar?.bank_holidays || [] });
  renderToday($("today"), items, { households, plans, handlers: { // plans: "Coming up", move and cancel (today.js)
    onNew: nav.openNew, onOpen: nav.openExisting, onPlanned: async () => { await renderList(); syncIfOnline(); },
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
      item.append(button("Open", () => nav.openExisting(visit.id), { variant: "secondary", describedBy: titleId }));
      list.append(item);
    });
    card.append(list);
  }
  if (household.id) {
    card.append(el("div", { class: "actions" },
      button("New visit", () => nav.openNew(household.id), { describedBy: headingId }),
      button("People", () => nav.showPeople(household.id), { variant: "secondary", describedBy: headingId }),
      ...observationButtons(household, { templates: currentBootstrap()?.templates, makeButton: button,
        describedBy: headingId, onStart: (draft) => nav.showVisit(draft, { isNew: true }) })));
  }
  return card;
}

// Acknowledged offline too: the alert.ack op waits in the outbox like any other.
async function onAcknowledgeAlert(alertId) {
  await acknowledgeAlert(alertId);
  await renderList();
  syncIfOnline();
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
    if (visit) actions.append(button("Open", () => nav.openExisting(entityId), { variant: "secondary" }));
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

// The caseload, one tap from Today, found by name, address or child.
export function onSearch() {
  filterCaseload($("households"), $("caseload-search").value, $("caseload-search-status"));
}

export function onToCaseload(event) {
  event.preventDefault();
  $("caseload-title").scrollIntoView({ block: "start" });
  $("caseload-title").focus();
}
