// People as entities on the tablet (DOMAIN.md principle 3): households,
// persons, their links and concerns, read from the vault and changed offline.
//
// Every change writes the device's copies (vault kinds household, person,
// concern) and queues the sealed ops that tell the server, in one
// transaction (sync/queue.js saveEntities), so the caseload, the forms and the
// live flags see it at once, before any sync. A person is one record linked
// to households; the same adult in two homes is one person.

import { getConcern, getHousehold, getPerson, listConcerns, listHouseholds, listPersons } from "./caseload.js";
import { currentBootstrap } from "./session.js";
import { saveEntities } from "./sync/queue.js";

// The people and concern choices are the server's (bootstrap `vocabulary`, read
// from visitcheck/people/vocabulary.json, which also checks and words them).
// These are only for a bootstrap stored before the server sent them, so a device
// offline since then still offers every choice; tests/unit/test_vocabulary.py
// keeps them equal to the server's file.
const STORED_BEFORE_VOCABULARY = {
  residences: [
    ["lives_here", "Lives here"],
    ["overnight_weekly", "Stays overnight weekly or more"],
    ["stays_occasionally", "Stays occasionally"],
    ["visits_regularly", "Visits regularly"],
    ["lives_elsewhere", "Lives elsewhere"],
  ],
  sexes: [
    ["female", "Female"],
    ["male", "Male"],
    ["other", "Other"],
    ["unknown", "Not known"],
  ],
  parental_responsibility: [
    ["yes", "Yes"],
    ["no", "No"],
    ["unknown", "Not known"],
  ],
  details_sources: [
    ["self", "From them"],
    ["parent", "From a parent"],
    ["other_agency", "From another agency"],
    ["refused", "Refused to give details"],
  ],
  concern_bases: [
    ["convicted_child_offence", "Convicted or cautioned for an offence against a child"],
    ["charged", "Charged with an offence against a child"],
    ["convicted_other_child_harmed", "Convicted of another offence where a child was harmed or present"],
    ["finding_of_fact", "Finding of fact in family proceedings"],
    ["child_protection_enquiry", "Earlier child protection enquiry"],
    ["admitted", "Admitted"],
    ["allegation_no_outcome", "Allegation without an outcome"],
    ["police_probation_intelligence", "Police or probation intelligence"],
    ["family_community_report", "Report from family or community"],
    ["child_account", "A child's account"],
  ],
  fact_or_opinion: [
    ["fact", "Fact"],
    ["opinion", "Opinion"],
  ],
  mappa_categories: [
    ["unknown", "Not known"],
    ["none", "None"],
    ["1", "Category 1"],
    ["2", "Category 2"],
    ["3", "Category 3"],
    ["4", "Category 4"],
  ],
  mappa_levels: [
    ["unknown", "Not known"],
    ["1", "Level 1"],
    ["2", "Level 2"],
    ["3", "Level 3"],
  ],
  yes_no_unknown: [
    ["yes", "Yes"],
    ["no", "No"],
    ["unknown", "Not known"],
  ],
  contact_levels: [
    ["lives_with", "Lives with them"],
    ["overnight", "Overnight stays"],
    ["regular_unsupervised", "Regular unsupervised contact"],
    ["supervised", "Supervised contact"],
    ["online_phone", "Online or phone contact"],
    ["none_known", "None known"],
  ],
};

/** The [code, label] pairs of one list of choices, e.g. choices("residences"). */
export function choices(name) {
  return currentBootstrap()?.vocabulary?.[name] ?? STORED_BEFORE_VOCABULARY[name];
}

/** The label of one code, or undefined. */
export function choiceLabel(name, code) {
  const found = choices(name).find(([value]) => value === code);
  return found ? found[1] : undefined;
}

const listeners = new Set();

