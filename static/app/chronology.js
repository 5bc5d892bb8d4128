// The child's chronology on the tablet (docs/chronology.md), readable offline.
//
// Built from what the vault holds: the practitioner's checklists (with the
// server's flags and the lead's decision pulled with them), her alerts, and
// the significant events pulled (kind "chronology_event") or made here. The
// same columns as the lead's page: date, source, event, impact on the child,
// action or analysis; each entry says its kind and whether it is fact or
// opinion. "Add significant event" queues chronology_event.put, offline too.

import { listDrafts, listHouseholds, listServerCopies } from "./caseload.js";
import { listAlerts } from "./alerts.js";
import { readAllSecrets } from "./vault.js";
import { saveEntities } from "./sync/queue.js";
import { currentBootstrap } from "./session.js";
import { tooLate } from "./form/dates.js";
import { button, el, showIn } from "./dom.js";
import { choices } from "./entities.js";

export const KINDS = [
  ["visit", "Visits"], ["observation", "Observations"], ["flag", "Flags raised"],
  ["judgement", "Traffic-light judgements"], ["referral", "Referrals and outcomes"],
  ["alert", "Alerts"], ["decision", "Lead decisions"], ["household", "Household changes"],
  ["event", "Significant events"],
];
const KIND_WORDS = Object.fromEntries(KINDS);
const SEEN_ALONE = {
  yes: "seen alone",
  no_not_age_appropriate: "not seen alone (not age-appropriate)",
  no_prevented: "not seen alone: prevented",
  no_other: "not seen alone (other reason)",
};
const DECISIONS = { approve: "approved the visit", return: "returned the visit", escalate: "escalated" };
const TRAFFIC_ACTION = { green: "Noted.", amber: "Gather information and discuss.", red: "Act now." };
const OBSERVATION = "child-observation";

// ---- building the entries (pure: tested in the browser with plain objects) ----

/** A time in the answers or the server's data as a Date; a bare "YYYY-MM-DDTHH:MM" is UTC, as the server reads it. */
function moment(value) {
  if (!value) return null;
  const text = String(value);
  const date = new Date(/T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text) ? `${text}Z` : text);
  return Number.isNaN(date.getTime()) ? null : date;
}

function entry(when, kind, source, record, factOrOpinion, event, { impact = "", action = "" } = {}) {
  return { when, kind, source, record, fact_or_opinion: factOrOpinion, event, impact, action };
}

function checklistEntries(checklist, childId, author, householdChildren) {
  const answers = checklist.answers || {};
  const visit = answers.visit || {};
  const when = moment(visit.visit_at) || moment(checklist.saved_at);
  const observation = checklist.template === OBSERVATION;
  if (observation && visit.child !== childId) return [];
  if (!observation && !JSON.stringify(answers).includes(childId) && !visit.no_access) return [];
  const record = observation ? "Child observation" : "Home visit";
  const out = [];
  let behaviour;
  if (observation) {
    behaviour = answers.behaviour || {};
    const setting = visit.setting_other || visit.setting || "not recorded";
    let words = `Observed (${setting}): ${behaviour.observed || "nothing recorded"}`;
    if (behaviour.child_words) words += `. The child said: "${behaviour.child_words}"`;
    out.push(entry(when, "observation", author, record, "fact", words, { impact: behaviour.demeanour || "" }));
  } else {
    let words;
    let impact = "";
    if (visit.no_access) {
      words = "No access: the family was not seen.";
      impact = "The child was not seen.";
    } else {
      const seen = (visit.children || {})[childId] || {};
      if (seen.seen) {
        words = `Visit: child seen${SEEN_ALONE[seen.seen_alone] ? `, ${SEEN_ALONE[seen.seen_alone]}` : ""}.`;
      } else {
        words = "Visit: child not seen.";
        impact = "The child was not seen.";
      }
      if (visit.present) words += ` Present: ${visit.present}.`;
    }
    out.push(entry(when, "visit", author, record, "fact", words, { impact }));
    behaviour = ((answers.behaviour || {}).children || {})[childId] || {};
  }
  if (behaviour.traffic_light) {
    out.push(entry(when, "judgement", author, record, "opinion",
      `Traffic-light judgement ${behaviour.traffic_light.toUpperCase()}: ${behaviour.sexual_behaviour || "behaviour not described"}`,
      { impact: behaviour.demeanour || "", action: TRAFFIC_ACTION[behaviour.traffic_light] || "" }));
  }
  const otherChildren = new Set([...Object.keys(visit.children || {}), ...householdChildren].filter((id) => id !== childId));
  for (const flag of checklist.flags || []) {
    if (otherChildren.has(flag.subject)) continue; // about another child of the household
    const severity = String(flag.severity || "");
    out.push(entry(when, "flag", "The server's rules", record, "opinion",
      `Flag ${flag.rule} (${severity.charAt(0).toUpperCase()}${severity.slice(1)})${flag.reason ? `: ${flag.reason}` : ""}`,
      { action: flag.action || "" }));
  }
  for (const row of Object.values((answers.analysis || {}).referrals || {})) {
    out.push(entry(moment(row.made_at) || when, "referral", author, record, "fact",
      `Referral to ${row.to || ""}${row.reference ? ` (reference ${row.reference})` : ""}.`,
      { action: `Outcome: ${row.outcome || "outcome not yet recorded"}` }));
  }
  const review = checklist.review;
  if (review && review.decision) {
    const procedure = review.procedure ? ` (${review.procedure.replaceAll("_", " ")})` : "";
    out.push(entry(moment(review.decided_at) || when, "decision", review.lead || "Team lead",
      "Team lead's decision on the visit", "opinion",
      `The team lead ${DECISIONS[review.decision] || review.decision}${procedure}.`, { action: review.comment || "" }));
  }
  return out;
}

