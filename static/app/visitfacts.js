// One set of facts (issue 10): what a visit records about people is recorded
// on the people themselves, so the concern record, the alerts, the family map,
// the rules and later visits all see the same facts.
//
// - S3 ("What is known about risky adults") is each person's concern record:
//   it opens pre-filled from the concern, and saving the visit queues a
//   concern.put with what the practitioner changed there (a new concern, with
//   an id made here, for an adult who had none).
// - S2's "People not recorded before" become person records linked to the
//   household (person.put + membership.put), marked `recorded_at_visit`. A
//   row's key (a UUID the form made) is the person's id, so saving the visit
//   again updates the same person instead of recording a copy. A member's
//   "Where they live now" changed in S2 moves their link (membership.put).
//
// Only what changed is sent: a save that changed nothing in S2 or S3 queues no
// entity op, however often the draft is saved.

import { getHousehold, listConcerns, listPersons } from "./caseload.js";
import { concernPayload, linkOp, memberEntry, personPayload, withLink, withMember, displayName } from "./entities.js";
import { saveEntities } from "./sync/queue.js";

/** The S3 fields that are also fields of a concern (the template's risky_adults.concerns). */
export const CONCERN_FIELDS = [
  "basis", "source", "source_date", "verified", "protect_source", "fact_or_opinion",
  "mappa_category", "mappa_level", "orders", "works_with_children", "notes",
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function blank(value) {
  return value === undefined || value === null || value === ""
    || (Array.isArray(value) && value.length === 0);
}

// Equal as facts: lists compare as sets (a form reads ticks in option order).
function same(a, b) {
  if (blank(a) && blank(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && [...a].map(String).sort().join("\u0000") === [...b].map(String).sort().join("\u0000");
  }
  return a === b;
}

function s3Rows(answers) {
  const rows = answers && answers.risky_adults && answers.risky_adults.concerns;
  return rows && typeof rows === "object" ? rows : {};
}

function s2Rows(answers) {
  const rows = answers && answers.household && answers.household.new_members;
  return rows && typeof rows === "object" ? rows : {};
}

function childIdsOf(household, exceptId = null) {
  return (household.members || []).filter((m) => m.is_child && m.person_id !== exceptId).map((m) => m.person_id);
}

function contactOf(row, childId) {
  const entry = row && row.contact && row.contact[childId];
  return entry && typeof entry === "object" ? entry.contact : undefined;
}

// ---- S3 <-> concern ---------------------------------------------------------------

/** A concern as S3 shows it for this household's children (what the form pre-fills). */
export function s3FromConcern(concern, childIds) {
  const row = {};
  // A protected source stays on the concern record only: a visit's answers are
  // read by more people than the record (and may hold only the placeholder).
  const hidden = concern.protect_source || concern.source_withheld ? new Set(["source"]) : new Set();
  for (const field of CONCERN_FIELDS) {
    if (!blank(concern[field]) && !hidden.has(field)) row[field] = concern[field];
  }
  const contact = {};
  for (const childId of childIds) {
    const level = concern.contact && concern.contact[childId];
    if (level) contact[childId] = { contact: level };
  }
  if (Object.keys(contact).length) row.contact = contact;
  return row;
}

/** The answers with S3 pre-filled from each concern record (concerns: this household's). */
export function prefillS3(answers, concerns, household) {
  if (!concerns.length) return answers;
  const childIds = childIdsOf(household);
  const rows = { ...s3Rows(answers) };
  for (const concern of concerns) {
    if (concern.person_id) rows[concern.person_id] = s3FromConcern(concern, childIds);
  }
  const section = (answers && answers.risky_adults) || {};
  return { ...answers, risky_adults: { ...section, concerns: rows } };
}

/**
 * The concern after this visit's S3 row: the fields the practitioner changed
 * since `before` (the row as S3 opened or was last saved) laid over the concern
 * the device holds now, so a colleague's change pulled meanwhile to a field
 * not touched here is kept. Contact with children of other households is kept.
 * Returns null when nothing changed.
 */
export function concernAfterS3({ current, before, row, personId, childIds }) {
  const next = current ? { ...concernPayload(current), contact: { ...(current.contact || {}) } } : { person_id: personId, contact: {} };
  let changedAny = false;
  for (const field of CONCERN_FIELDS) {
    if (same(before && before[field], row[field])) continue;
    changedAny = true;
    if (blank(row[field])) delete next[field];
    else next[field] = row[field];
  }
  for (const childId of childIds) {
    const after = contactOf(row, childId);
    if (same(contactOf(before, childId), after)) continue;
    changedAny = true;
    if (blank(after)) delete next.contact[childId];
    else next.contact[childId] = after;
  }
  return changedAny ? next : null;
}

/** What a concern needs before the server takes it (visitcheck/people/payloads.py). */
function concernProblem(concern) {
  if (!Array.isArray(concern.basis) || !concern.basis.length) return "a basis";
  if (blank(concern.source)) return "a source";
  return null;
}

// ---- S2 new members -> persons ------------------------------------------------------

function aliasesOf(text) {
  return String(text || "").split(/[,;\n]/).map((a) => a.trim()).filter(Boolean);
}

/** The person an S2 new-member row records (over what the device holds about them). */
export function personFromRow({ rowId, row, known, household, visitId }) {
  const age = Number(row.estimated_age);
  const person = {
    ...(known || {}),
    id: rowId,
    names: [String(row.names).trim()],
    aliases: aliasesOf(row.aliases),
    date_of_birth: row.date_of_birth || null,
    estimated_age: blank(row.estimated_age) || !Number.isFinite(age) || age < 0 || age > 120 ? null : Math.round(age),
    sex: row.sex || "unknown",
    is_child: row.is_child === true,
    recorded_at_visit: (known && known.recorded_at_visit) || visitId,
  };
  // An adult's details hold for each child of the household (the row asks once);
  // what is known about other children, and anything else about these, stays.
  const links = [...((known && known.children) || [])];
  if (!person.is_child) {
    for (const childId of childIdsOf(household, rowId)) {
      const at = links.findIndex((l) => l.child_id === childId);
      const link = {
        ...(at >= 0 ? links[at] : {}),
        child_id: childId,
        relationship: row.relationship,
        parental_responsibility: row.parental_responsibility,
        cares_unsupervised: row.cares_unsupervised,
        details_source: row.details_source,
        details_description: row.details_source === "refused" ? row.details_description : undefined,
      };
      if (at >= 0) links[at] = link;
      else links.push(link);
    }
  }
  person.children = links;
  return person;
}

function rowProblem(rowId, row) {
  if (!UUID.test(rowId)) return "an id this app can use";
  if (blank(row.names) || !String(row.names).trim()) return "a name or a description";
  if (typeof row.is_child !== "boolean") return "whether they are a child";
  if (blank(row.residence)) return "where they live";
  return null;
}

function sameRow(a, b) {
  if (!a || !b) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => same(a[key], b[key]));
}

// ---- the live flags before a save ---------------------------------------------------

/**
 * What the rules should see while the visit is being typed, before a save
 * records it: S2's new members as persons of the household, and S3's adults
 * with no concern record yet as concerns (buildContext lays S3 over them).
 * Returns {household, persons, concerns}; the arguments are not changed.
 */
export function withVisitFacts({ household, persons = [], concerns = [], answers = {}, visitId = null }) {
  const byId = new Map(persons.map((p) => [p.id, p]));
  let here = household;
  const added = [];
  for (const [rowId, row] of Object.entries(s2Rows(answers))) {
    if (!row || rowProblem(rowId, row)) continue;
    if ((here.members || []).some((m) => m.person_id === rowId)) continue;
    const person = withLink(personFromRow({ rowId, row, known: byId.get(rowId) || null, household, visitId }),
      household.id, row.residence);
    added.push(person);
    here = withMember(here, memberEntry(person, row.residence));
  }
  const known = new Set(concerns.map((c) => c.person_id));
  const pending = Object.keys(s3Rows(answers)).filter((personId) => !known.has(personId))
    .map((personId) => ({ id: null, person_id: personId, basis: [], contact: {} }));
  return {
    household: here,
    persons: added.length ? [...persons.filter((p) => !added.some((a) => a.id === p.id)), ...added] : persons,
    concerns: pending.length ? [...concerns, ...pending] : concerns,
  };
}

// ---- saving -----------------------------------------------------------------------

/**
 * Queue the entity ops a visit's save implies, before the checklist itself
 * (sync.js sends a checklist after the people it names).
 *
 * visit: {id, household_id, answers}; savedAnswers: the answers as last saved
 * (or opened); s3Before: {person_id: S3 row as opened or last saved}.
 * Returns {s3Before, structural, notes}: the S3 rows now recorded, whether
 * people or concerns were added (the form should be drawn again so S2 and S3
 * show them), and what could not be recorded yet, in words.
 */
export async function recordVisitFacts({ visit, savedAnswers = {}, s3Before = {} }) {
  const notes = [];
  const memberRows0 = (visit.answers && visit.answers.household && visit.answers.household.members) || {};
  if (!Object.keys(s2Rows(visit.answers)).length && !Object.keys(s3Rows(visit.answers)).length
      && !Object.keys(memberRows0).length) {
    return { s3Before, structural: false, notes }; // nothing about people: read nothing
  }
  const household0 = await getHousehold(visit.household_id);
  if (!household0) return { s3Before, structural: false, notes };
  const [persons, concerns] = await Promise.all([listPersons(), listConcerns()]);
  const personsById = new Map(persons.map((p) => [p.id, p]));
  const items = [];
  const local = [];
  let household = household0;
  let structural = false;

  // S2: new members, in the order the practitioner added them.
  const saved = s2Rows(savedAnswers);
  Object.entries(s2Rows(visit.answers)).forEach(([rowId, row], index) => {
    const problem = rowProblem(rowId, row || {});
    if (problem) {
      notes.push(`${row && row.names ? row.names : `New person ${index + 1}`} is not recorded as a person yet: add ${problem} in S2.`);
      return;
    }
    const known = personsById.get(rowId) || null;
    const member = (household.members || []).find((m) => m.person_id === rowId);
    const rowChanged = !sameRow(row, saved[rowId]);
    if (known && member && !rowChanged) return;
    let stored = known;
    if (!known || rowChanged) {
      const person = personFromRow({ rowId, row, known, household, visitId: visit.id });
      const payload = personPayload(person);
      stored = { ...(known || { households: [] }), ...payload, id: rowId, rev: (known && known.rev) || 0 };
      if (!known || JSON.stringify(personPayload(known)) !== JSON.stringify(payload)) {
        items.push({ type: "person.put", entityId: rowId, payload, baseRev: stored.rev, meta: { person_id: rowId } });
      }
    }
    if (!member || member.residence !== row.residence) {
      items.push(linkOp(stored, household, row.residence));
      stored = withLink(stored, household.id, row.residence);
      structural = true;
    }
    personsById.set(rowId, stored);
    local.push({ kind: "person", id: rowId, value: stored });
    household = withMember(household, memberEntry(stored, row.residence));
  });
  // S2, each member: "Where they live now" changed at this visit moves their
  // link (membership.put), so the household, the map and later visits agree.
  const savedMembers = (savedAnswers.household && savedAnswers.household.members) || {};
  const memberRows = (visit.answers.household && visit.answers.household.members) || {};
  for (const [personId, row] of Object.entries(memberRows)) {
    const residence = row && row.residence;
    const member = (household.members || []).find((m) => m.person_id === personId);
    if (!residence || !member || member.residence === residence) continue;
    if (same((savedMembers[personId] || {}).residence, residence)) continue; // not changed here
    // A member pulled before person records were kept is known by the household only.
    let person = personsById.get(personId) || {
      id: personId, names: member.name ? [member.name] : [], is_child: Boolean(member.is_child),
      date_of_birth: member.date_of_birth || null, households: [], rev: 0,
    };
    items.push(linkOp(person, household, residence));
    person = withLink(person, household.id, residence);
    if (personsById.has(personId)) local.push({ kind: "person", id: personId, value: person });
    household = withMember(household, { ...member, residence });
  }
  if (household !== household0) local.push({ kind: "household", id: household.id, value: household });

  // S3: each person's concern.
  const childIds = childIdsOf(household);
  const nextBefore = { ...s3Before };
  for (const [personId, row] of Object.entries(s3Rows(visit.answers))) {
    if (!row || typeof row !== "object") continue;
    const current = concerns.find((c) => c.person_id === personId) || null;
    const next = concernAfterS3({ current, before: s3Before[personId], row, personId, childIds });
    if (!next) continue;
    const name = displayName(personsById.get(personId), (household.members || []).find((m) => m.person_id === personId));
    const problem = concernProblem(next);
    if (problem) {
      notes.push(`What S3 says about ${name} is not recorded as a concern yet: add ${problem}.`);
      continue;
    }
    const id = current ? current.id : crypto.randomUUID();
    const payload = concernPayload(next);
    const rev = current ? current.rev || 0 : 0;
    items.push({ type: "concern.put", entityId: id, payload, baseRev: rev, meta: { person_id: personId } });
    // The device's copy is the payload (a field cleared in S3 is gone), keeping
    // only whether the server withheld a protected source from this user.
    const withheld = current && "source_withheld" in current ? { source_withheld: current.source_withheld } : {};
    local.push({ kind: "concern", id, value: { ...payload, ...withheld, id, rev } });
    nextBefore[personId] = row;
    if (!current) structural = true;
  }

  if (items.length || local.length) await saveEntities(items, { local });
  return { s3Before: nextBefore, structural, notes };
}

/**
 * What stops S3 from being recorded as concerns, as form errors at the field
 * ([{field, message}]): submitting is refused until each person in S3 has a
 * basis and a source, so no submitted visit says more than the records do.
 * concerns: this household's, as the device holds them.
 */
export function s3Errors({ answers, concerns, s3Before = {}, household }) {
  const errors = [];
  const childIds = childIdsOf(household);
  for (const [personId, row] of Object.entries(s3Rows(answers))) {
    if (!row || typeof row !== "object") continue;
    const current = concerns.find((c) => c.person_id === personId) || null;
    const next = concernAfterS3({ current, before: s3Before[personId], row, personId, childIds }) || current;
    if (!next) continue;
    const member = (household.members || []).find((m) => m.person_id === personId);
    const who = member && member.name ? ` (${member.name})` : "";
    const path = `risky_adults.concerns.${personId}`;
    if (!Array.isArray(next.basis) || !next.basis.length) {
      errors.push({ field: `${path}.basis`, message: `Choose at least one: Basis of the concern${who}.` });
    }
    if (blank(next.source)) errors.push({ field: `${path}.source`, message: `Fill in this answer: Source${who}.` });
  }
  return errors;
}
