// Reading the caseload from the vault: households, people, concerns, each
// household's visits (local drafts over server copies) and planned visits. The one reader of these
// kinds of vault record; entities.js changes households, people and concerns.

import { readAllSecrets, readSecret } from "./vault.js";

/** Households sorted by address. */
export async function listHouseholds() {
  const households = await readAllSecrets("household");
  return households.sort((a, b) => String(a.address || "").localeCompare(String(b.address || "")));
}

export function getHousehold(id) {
  return readSecret("household", id);
}

export function getPerson(id) {
  return readSecret("person", id);
}

export function listPersons() {
  return readAllSecrets("person");
}

export function getConcern(id) {
  return readSecret("concern", id);
}

export function listConcerns() {
  return readAllSecrets("concern");
}

/** Every visit as saved on this device (drafts, and submissions not yet replaced by the server's copy). */
export function listDrafts() {
  return readAllSecrets("draft");
}

/** Every visit as the server last sent it. */
export function listServerCopies() {
  return readAllSecrets("checklist");
}

/**
 * Every visit the device knows: server copies, replaced by the local draft
 * unless the server's revision is newer.
 */
export async function listVisits() {
  const [drafts, copies] = await Promise.all([listDrafts(), listServerCopies()]);
  const byId = new Map();
  for (const copy of copies) byId.set(copy.id, { ...copy, source: "server" });
  for (const draft of drafts) {
    const server = byId.get(draft.id);
    if (server && (server.rev || 0) > (draft.rev || 0)) continue;
    byId.set(draft.id, { ...draft, source: "local" });
  }
  return [...byId.values()];
}

/** Planned visits (today.js makes and changes them). */
export function listVisitPlans() {
  return readAllSecrets("visit_plan");
}

export function getVisitPlan(id) {
  return readSecret("visit_plan", id);
}

/** The device's own copy of a visit (what was saved here), or undefined. */
export function readDraft(id) {
  return readSecret("draft", id);
}

/** The server's copy of a visit as last pulled, or undefined. */
export function readServerCopy(id) {
  return readSecret("checklist", id);
}

/** The visit to open: the local draft, or the server copy if that is newer. */
export async function getVisit(id) {
  const draft = await readDraft(id);
  const copy = await readServerCopy(id);
  if (draft && (!copy || (copy.rev || 0) <= (draft.rev || 0))) return draft;
  return copy ? { ...copy, rev: copy.rev || 0 } : null;
}

/** Concerns about people linked to a household, each with the person's name: [{person_id, name, ...}]. */
export async function concernsFor(household) {
  if (!household) return [];
  const [concerns, persons] = await Promise.all([listConcerns(), listPersons()]);
  const byId = new Map(persons.map((p) => [p.id, p]));
  const members = new Set((household.members || []).map((m) => m.person_id));
  return concerns
    .filter((concern) => {
      if (members.has(concern.person_id)) return true;
      const person = byId.get(concern.person_id);
      return Boolean(person && (person.households || []).some((h) => h.household_id === household.id));
    })
    .map((concern) => {
      const person = byId.get(concern.person_id);
      const member = (household.members || []).find((m) => m.person_id === concern.person_id);
      const name = (person && Array.isArray(person.names) && person.names[0]) || (member && member.name) || "";
      return { ...concern, name };
    });
}