function alertEntry(alert) {
  return entry(moment(alert.raised_at), "alert", "visitcheck (alert)", `Alert about ${alert.person_name || "a person"}`, "fact",
    `Alert raised: ${alert.person_name || "a person"}, who may pose a risk to children (${alert.basis || "basis not recorded"}), is linked to the child's household.`,
    { impact: "Contact with an adult who may pose a risk.",
      action: alert.acknowledged_at ? "You acknowledged it." : "Not yet acknowledged by you." });
}

/** The residence words as the server's chronology says them: "lives here". */
function residenceWords() {
  return Object.fromEntries((choices("residences") || [])
    .map(([code, label]) => [code, `${label.charAt(0).toLowerCase()}${label.slice(1)}`]));
}

/**
 * The household changes in a child's chronology, from one household's members as
 * the device holds them (the pull's `recorded_at`, `recorded_by`): the server's
 * household_member_entries, step for step; tests/chronology_household_cases.json
 * runs both. A member recorded from a device joined when recorded; members an
 * administrator set up (no recorder) were there from the start; the child is not
 * news to itself; a member with no time to place it at is left out.
 */
export function householdEntries(members, { childId, words = residenceWords() } = {}) {
  const out = [];
  for (const member of members || []) {
    if (member.person_id === childId || !member.recorded_by) continue;
    const when = moment(member.recorded_at);
    if (!when) continue;
    const residence = member.residence || "";
    out.push(entry(when, "household", member.recorded_by, "Household record", "fact",
      `${member.name || "Someone"} recorded as a member of the household (${words[residence] ?? residence}).`));
  }
  return out;
}

function eventEntry(event) {
  const who = `${event.source || ""}${event.agency ? ` (${event.agency})` : ""}`;
  return entry(moment(event.occurred_on), "event", who,
    `${event.positive ? "Positive event" : "Significant event"} added by ${event.author || "you"}`,
    event.fact_or_opinion, event.event, { impact: event.impact || "", action: event.action || "" });
}

/**
 * Every entry for one child, oldest first. checklists: the device's visits (own,
 * not drafts); alerts and events as the vault holds them; householdIds: the
 * child's households on the device; childIds: every child of those households (a
 * flag about one of the others is not this child's); households: the child's
 * households as the vault holds them (their members' changes are entries).
 */
export function buildEntries({ childId, householdIds, checklists, alerts, events, author, childIds = [], households = [] }) {
  const held = new Set(householdIds);
  const out = [];
  for (const checklist of checklists) {
    if (!held.has(checklist.household_id) || !checklist.status || checklist.status === "draft") continue;
    out.push(...checklistEntries(checklist, childId, author, childIds));
  }
  for (const alert of alerts) if (held.has(alert.household_id)) out.push(alertEntry(alert));
  for (const event of events) if (event.child_id === childId) out.push(eventEntry(event));
  for (const household of households) out.push(...householdEntries(household.members, { childId }));
  return out.filter((e) => e.when).sort((a, b) => a.when - b.when);
}

function localDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Entries within [from, to] (YYYY-MM-DD, either may be empty) and of the kinds ticked (none: all). */
export function filterEntries(entries, { from = "", to = "", kinds = [] } = {}) {
  return entries.filter((e) => {
    const day = localDay(e.when);
    return (!from || day >= from) && (!to || day <= to) && (!kinds.length || kinds.includes(e.kind));
  });
}

