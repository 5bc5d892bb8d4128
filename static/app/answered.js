// Flags answered, visibly (issue 11 item 3): for each flag, what answers it and when.
//
// A flag is answered by an S8 action or referral that names it (the row's `flag`
// field holds the flag's key: its rule id, or `rule:subject` when the rule raises one
// flag per subject; a bare rule id answers every flag of that rule; referral rows have
// the field from home-visit version 2), or by a `flag_response` follow-through
// record about it. flagAnswers here and flag_answers in
// visitcheck/followup/answered.py are the same function, over the context's
// `checklist` (answers with follow-through laid over them, and `followups`):
// tests/context_cases.json checks both. Answered or not, a flag stays raised.

const ACTIONS = ["analysis", "actions"];
const REFERRALS = ["analysis", "referrals"];

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

/** What the S8 action's `flag` field stores for a flag. */
export function flagKey(rule, subject) {
  return subject === null || subject === undefined ? rule : `${rule}:${subject}`;
}

function names(flag, named) {
  if (typeof named !== "string" || !named.trim()) return false;
  const key = named.trim();
  return key === flag.rule || key === flagKey(flag.rule, flag.subject ?? null);
}

function rowsOf(answers, [sectionId, groupId]) {
  const section = answers[sectionId];
  return isObject(section) && isObject(section[groupId]) ? section[groupId] : {};
}

/**
 * [{rule, subject, answered, by: [...]}] in the flags' order. `by` lists the S8
 * actions naming the flag ({kind: "action", row_id, text, status, at: the visit's
 * submission}), then the S8 referrals naming it ({kind: "referral", row_id, to,
 * outcome, at: the visit's submission}), then the responses recorded to it
 * ({kind: "flag_response", id, text, at, author}), oldest first.
 */
export function flagAnswers(flags, checklist) {
  const answers = checklist.answers || {};
  const actions = rowsOf(answers, ACTIONS);
  const referrals = rowsOf(answers, REFERRALS);
  const at = checklist.submitted_at ?? null;
  return flags.map((flag) => {
    const by = Object.entries(actions)
      .filter(([, row]) => isObject(row) && names(flag, row.flag))
      .map(([rowId, row]) => ({
        kind: "action", row_id: rowId, text: row.action ?? null, status: row.status ?? null, at,
      }));
    for (const [rowId, row] of Object.entries(referrals)) {
      if (isObject(row) && names(flag, row.flag)) {
        by.push({ kind: "referral", row_id: rowId, to: row.to ?? null, outcome: row.outcome ?? null, at });
      }
    }
    for (const record of checklist.followups || []) {
      if (record.kind === "flag_response" && record.rule === flag.rule
        && (record.subject === null || record.subject === undefined || record.subject === (flag.subject ?? null))) {
        by.push({
          kind: "flag_response", id: record.id ?? null, text: record.text ?? null, at: record.recorded_at ?? null, author: record.author?.name ?? null,
        });
      }
    }
    return { rule: flag.rule, subject: flag.subject ?? null, answered: by.length > 0, by };
  });
}

// In words, for the tablet (the lead's page says the same: templates/review/checklist.html).
export const NOT_ANSWERED = { urgent: "Urgent — not yet answered", action: "Not yet answered", review: "Not yet answered" };
