// Today (issue 16 item 1): the practitioner's day, built offline from what the
// vault holds, at the top of the list screen the tablet opens on.
//
// Six kinds of item, each with the button that opens the thing to do:
//   planned     a visit planned for today or earlier and not yet made (visit_plan.put,
//               planned here or by the lead)                      -> start the visit
//   no_access   the household's latest visit was a no-access one -> start the visit
//   action      an open S8 action due within a week or overdue    -> open that visit
//   referral    an S8 referral with no outcome three or more working days on (what
//               `referral-no-outcome` asks)                       -> open that visit
//   returned    a visit the lead returned, with the lead's comment -> open that visit
//   alert       an alert not yet acknowledged                    -> the alert, to read
//                                                                   and acknowledge
// Follow-through records (followup.js) are laid over the answers first, so an action
// marked done or a referral's outcome recorded offline leaves the list at once.

import { button, el } from "./dom.js";
import { withFollowups } from "./rules/context.js";
import { workingDays } from "./rules/dates.js";
import { saveEntity } from "./sync/queue.js";
import { getVisitPlan } from "./caseload.js";

export const PLAN_OP = "visit_plan.put";
const ACTION_HORIZON_DAYS = 7;
const REFERRAL_WORKING_DAYS = 3; // as `referral-no-outcome` (docs/rules.md)
const KIND_WORDS = {
  planned: "Planned visit",
  no_access: "No access last time",
  action: "Action due",
  referral: "Referral outcome due",
  returned: "Returned by the team lead",
  alert: "Alert to acknowledge",
};
const ORDER = ["alert", "returned", "planned", "no_access", "action", "referral"];
const SUBMITTED = new Set(["submitted", "approved", "returned", "escalated"]);

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

/** The day (YYYY-MM-DD) in the UK, where the visits are made, whatever the tablet's zone. */
export function ukDay(moment = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit" })
    .format(moment instanceof Date ? moment : new Date(moment));
}