// ---- the screen ----------------------------------------------------------------

let container;
let leave;

function show(...nodes) {
  showIn(container, ...nodes);
}

function words(date) {
  return date.toLocaleString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

async function vaultVisits() {
  const [drafts, copies] = await Promise.all([listDrafts(), listServerCopies()]);
  const byId = new Map(copies.map((c) => [c.id, c]));
  for (const draft of drafts) {
    const copy = byId.get(draft.id);
    if (!copy || (copy.rev || 0) <= (draft.rev || 0)) byId.set(draft.id, { ...copy, ...draft });
  }
  return [...byId.values()];
}

async function childHouseholds(childId) {
  const households = await listHouseholds();
  return households.filter((h) => (h.members || []).some((m) => m.person_id === childId));
}

/**
 * Open the chronology of one child in `target`. householdId: the household it
 * was opened from (where a new event is recorded); onClose() goes back there.
 */
export async function openChronology(target, { childId, childName, householdId, onClose, message = "", reopened = false }) {
  container = target;
  leave = onClose;
  if (!reopened) await recordOpening(childId);
  const [checklists, alerts, events, households] = await Promise.all([
    vaultVisits(), listAlerts(), readAllSecrets("chronology_event"), childHouseholds(childId)]);
  const user = (currentBootstrap() || {}).user || {};
  const entries = buildEntries({
    childId, householdIds: [householdId, ...households.map((h) => h.id)], checklists, alerts, events, author: user.name || "You",
    childIds: households.flatMap((h) => (h.members || []).filter((m) => m.is_child).map((m) => m.person_id)),
    households,
  });
  const table = el("table", { class: "chronology-table" });
  const status = el("p", { role: "status", id: "chronology-count" });
  const from = el("input", { type: "date", id: "chronology-from", name: "from" });
  const to = el("input", { type: "date", id: "chronology-to", name: "to" });
  const boxes = KINDS.map(([value, label]) => {
    const box = el("input", { type: "checkbox", id: `chronology-kind-${value}`, name: "kind", value });
    return { box, item: el("li", {}, box, el("label", { for: box.id, text: label })) };
  });
  const render = () => {
    const kinds = boxes.filter((b) => b.box.checked).map((b) => b.box.value);
    const shown = filterEntries(entries, { from: from.value, to: to.value, kinds });
    status.textContent = `${shown.length} of ${entries.length} entries shown.`;
    const body = el("tbody");
    for (const e of shown) {
      body.append(el("tr", { class: `entry kind-${e.kind}`, "data-kind": e.kind },
        el("td", { text: words(e.when) }),
        el("td", {}, e.source, el("br"), el("span", { class: "record", text: e.record })),
        el("td", {}, el("strong", { text: `${KIND_WORDS[e.kind]}, ${e.fact_or_opinion}: ` }), e.event),
        el("td", { text: e.impact }),
        el("td", { text: e.action })));
    }
    if (!shown.length) body.append(el("tr", {}, el("td", { colspan: "5", text: "Nothing recorded for this filter." })));
    table.replaceChildren(
      el("caption", { text: `Chronology of ${childName}` }),
      el("thead", {}, el("tr", {}, ...["Date", "Source", "Event", "Impact on the child", "Action or analysis"]
        .map((h) => el("th", { scope: "col", text: h })))),
      body);
  };
  const filters = el("form", { class: "chronology-filters", "aria-label": "Filter the chronology" },
    el("div", { class: "field" }, el("label", { for: from.id, text: "From" }), from),
    el("div", { class: "field" }, el("label", { for: to.id, text: "To" }), to),
    el("fieldset", { class: "field" }, el("legend", { text: "Kinds of entry (none ticked: all)" }),
      el("ul", { class: "chronology-kinds" }, ...boxes.map((b) => b.item))));
  filters.addEventListener("input", render);
  filters.addEventListener("submit", (event) => event.preventDefault());
  render();
  show(
    el("div", { class: "form-head" },
      button("Back to the household", () => leave(), { variant: "secondary" }),
      el("h1", { id: "chronology-title", tabindex: "-1", text: `Chronology of ${childName}` })),
    el("p", { class: "message", role: "status", id: "chronology-message", text: message }),
    el("p", { class: "note", text: "Built from what this device holds: your visits, the server's flags and the team lead's decisions on them, your alerts, who joined the household and the significant events for this child. The team lead's page shows every practitioner's records." }),
    el("div", { class: "actions" }, button("Add significant event", () => showEventForm({ childId, childName, householdId }))),
    filters, status, el("div", { class: "table-scroll" }, table),
  );
}

/**
 * Every opening of a chronology is audited (docs/chronology.md). The tablet may be
 * offline, so the opening is queued like any change: a sealed `chronology.open` op
 * with its own id, sent with the next push and written to the server's audit trail
 * as this user's opening from this device, at the time it happened. Coming back
 * from the event form is the same opening, not another.
 */
export const OPENING_OP = "chronology.open";

async function recordOpening(childId) {
  try {
    await saveEntities([{ type: OPENING_OP, entityId: crypto.randomUUID(), baseRev: 0,
      payload: { child_id: childId, opened_at: new Date().toISOString() } }]);
  } catch (error) {
    console.error("The opening could not be queued for the audit", error);
  }
}

// ---- adding a significant event ------------------------------------------------------

function field(id, label, input, help = "") {
  return el("div", { class: "field", "data-field": id }, el("label", { for: input.id, text: label }),
    help ? el("p", { class: "help", text: help }) : null, input);
}

function showEventForm({ childId, childName, householdId }) {
  const back = (message = "") => openChronology(container, { childId, childName, householdId, onClose: leave, message, reopened: true });
  const input = (id, attrs = {}) => el("input", { id: `event-${id}`, name: id, ...attrs });
  const area = (id) => el("textarea", { id: `event-${id}`, name: id, rows: "3" });
  const date = input("occurred_on", { type: "date", required: true });
  const source = input("source", { type: "text", required: true, maxlength: "200" });
  const agency = input("agency", { type: "text", maxlength: "200" });
  const event = area("event");
  event.required = true;
  const impact = area("impact");
  const action = area("action");
  const fact = input("fact", { type: "radio", name: "fact_or_opinion", value: "fact", checked: true });
  const opinion = input("opinion", { type: "radio", name: "fact_or_opinion", value: "opinion" });
  const positive = input("positive", { type: "checkbox" });
  const summary = el("div", { class: "error-summary", role: "alert", tabindex: "-1", hidden: true });
  const form = el("form", { class: "event-form", novalidate: true },
    field("occurred_on", "Date of the event", date),
    field("source", "Source: who told you or recorded it", source, "For example: Mrs Patel, class teacher."),
    field("agency", "Agency", agency, "For example: Riverside Primary, GP, police. Leave empty for your own service."),
    el("fieldset", { class: "field" }, el("legend", { text: "Fact or opinion" }),
      el("div", { class: "options" }, el("label", { for: fact.id }, fact, " Fact"), el("label", { for: opinion.id }, opinion, " Opinion"))),
    field("event", "What happened", event),
    field("impact", "Impact on the child", impact),
    field("action", "Action or analysis", action),
    el("div", { class: "field" }, el("label", { for: positive.id }, positive, " A positive event")),
    el("div", { class: "actions form-actions" }, button("Save the event", null, { type: "submit" }),
      button("Cancel", () => back(), { variant: "secondary" })));
  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const errors = [];
    if (!date.value) errors.push([date, "Give the date of the event."]);
    else if (tooLate("source_date", date.value)) errors.push([date, "The date of the event cannot be in the future."]);
    if (!source.value.trim()) errors.push([source, "Say who the source is."]);
    if (!event.value.trim()) errors.push([event, "Describe the event."]);
    if (errors.length) {
      summary.replaceChildren(el("h2", { text: "There is a problem" }),
        el("ul", {}, ...errors.map(([, text]) => el("li", { text }))));
      summary.hidden = false;
      errors[0][0].focus();
      return;
    }
    const id = crypto.randomUUID();
    const payload = {
      child_id: childId, household_id: householdId, occurred_on: date.value,
      fact_or_opinion: opinion.checked ? "opinion" : "fact", positive: positive.checked,
      source: source.value.trim(), agency: agency.value.trim(), event: event.value.trim(),
      impact: impact.value.trim(), action: action.value.trim(),
    };
    const user = (currentBootstrap() || {}).user || {};
    await saveEntities(
      [{ type: "chronology_event.put", entityId: id, payload, baseRev: 0, meta: { household_id: householdId } }],
      { local: [{ kind: "chronology_event", id, value: { ...payload, id, author: user.name || "You", rev: 0 } }] });
    await back("Significant event saved on this device; it syncs when you are online.");
  });
  show(
    el("div", { class: "form-head" },
      button("Back to the chronology", () => back(), { variant: "secondary" }),
      el("h1", { id: "event-title", tabindex: "-1", text: `Add a significant event for ${childName}` })),
    summary, form);
}