/** Called after every local change of a household, person, link or concern. */
export function onEntitiesChanged(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tell the listeners that entities changed (also after a visit's save recorded people). */
export function changed() {
  for (const listener of listeners) {
    try { listener(); } catch (error) { console.error(error); }
  }
}

// ---- reading (the records themselves are read by caseload.js) ---------------

/** The (first) concern recorded about a person, or null. */
export async function concernAbout(personId) {
  const concerns = await listConcerns();
  return concerns.find((c) => c.person_id === personId) || null;
}

export function displayName(person, member = null) {
  return (person && Array.isArray(person.names) && person.names[0]) || (member && member.name) || "Name not recorded";
}

/**
 * A household's members as the people screen shows them:
 * [{person_id, member, person, name, is_child, residence, concern}].
 */
export async function householdPeople(household) {
  const [persons, concerns] = await Promise.all([listPersons(), listConcerns()]);
  const byId = new Map(persons.map((p) => [p.id, p]));
  const ofConcern = new Set(concerns.map((c) => c.person_id));
  return (household.members || []).map((member) => {
    const person = byId.get(member.person_id) || null;
    return {
      person_id: member.person_id,
      member,
      person,
      name: displayName(person, member),
      is_child: person ? Boolean(person.is_child) : Boolean(member.is_child),
      residence: member.residence || null,
      concern: ofConcern.has(member.person_id),
    };
  });
}

/**
 * Parental responsibility for the children of a household, from the persons'
 * per-child details: "yes" if any link to a child here says so, "no" if all
 * links say no, "unknown" otherwise; absent when nothing is recorded.
 */
export function parentalResponsibilityHere(person, household) {
  const kids = new Set((household.members || []).filter((m) => m.is_child).map((m) => m.person_id));
  const links = ((person && person.children) || []).filter((c) => kids.has(c.child_id) && c.parental_responsibility);
  if (!links.length) return undefined;
  if (links.some((c) => c.parental_responsibility === "yes")) return "yes";
  if (links.every((c) => c.parental_responsibility === "no")) return "no";
  return "unknown";
}

/** The household with each member's parental responsibility here, when the person records say. */
export function householdWithParents(household, persons) {
  if (!household) return household;
  const byId = new Map(persons.map((p) => [p.id, p]));
  const members = (household.members || []).map((member) => {
    const responsibility = parentalResponsibilityHere(byId.get(member.person_id), household);
    return responsibility === undefined ? member : { ...member, parental_responsibility: responsibility };
  });
  return { ...household, members };
}

// ---- building payloads ------------------------------------------------------------

function compact(object) {
  const out = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || value === null || value === "") continue;
    out[key] = value;
  }
  return out;
}

/**
 * The person.put payload (docs/sync-protocol.md): only the fields of a person.
 * `recorded_at_visit` (the checklist a person was first recorded at, in S2)
 * goes along whenever the person has it, so a later edit keeps it.
 */
export function personPayload(person) {
  const payload = {
    names: person.names,
    aliases: person.aliases || [],
    date_of_birth: person.date_of_birth || null,
    estimated_age: Number.isInteger(person.estimated_age) ? person.estimated_age : null,
    sex: person.sex || "unknown",
    is_child: Boolean(person.is_child),
    children: (person.children || []).map((row) => compact({
      child_id: row.child_id,
      relationship: row.relationship,
      parental_responsibility: row.parental_responsibility,
      cares_unsupervised: row.cares_unsupervised,
      seen_by_practitioner: row.seen_by_practitioner,
      details_source: row.details_source,
      details_description: row.details_source === "refused" ? row.details_description : undefined,
    })),
  };
  if (person.recorded_at_visit) payload.recorded_at_visit = person.recorded_at_visit;
  return payload;
}

/** The concern.put payload: the fields of a concern about a person. */
export function concernPayload(concern) {
  return compact({
    person_id: concern.person_id,
    basis: concern.basis || [],
    source: concern.source,
    source_date: concern.source_date,
    verified: concern.verified,
    protect_source: concern.protect_source,
    fact_or_opinion: concern.fact_or_opinion,
    mappa_category: concern.mappa_category,
    mappa_level: concern.mappa_level,
    orders: concern.orders,
    works_with_children: concern.works_with_children,
    contact: concern.contact || {},
    notes: concern.notes,
  });
}

export function memberEntry(person, residence) {
  return {
    person_id: person.id,
    name: displayName(person),
    is_child: Boolean(person.is_child),
    date_of_birth: person.date_of_birth || null,
    residence,
  };
}

export function withMember(household, entry) {
  const members = [...(household.members || [])];
  const at = members.findIndex((m) => m.person_id === entry.person_id);
  if (at >= 0) members[at] = { ...members[at], ...entry };
  else members.push(entry);
  return { ...household, members };
}

export function withLink(person, householdId, residence) {
  const households = [...(person.households || [])];
  const at = households.findIndex((h) => h.household_id === householdId);
  const entry = { household_id: householdId, residence };
  if (at >= 0) households[at] = entry;
  else households.push(entry);
  return { ...person, households };
}

export function linkOp(person, household, residence) {
  const entry = memberEntry(person, residence);
  return {
    type: "membership.put",
    entityId: crypto.randomUUID(),
    payload: { household_id: household.id, person_id: person.id, residence },
    baseRev: 0,
    meta: { household_id: household.id, person_id: person.id, link: { household_id: household.id, person_id: person.id, residence, member: entry } },
  };
}