function addDays(day, days) {
  const date = new Date(`${day}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

function dayWords(day) {
  if (!day) return "";
  const date = new Date(`${String(day).slice(0, 10)}T12:00:00Z`);
  if (Number.isNaN(date.getTime())) return String(day);
  return date.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
}

function visitDay(visit) {
  const at = visit.answers?.visit?.visit_at || visit.saved_at || visit.submitted_at || "";
  return at ? ukDay(new Date(at)) : "";
}

function rows(answers, section, group) {
  const part = isObject(answers) ? answers[section] : null;
  const found = isObject(part) ? part[group] : null;
  return isObject(found) ? Object.entries(found).filter(([, row]) => isObject(row)) : [];
}

/**
 * The day's items, in the order they are shown (most pressing kind first, then by date).
 * households, visits (listVisits), followups, alerts, plans: what the vault holds.
 * Returns [{kind, key, household_id, address, title, detail, when, open: {what, id}}].
 */
export function todayItems({ households = [], visits = [], followups = [], alerts = [], plans = [], now = new Date(), bankHolidays = [] }) {
  const today = ukDay(now);
  const addresses = new Map(households.map((h) => [h.id, h.address || "Address not recorded"]));
  const held = (householdId) => addresses.has(householdId);
  const items = [];
  const byHousehold = new Map();
  for (const visit of visits) {
    if (!byHousehold.has(visit.household_id)) byHousehold.set(visit.household_id, []);
    byHousehold.get(visit.household_id).push(visit);
  }
  const lastVisitDay = (householdId) => (byHousehold.get(householdId) || [])
    .map(visitDay).filter(Boolean).sort().pop() || "";

  for (const plan of plans) {
    if (plan.cancelled || !held(plan.household_id) || !plan.planned_for || plan.planned_for > today) continue;
    // Made on or after the planned day: the plan is done.
    if (lastVisitDay(plan.household_id) >= plan.planned_for) continue;
    const late = plan.planned_for < today ? ` (planned for ${dayWords(plan.planned_for)})` : "";
    items.push({
      kind: "planned", key: plan.id, household_id: plan.household_id, address: addresses.get(plan.household_id),
      title: `${plan.time ? `${plan.time} ` : ""}${addresses.get(plan.household_id)}${late}`,
      detail: [plan.purpose, plan.planned_by ? `Planned by ${plan.planned_by}.` : ""].filter(Boolean).join(" "),
      when: `${plan.planned_for}T${plan.time || "00:00"}`, open: { what: "new", id: plan.household_id },
    });
  }

  for (const [householdId, list] of byHousehold) {
    if (!held(householdId)) continue;
    const made = list.filter((v) => SUBMITTED.has(v.status));
    const latest = made.sort((a, b) => visitDay(a).localeCompare(visitDay(b))).pop();
    const drafting = list.some((v) => (v.status || "draft") === "draft" && visitDay(v) >= visitDay(latest || {}));
    if (latest && latest.answers?.visit?.no_access === true && !drafting) {
      items.push({
        kind: "no_access", key: `no-access-${latest.id}`, household_id: householdId, address: addresses.get(householdId),
        title: addresses.get(householdId), detail: `No access on ${dayWords(visitDay(latest))}: the children were not seen. Visit again.`,
        when: visitDay(latest), open: { what: "new", id: householdId },
      });
    }
  }

  for (const visit of visits) {
    const where = addresses.get(visit.household_id) || "a household";
    if (visit.status === "returned") {
      const comment = visit.review?.comment;
      items.push({
        kind: "returned", key: `returned-${visit.id}`, household_id: visit.household_id, address: where,
        title: where, detail: comment ? `${visit.review?.lead || "The team lead"}: “${comment}”` : "Returned for changes.",
        when: visit.review?.decided_at || visitDay(visit), open: { what: "visit", id: visit.id },
      });
    }
    if (!SUBMITTED.has(visit.status)) continue;
    const answers = withFollowups(visit.answers || {}, followups.filter((f) => f.checklist_id === visit.id));
    for (const [rowId, row] of rows(answers, "analysis", "actions")) {
      if ((row.status || "open") !== "open" || !row.due || row.due > addDays(today, ACTION_HORIZON_DAYS)) continue;
      const overdue = row.due < today ? "overdue since" : "due";
      items.push({
        kind: "action", key: `action-${visit.id}-${rowId}`, household_id: visit.household_id, address: where,
        title: `${where}: ${row.action || "an action"}`, detail: `${row.due === today ? "Due today" : `${overdue[0].toUpperCase()}${overdue.slice(1)} ${dayWords(row.due)}`}${row.owner ? `, owner ${row.owner}` : ""}.`,
        when: row.due, open: { what: "visit", id: visit.id },
      });
    }
    for (const [rowId, row] of rows(answers, "analysis", "referrals")) {
      if (String(row.outcome ?? "").trim() || !row.made_at) continue;
      const waited = workingDays(row.made_at, now instanceof Date ? now.toISOString() : now, bankHolidays);
      if (waited === null || waited < REFERRAL_WORKING_DAYS) continue;
      items.push({
        kind: "referral", key: `referral-${visit.id}-${rowId}`, household_id: visit.household_id, address: where,
        title: `${where}: referral to ${row.to || "another service"}`,
        detail: `Made ${dayWords(ukDay(new Date(row.made_at)))}; no outcome recorded after ${waited} working days.`,
        when: String(row.made_at), open: { what: "visit", id: visit.id },
      });
    }
  }

  for (const alert of alerts) {
    if (alert.acknowledged_at) continue;
    items.push({
      kind: "alert", key: `alert-${alert.id}`, household_id: alert.household_id, address: alert.household_address || "",
      title: `${alert.person_name || "A person"} is linked to ${alert.household_address || "a household on your caseload"}`,
      detail: `Basis: ${alert.basis || "not recorded"}.`, when: alert.raised_at || "", open: { what: "alert", id: alert.id },
    });
  }
  return items.sort((a, b) => (ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind)) || String(a.when).localeCompare(String(b.when)));
}

const OPEN_WORDS = { new: "Start the visit", visit: "Open the visit", alert: "Read and acknowledge" };

/**
 * The plans to come (after today, not cancelled, for households the device holds),
 * soonest first: "Coming up" under Today, each movable and cancellable offline.
 */
export function upcomingPlans({ households = [], plans = [], now = new Date() }) {
  const today = ukDay(now);
  const addresses = new Map(households.map((h) => [h.id, h.address || "Address not recorded"]));
  return plans
    .filter((p) => !p.cancelled && addresses.has(p.household_id) && p.planned_for && p.planned_for > today)
    .map((p) => ({ ...p, address: addresses.get(p.household_id) }))
    .sort((a, b) => `${a.planned_for}T${a.time || "00:00"}`.localeCompare(`${b.planned_for}T${b.time || "00:00"}`));
}

// ---- moving or cancelling a planned visit (visit_plan.put from its revision) --------

/** The payload of a plan changed by `change` ({planned_for, time} or {cancelled: true}). */
export function changedPlan(plan, change) {
  return {
    household_id: plan.household_id, planned_for: plan.planned_for, time: plan.time || "",
    purpose: plan.purpose || "", cancelled: Boolean(plan.cancelled), ...change,
  };
}

async function changePlan(planId, change) {
  const plan = await getVisitPlan(planId);
  if (!plan) return false;
  const payload = changedPlan(plan, change);
  // From the revision the device holds: a plan the lead changed meanwhile conflicts and
  // is shown under "Needs your attention", never overwritten silently.
  await saveEntity({
    type: PLAN_OP, entityId: planId, payload, baseRev: plan.rev || 0, meta: { household_id: plan.household_id },
    local: [{ kind: "visit_plan", id: planId, value: { ...plan, ...payload } }],
  });
  return true;
}

// The panel open under one plan ({planId, mode: "move"|"cancel", day, time}), kept across
// redraws so that a sync redrawing Today never wipes a day being chosen.
let panel = null;

function planControls(plan, { describedBy, onPlanned, redraw }) {
  const holder = el("div", { class: "plan-change" });
  const buttons = el("div", { class: "actions" },
    smallButton("Move", () => { lastMessage = ""; panel = { planId: plan.id, mode: "move", day: plan.planned_for, time: plan.time || "", fresh: true }; redraw(); }, describedBy),
    smallButton("Cancel", () => { lastMessage = ""; panel = { planId: plan.id, mode: "cancel", fresh: true }; redraw(); }, describedBy));
  holder.append(buttons);
  if (!panel || panel.planId !== plan.id) return holder;
  const done = async (change, words) => {
    const changed = await changePlan(plan.id, change);
    panel = null;
    lastMessage = changed ? words : "That planned visit is no longer on this device.";
    if (onPlanned) await onPlanned(); // redraws Today from the vault, the change included
    else redraw();
  };
  const keep = smallButton("Keep it", () => { panel = null; redraw(); }, describedBy, "secondary");
  const fresh = panel.fresh;
  panel.fresh = false; // focus moves into the panel when it opens, not on every redraw
  if (panel.mode === "cancel") {
    const question = el("p", { id: `plan-cancel-${plan.id}`, text: "Cancel this planned visit? It stays on record as cancelled." });
    const yes = smallButton("Yes, cancel the visit", () => done({ cancelled: true }, `Planned visit to ${plan.address || "the household"} cancelled. It is sent when this tablet syncs.`), describedBy, "");
    holder.replaceChildren(el("div", { class: "plan-panel", role: "group", "aria-labelledby": question.id }, question,
      el("div", { class: "actions" }, yes, keep)));
    if (fresh) queueMicrotask(() => yes.focus());
    return holder;
  }
  const day = el("input", { id: `plan-move-day-${plan.id}`, type: "date", required: true, value: panel.day || "" });
  const time = el("input", { id: `plan-move-time-${plan.id}`, type: "time", value: panel.time || "" });
  const problem = el("p", { class: "error", role: "alert" });
  day.addEventListener("input", () => { panel.day = day.value; });
  time.addEventListener("input", () => { panel.time = time.value; });
  const form = el("form", { class: "plan-panel", novalidate: true, "aria-label": `Move the visit to ${plan.address || "the household"}` },
    el("div", { class: "field" }, el("label", { for: day.id, text: "New day" }), day),
    el("div", { class: "field" }, el("label", { for: time.id, text: "New time (optional)" }), time),
    problem,
    el("div", { class: "actions" }, el("button", { type: "submit", class: "button", text: "Move the visit" }), keep));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day.value)) {
      problem.textContent = "Choose the day to move the visit to.";
      day.focus();
      return;
    }
    await done({ planned_for: day.value, time: time.value || "" }, `Visit moved to ${dayWords(day.value)}. It is sent when this tablet syncs.`);
  });
  holder.replaceChildren(form);
  if (fresh) queueMicrotask(() => day.focus());
  return holder;
}

function smallButton(text, onClick, describedBy, variant = "secondary") {
  return button(text, onClick, { variant, describedBy });
}

let lastMessage = "";

/**
 * Fill #today's list and summary with the day's items, and keep its "Plan a visit" form
 * (made once, so a sync redrawing the list never wipes what is being typed).
 * handlers: {onNew(householdId), onOpen(visitId), onAlert(alertId), onPlanned()}.
 */
export function renderToday(section, items, { households = [], plans = [], handlers }) {
  if (!section.querySelector("#today-title")) {
    section.replaceChildren(el("h2", { id: "today-title", text: "To do today" }),
      el("p", { class: "note", id: "today-summary" }),
      el("p", { class: "message", id: "today-message", role: "status", "aria-live": "polite" }),
      el("div", { id: "today-items" }), el("div", { id: "today-upcoming" }),
      planForm(handlers.onPlanned));
  }
  const redraw = () => renderToday(section, items, { households, plans, handlers });
  section.querySelector("#today-message").textContent = lastMessage;
  const counts = ORDER.map((kind) => [kind, items.filter((i) => i.kind === kind).length]).filter(([, n]) => n);
  section.querySelector("#today-summary").textContent = items.length
    ? `${items.length} ${items.length === 1 ? "thing" : "things"} to do: ${counts.map(([k, n]) => `${KIND_WORDS[k].toLowerCase()} ${n}`).join(", ")}.`
    : "Nothing due today. Your caseload is below.";
  const holder = section.querySelector("#today-items");
  holder.replaceChildren();
  if (items.length) {
    const list = el("ul", { class: "today-list" });
    items.forEach((item, index) => {
      const textId = `today-${index}`;
      const li = el("li", { class: `today-item kind-${item.kind}`, "data-kind": item.kind, "data-household": item.household_id || "" });
      li.append(el("div", { id: textId },
        el("p", {}, el("strong", { class: "today-kind", text: `${KIND_WORDS[item.kind]}: ` }), item.title),
        item.detail ? el("p", { class: "today-detail", text: item.detail }) : null));
      const open = el("button", { type: "button", class: "button", text: OPEN_WORDS[item.open.what], "aria-describedby": textId });
      open.addEventListener("click", () => {
        if (item.open.what === "new") handlers.onNew(item.open.id);
        else if (item.open.what === "visit") handlers.onOpen(item.open.id);
        else handlers.onAlert(item.open.id);
      });
      li.append(open);
      if (item.kind === "planned") {
        li.append(planControls({ ...(plans.find((p) => p.id === item.key) || {}), id: item.key, address: item.address },
          { describedBy: textId, onPlanned: handlers.onPlanned, redraw }));
      }
      list.append(li);
    });
    holder.append(list);
  }
  // Coming up: the plans after today, each movable and cancellable.
  const upcoming = upcomingPlans({ households, plans });
  const ahead = section.querySelector("#today-upcoming");
  ahead.replaceChildren();
  if (upcoming.length) {
    const list = el("ul", { class: "today-list upcoming-list" });
    upcoming.forEach((plan, index) => {
      const textId = `upcoming-${index}`;
      const li = el("li", { class: "upcoming-item", "data-plan": plan.id, "data-household": plan.household_id });
      li.append(el("div", { id: textId },
        el("p", {}, el("strong", { class: "today-kind", text: `${dayWords(plan.planned_for)}${plan.time ? ` ${plan.time}` : ""}: ` }), plan.address),
        plan.purpose || plan.planned_by ? el("p", { class: "today-detail", text: [plan.purpose, plan.planned_by ? `Planned by ${plan.planned_by}.` : ""].filter(Boolean).join(" ") }) : null));
      li.append(planControls(plan, { describedBy: textId, onPlanned: handlers.onPlanned, redraw }));
      list.append(li);
    });
    ahead.append(el("h3", { id: "upcoming-title", text: "Planned visits coming up" }), list);
  }
  // The households to plan for, the choice kept across redraws.
  const select = section.querySelector("#plan-household");
  const chosen = select.value;
  select.replaceChildren(...households.map((h) => el("option", { value: h.id, text: h.address || "Address not recorded" })));
  if (households.some((h) => h.id === chosen)) select.value = chosen;
}

/** "Plan a visit": a household of the caseload, a day, a time, a purpose; queued offline. */
function planForm(onPlanned) {
  const details = el("details", { class: "plan-visit" });
  details.append(el("summary", { text: "Plan a visit" }));
  const form = el("form", { novalidate: true });
  const household = el("select", { id: "plan-household", required: true });
  const day = el("input", { id: "plan-day", type: "date", required: true, value: ukDay() });
  const time = el("input", { id: "plan-time", type: "time" });
  const purpose = el("input", { id: "plan-purpose", type: "text", maxlength: "500", autocomplete: "off" });
  const message = el("p", { class: "message", role: "status", "aria-live": "polite" });
  const field = (input, label) => el("div", { class: "field" }, el("label", { for: input.id, text: label }), input);
  form.append(field(household, "Household to visit"), field(day, "Day"), field(time, "Time (optional)"),
    field(purpose, "Purpose (optional)"),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "button", text: "Plan the visit" })), message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!household.value || !/^\d{4}-\d{2}-\d{2}$/.test(day.value)) {
      message.textContent = "Choose a household and a day.";
      return;
    }
    const planId = crypto.randomUUID();
    const payload = { household_id: household.value, planned_for: day.value, time: time.value || "", purpose: purpose.value.trim(), cancelled: false };
    await saveEntity({
      type: PLAN_OP, entityId: planId, payload, baseRev: 0, meta: { household_id: household.value },
      local: [{ kind: "visit_plan", id: planId, value: { ...payload, id: planId, planned_by: "you", rev: 0 } }],
    });
    message.textContent = `Visit planned for ${dayWords(day.value)}. It is sent when this tablet syncs.`;
    purpose.value = "";
    time.value = "";
    if (onPlanned) await onPlanned();
  });
  details.append(form);
  return details;
}

// ---- the caseload, one tap away and searchable ------------------------------------

/** The words a household card is found by: its address and everyone's names. */
export function searchWords(household) {
  return [household.address, ...(household.members || []).map((m) => m.name)]
    .filter(Boolean).join(" ").toLowerCase();
}

/** Show the household cards whose address or people's names hold every word typed. */
export function filterCaseload(container, query, status) {
  const words = String(query || "").toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  const cards = [...container.querySelectorAll(".household")];
  for (const card of cards) {
    const hay = card.dataset.search || "";
    const keep = words.every((w) => hay.includes(w));
    card.hidden = !keep;
    if (keep) shown += 1;
  }
  if (status) status.textContent = words.length ? `${shown} of ${cards.length} households match.` : "";
  return shown;
}
