// Follow-through after submission (issue 11 items 2 and 3), on the tablet, offline:
// a practitioner adds to a submitted visit without rewriting it — an action's status
// and outcome, a referral's outcome, a response to a flag, a late entry. Each is an
// append-only record with its author and time, kept encrypted in the vault (kind
// "followup") and queued as a sealed `checklist.followup` op (docs/sync-protocol.md):
// entity_id = the record's id made here, base_rev 0.
//
// The records are laid over the visit's answers by the shared context step
// (buildContext in rules/context.js), so a referral's outcome recorded here clears
// referral-no-outcome at once, offline, as it does on the server.

import { readAllSecrets } from "./vault.js";
import { currentBootstrap } from "./session.js";
import { changeOutbox } from "./outbox.js";
import { refreshCounts } from "./sync/status.js";
import { SEVERITY_WORDS } from "./flags.js";
import { flagKey, NOT_ANSWERED } from "./answered.js";
import { button, el } from "./dom.js";

export const OP_TYPE = "checklist.followup";
const KIND_WORDS = {
  action_status: "Action status", referral_outcome: "Referral outcome", flag_response: "Response to a flag", addendum: "Late entry",
};
const STATUS_WORDS = { open: "Open", done: "Done", cancelled: "Cancelled" };

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

/** Every follow-through record the device holds (pulled, or made here). */
export function readAllFollowups() {
  return readAllSecrets("followup");
}

/**
 * Record one follow-through on a submitted visit: the record is written to the vault
 * and its sealed op queued in one transaction, so the flags see it at once, offline.
 * fields: {kind, row_id?, rule?, subject?, status?, text?}. Returns the record.
 */
export async function recordFollowup(visit, fields) {
  const bootstrap = currentBootstrap();
  if (!bootstrap || !bootstrap.sealing_key) throw new Error("No sealing key yet: sign in online once.");
  const id = crypto.randomUUID();
  const payload = {
    checklist_id: visit.id,
    kind: fields.kind,
    row_id: fields.row_id ?? null,
    rule: fields.rule ?? null,
    subject: fields.subject ?? null,
    status: fields.status ?? null,
    text: fields.text ?? null,
    recorded_at: new Date().toISOString(),
  };
  const record = {
    id, ...payload, author: { id: bootstrap.user.id, name: bootstrap.user.name }, rev: 0,
  };
  await changeOutbox(async (outbox) => {
    await outbox.add({
      type: OP_TYPE, entityId: id, baseRev: 0, plaintext: payload,
      fields: { household_id: visit.household_id, checklist_id: visit.id },
    });
    outbox.write([{ kind: "followup", id, value: record }]);
  });
  await refreshCounts();
  return record;
}

// ---- S8: choosing the flag an action or a referral answers, by its words ----

/** The choices for S8's "flag" field: the flags raised now, by their words, storing their key. */
export function flagChoices(flags) {
  return flags.map((flag) => ({
    value: flagKey(flag.rule, flag.subject ?? null),
    label: `${SEVERITY_WORDS[flag.severity] || flag.severity}: ${flag.reason}`,
  }));
}

// ---- what answers each flag, in words ----

function dateTimeWords(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString("en-GB", {
    weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "Europe/London",
  });
}

/** The line under a flag: what answers it and when, or that nothing does yet. */
export function flagAnswerNote(flag, answer) {
  if (!answer || !answer.answered) {
    return el("p", { class: "flag-answer flag-unanswered", "data-answered": "no" },
      el("strong", { text: NOT_ANSWERED[flag.severity] || "Not yet answered" }));
  }
  const items = answer.by.map((item) => {
    const when = item.at ? `, ${dateTimeWords(item.at)}` : " (in this visit)";
    if (item.kind === "action") {
      const status = STATUS_WORDS[item.status] ? ` (${STATUS_WORDS[item.status].toLowerCase()})` : "";
      return el("li", { text: `S8 action: ${item.text || ""}${status}${when}` });
    }
    if (item.kind === "referral") {
      const outcome = item.outcome ? ` (outcome: ${item.outcome})` : "";
      return el("li", { text: `S8 referral to ${item.to || "someone not recorded"}${outcome}${when}` });
    }
    return el("li", { text: `Response by ${item.author || "you"}: ${item.text || ""}${when}` });
  });
  return el("div", { class: "flag-answer", "data-answered": "yes" },
    el("span", { class: "flag-label", text: "Answered: " }), el("ul", {}, ...items));
}

// ---- the follow-through panel on a submitted visit ----

let panelCounter = 0;

function rowsOf(answers, sectionId, groupId) {
  const section = answers[sectionId];
  const rows = isObject(section) ? section[groupId] : null;
  return isObject(rows) ? Object.entries(rows).filter(([, row]) => isObject(row)) : [];
}

function textBox(label, { rows = 3 } = {}) {
  panelCounter += 1;
  const id = `followup-${panelCounter}`;
  const input = el("textarea", { id, rows, autocomplete: "off" });
  return { input, node: el("div", { class: "field field-text" }, el("label", { for: id, text: label }), input) };
}

const actionButton = (text, onClick) => button(text, onClick, { variant: "secondary" });

/**
 * The "After the visit" panel: each referral with its outcome, each action with its
 * status, each flag raised with what answers it, a late entry, and the trail so far.
 * visit: the stored visit; answers: its answers with follow-through laid over
 * (context.checklist.answers); flags and answers of flags: from the shared step;
 * followups: this visit's records, oldest first (context.checklist.followups).
 * onRecord(fields) queues one record (recordFollowup) and re-renders.
 */
