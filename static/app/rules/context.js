// The rules' context on the tablet (docs/rules.md, "The context"): entities,
// this visit's answers, earlier visits, follow-through, alerts and today ->
// the context the rules (rules/engine.js) run over.
//
// buildContext here and build_context in visitcheck/rules/context.py are the
// same function: what the tablet holds, or what the server read, becomes the
// rules' context the same way on both. tests/context_cases.json runs both over
// the template as served. Pure: no vault, no clock unless `now` is left out.

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

// An S3 answer left empty ("", [] or none): it does not erase what the record holds.
const empty = (value) => value === null || value === undefined || value === ""
  || (Array.isArray(value) && value.length === 0);

// A concern record with this visit's S3 answers about its person laid over it:
// what the practitioner recorded at the visit counts at once, wherever the rules run.
function withS3(concern, edit) {
  if (!isObject(edit)) return concern;
  const merged = { ...concern };
  for (const [key, value] of Object.entries(edit)) {
    if (key !== "contact" && !empty(value)) merged[key] = value;
  }
  if (isObject(edit.contact)) {
    const byChild = { ...(concern.contact || {}) };
    for (const [childId, value] of Object.entries(edit.contact)) {
      if (isObject(value) && !empty(value.contact)) byChild[childId] = value.contact;
    }
    merged.contact = byChild;
  }
  return merged;
}

function personFromMember(member, householdId) {
  return {
    id: member.person_id ?? null,
    names: member.name ? [member.name] : [],
    aliases: [],
    date_of_birth: member.date_of_birth ?? null,
    is_child: Boolean(member.is_child),
    households: [{ household_id: householdId, residence: member.residence ?? null }],
    children: [],
  };
}

// Where follow-through records land in a visit's answers (home-visit v1, S8; the
// same rows the server checks a record against: visitcheck/followup/service.py).
export const FOLLOWUP_ROWS = { action_status: ["analysis", "actions"], referral_outcome: ["analysis", "referrals"] };

const byRecordedAt = (a, b) => {
  const ka = [String(a.recorded_at ?? ""), String(a.id ?? "")];
  const kb = [String(b.recorded_at ?? ""), String(b.id ?? "")];
  if (ka[0] !== kb[0]) return ka[0] < kb[0] ? -1 : 1;
  if (ka[1] !== kb[1]) return ka[1] < kb[1] ? -1 : 1;
  return 0;
};

/** A visit's follow-through records, oldest first: a later record about a row wins. */
export function inOrder(followups) {
  return [...followups].sort(byRecordedAt);
}

/**
 * A visit's answers with its follow-through records laid over them, so the
 * template's rules need no change: a referral's recorded outcome is the row's
 * `outcome`, an action's recorded status (and outcome) the row's `status` (and
 * `outcome`). A record about a row the answers no longer hold is left out.
 * Returns new objects; `answers` is not changed.
 */
export function withFollowups(answers, followups) {
  let out = answers;
  for (const record of inOrder(followups)) {
    const where = FOLLOWUP_ROWS[String(record.kind)];
    if (!where) continue;
    const section = out[where[0]];
    if (!isObject(section)) continue;
    const rows = section[where[1]];
    const row = isObject(rows) ? rows[record.row_id] : undefined;
    if (!isObject(rows) || !isObject(row)) continue;
    let next;
    if (record.kind === "referral_outcome") {
      next = { ...row, outcome: record.text ?? null };
    } else {
      next = { ...row, status: record.status ?? null };
      if (!empty(record.text)) next.outcome = record.text;
    }
    out = { ...out, [where[0]]: { ...section, [where[1]]: { ...rows, [record.row_id]: next } } };
  }
  return out;
}

function historyItem(visit, followups) {
  const answers = withFollowups(visit.answers || {}, followups.filter((f) => f.checklist_id === visit.id));
  return {
    id: visit.id ?? null,
    household_id: visit.household_id ?? null,
    visit_at: answers.visit?.visit_at || visit.visit_at || null,
    status: visit.status ?? null,
    answers,
    flags: visit.flags || [],
    submitted_at: visit.submitted_at ?? null,
    lead_decision_at: visit.lead_decision_at ?? null,
  };
}

/**
 * The rules' context (docs/rules.md, "The context") for one visit.
 * visit: {id, household_id, status, answers, submitted_at?, lead_decision_at?, flags?};
 * household: its household; households, persons, concerns, history (earlier
 * visits), alerts: arrays of what the device holds, more is fine: concerns are
 * kept for this household (about a member, or in contact with one of its
 * children once S3 is laid over them), history for the households linked to it
 * and not this visit. now: ISO string or Date; bankHolidays: ISO dates (bootstrap's calendar).
 * followups: follow-through records ({id, checklist_id, kind, row_id?, rule?, subject?,
 * status?, text?, recorded_at, author?}) of this visit and of earlier ones, laid over
 * their answers (withFollowups); this visit's are also the context's
 * checklist.followups, oldest first.
 */
export function buildContext({
  visit, household, households = [], persons = [], concerns = [], history = [], alerts = [],
  now = new Date(), bankHolidays = [], followups = [],
}) {
  const own = inOrder((followups || []).filter((f) => f.checklist_id === (visit.id ?? null)));
  const answers = withFollowups(visit.answers || {}, own);
  const byId = {};
  for (const person of persons) byId[person.id] = person;
  const allHouseholds = {};
  for (const h of households) allHouseholds[h.id] = h;
  allHouseholds[household.id] = household;
  // A person's links are also what the households held say about them.
  for (const held of Object.values(allHouseholds)) {
    for (const member of held.members || []) {
      const person = byId[member.person_id];
      if (!person) {
        byId[member.person_id] = personFromMember(member, held.id);
      } else if (!(person.households || []).some((link) => link.household_id === held.id)) {
        byId[person.id] = {
          ...person, households: [...(person.households || []), { household_id: held.id, residence: member.residence ?? null }],
        };
      }
    }
  }
  const members = new Set((household.members || []).map((m) => m.person_id));
  const children = new Set((household.members || []).filter((m) => m.is_child).map((m) => m.person_id));
  const s3 = isObject(answers.risky_adults?.concerns) ? answers.risky_adults.concerns : {};
  const mine = [];
  for (const record of concerns) {
    const concern = withS3(record, s3[record.person_id]);
    const linkedHere = ((byId[concern.person_id] || {}).households || []).some((link) => link.household_id === household.id);
    const contactHere = Object.keys(isObject(concern.contact) ? concern.contact : {}).some((id) => children.has(id));
    if (members.has(concern.person_id) || linkedHere || contactHere) mine.push(concern);
  }
  const linked = new Set([household.id]);
  for (const personId of [...members, ...mine.map((c) => c.person_id)]) {
    for (const link of (byId[personId] || {}).households || []) linked.add(link.household_id);
  }
  return {
    now: typeof now === "string" ? now : now.toISOString(),
    calendar: { bank_holidays: [...bankHolidays] },
    checklist: {
      id: visit.id ?? null,
      household_id: visit.household_id ?? null,
      visit_at: answers.visit?.visit_at ?? null,
      status: visit.status || "draft",
      answers,
      submitted_at: visit.submitted_at ?? null,
      lead_decision_at: visit.lead_decision_at ?? null,
      flags: visit.flags || [],
      followups: own,
    },
    household,
    households: allHouseholds,
    persons: byId,
    concerns: mine,
    history: history.filter((v) => v.id !== visit.id && linked.has(v.household_id)).map((v) => historyItem(v, followups || [])),
    alerts: [...alerts],
  };
}