// ---- changing --------------------------------------------------------------------

/**
 * Add a person (isNew) or edit one, and set their residence in a household.
 * person: {id?, names, aliases, date_of_birth, estimated_age, sex, is_child,
 * children, rev?}. Queues person.put (a new one from base_rev 0, an edit from
 * the person's known rev) and, when the link is new or its residence
 * changed, membership.put. Returns the person as stored on the device.
 */
export async function savePerson({ person, householdId, residence }) {
  const isNew = !person.id;
  const id = person.id || crypto.randomUUID();
  const [known, household, allHouseholds] = await Promise.all([
    isNew ? null : getPerson(id), getHousehold(householdId), listHouseholds()]);
  if (!household) throw new Error("That household is not on this device.");
  // Where a person was first recorded (S2 of a visit) is not on the People
  // screen's form: an edit there keeps it.
  const payload = personPayload({ ...person, recorded_at_visit: person.recorded_at_visit || (known && known.recorded_at_visit) });
  const base = known || { id, households: [], rev: 0 };
  let stored = { ...base, ...payload, id, rev: base.rev || 0 };
  if (!known) {
    // A person pulled before person records were kept: their links are in the households.
    for (const h of allHouseholds) {
      const member = (h.members || []).find((m) => m.person_id === id);
      if (member) stored = withLink(stored, h.id, member.residence);
    }
  }
  const items = [{ type: "person.put", entityId: id, payload, baseRev: isNew ? 0 : (person.rev ?? base.rev ?? 0), meta: { person_id: id } }];
  const current = (household.members || []).find((m) => m.person_id === id);
  if (residence && (!current || current.residence !== residence)) {
    items.push(linkOp(stored, household, residence));
    stored = withLink(stored, household.id, residence);
  }
  // Every household on the device that lists the person shows the new name and age.
  const local = [{ kind: "person", id, value: stored }];
  for (const h of allHouseholds) {
    const member = (h.members || []).find((m) => m.person_id === id);
    const here = h.id === household.id && residence;
    if (!member && !here) continue;
    const entry = memberEntry(stored, here ? residence : member.residence);
    local.push({ kind: "household", id: h.id, value: withMember(h, entry) });
  }
  await saveEntities(items, { local });
  changed();
  return stored;
}

/**
 * Link a known person to a household (one the device holds, or a new one
 * with `newAddress`: household.put from base_rev 0, which the server puts
 * on the recorder's caseload). Returns the household id.
 */
export async function linkPerson({ personId, householdId = null, newAddress = null, residence }) {
  const person = await getPerson(personId);
  if (!person) throw new Error("That person is not on this device.");
  const items = [];
  const local = [];
  let household;
  if (newAddress) {
    household = { id: crypto.randomUUID(), address: newAddress, professionals: [], members: [], rev: 0 };
    items.push({
      type: "household.put", entityId: household.id, baseRev: 0,
      payload: { address: newAddress, professionals: [] }, meta: { household_id: household.id },
    });
  } else {
    household = await getHousehold(householdId);
    if (!household) throw new Error("That household is not on this device.");
  }
  items.push(linkOp(person, household, residence));
  const linked = withLink(person, household.id, residence);
  local.push({ kind: "person", id: person.id, value: linked });
  local.push({ kind: "household", id: household.id, value: withMember(household, memberEntry(linked, residence)) });
  await saveEntities(items, { local });
  changed();
  return household.id;
}

/** Record (no id) or edit a concern about a person; queues concern.put. */
export async function saveConcern(concern) {
  const id = concern.id || crypto.randomUUID();
  const known = concern.id ? await getConcern(id) : null;
  const payload = concernPayload(concern);
  const rev = known ? known.rev || 0 : 0;
  const stored = { ...payload, id, rev };
  await saveEntities(
    [{ type: "concern.put", entityId: id, payload, baseRev: known ? (concern.rev ?? rev) : 0, meta: { person_id: concern.person_id } }],
    { local: [{ kind: "concern", id, value: stored }] },
  );
  changed();
  return stored;
}

/** Every child of every household the person is linked to that the device holds: [{household, children}]. */
export async function childrenAround(personId) {
  const [person, households] = await Promise.all([getPerson(personId), listHouseholds()]);
  const linked = new Set(((person && person.households) || []).map((h) => h.household_id));
  for (const h of households) {
    if ((h.members || []).some((m) => m.person_id === personId)) linked.add(h.id);
  }
  return households
    .filter((h) => linked.has(h.id))
    .map((h) => ({ household: h, children: (h.members || []).filter((m) => m.is_child && m.person_id !== personId) }))
    .filter((entry) => entry.children.length);
}