export function renderFollowThrough({ answers, flags, flagAnswers, followups, onRecord }) {
  const panel = el("section", { id: "followup", class: "followup", "aria-labelledby": "followup-title" },
    el("h2", { id: "followup-title", text: "After the visit" }),
    el("p", { class: "help", text: "Add what happened since you submitted. Each entry is kept with your name and the time; nothing you submitted is changed." }));
  const message = el("p", { class: "message", role: "status" });

  const submit = (fields, input) => async () => {
    if (input && fields.kind !== "action_status" && !input.value.trim()) {
      message.textContent = "Say it in words first.";
      input.focus();
      return;
    }
    try {
      await onRecord({ ...fields, text: input && input.value.trim() ? input.value.trim() : null });
    } catch (error) {
      console.error(error);
      message.textContent = `Could not record it: ${error.message}`;
    }
  };

  const referrals = rowsOf(answers, "analysis", "referrals");
  if (referrals.length) {
    const list = el("ul", { class: "followup-items" });
    for (const [rowId, row] of referrals) {
      const to = row.to || "someone not recorded";
      const box = textBox(`Outcome of the referral to ${to}`);
      list.append(el("li", { "data-row": rowId },
        el("p", {}, el("strong", { text: `Referral to ${to}` }), `: ${row.outcome ? `outcome: ${row.outcome}` : "no outcome recorded yet"}`),
        box.node,
        actionButton(`Record the outcome of the referral to ${to}`, submit({ kind: "referral_outcome", row_id: rowId }, box.input))));
    }
    panel.append(el("h3", { text: "Referrals" }), list);
  }

  const actions = rowsOf(answers, "analysis", "actions");
  if (actions.length) {
    const list = el("ul", { class: "followup-items" });
    for (const [rowId, row] of actions) {
      panelCounter += 1;
      const selectId = `followup-${panelCounter}`;
      const select = el("select", { id: selectId },
        ...Object.entries(STATUS_WORDS).map(([value, label]) => el("option", { value, text: label, selected: value === row.status })));
      const box = textBox(`Outcome of: ${row.action || "the action"}`);
      list.append(el("li", { "data-row": rowId },
        el("p", {}, el("strong", { text: row.action || "An action" }), `: ${STATUS_WORDS[row.status] || "no status"}${row.outcome ? `; ${row.outcome}` : ""}`),
        el("div", { class: "field" }, el("label", { for: selectId, text: `Status of: ${row.action || "the action"}` }), select),
        box.node,
        actionButton(`Record the status of: ${row.action || "the action"}`, async () => {
          await submit({ kind: "action_status", row_id: rowId, status: select.value }, box.input)();
        })));
    }
    panel.append(el("h3", { text: "Actions" }), list);
  }

  if (flags.length) {
    const list = el("ul", { class: "followup-items" });
    flags.forEach((flag, index) => {
      const box = textBox(`Your response to: ${flag.reason}`);
      list.append(el("li", { class: `flag severity-${flag.severity}`, "data-rule": flag.rule },
        el("p", { class: "flag-reason" }, el("strong", { text: `${SEVERITY_WORDS[flag.severity] || flag.severity}: ` }), flag.reason),
        flagAnswerNote(flag, flagAnswers[index]),
        box.node,
        actionButton(`Record a response to: ${flag.reason}`, submit({ kind: "flag_response", rule: flag.rule, subject: flag.subject ?? null }, box.input))));
    });
    panel.append(el("h3", { text: "Flags" }), list);
  }

  const late = textBox("Late entry (what you did not record at the visit)", { rows: 4 });
  panel.append(el("h3", { text: "Late entry" }), late.node, actionButton("Add the late entry", submit({ kind: "addendum" }, late.input)));

  // What each record is about, in words: the referral, the action or the flag.
  const rowWords = new Map([
    ...referrals.map(([rowId, row]) => [`referral_outcome:${rowId}`, `Referral to ${row.to || "someone not recorded"}`]),
    ...actions.map(([rowId, row]) => [`action_status:${rowId}`, `Action: ${row.action || "not described"}`]),
  ]);
  const about = (record) => {
    if (record.kind === "flag_response") {
      const flag = flags.find((f) => f.rule === record.rule && (record.subject == null || f.subject === record.subject));
      return flag ? `Flag: ${flag.reason}` : "Flag: no longer raised";
    }
    return rowWords.get(`${record.kind}:${record.row_id}`) || null;
  };
  panel.append(el("h3", { text: "Recorded since the visit" }));
  if (followups.length) {
    panel.append(el("ol", { class: "followup-trail" }, ...followups.map((record) => el("li", { "data-kind": record.kind },
      el("strong", { text: KIND_WORDS[record.kind] || record.kind }),
      `, by ${record.author?.name || "you"}, ${dateTimeWords(record.recorded_at)}`,
      about(record) ? el("p", { text: about(record) }) : null,
      record.status ? el("p", { text: `Status: ${STATUS_WORDS[record.status] || record.status}` }) : null,
      record.text ? el("p", { class: "answer-text", text: record.text }) : null))));
  } else {
    panel.append(el("p", { text: "Nothing recorded since the visit was submitted." }));
  }
  panel.append(message);
  return panel;
}
