// Flags on the tablet: build the rules context (docs/rules.md, "The context")
// from what the vault holds and evaluate the template's rules against the
// answers being typed, so a prompt shows offline the moment it applies.
// Flags prompt judgement; they never decide.

import { evaluate, RuleError } from "./rules.js";

export const SEVERITY_WORDS = { urgent: "Urgent", action: "Action", review: "Review" };

function personFromMember(member, householdId) {
  return {
    id: member.person_id,
    names: member.name ? [member.name] : [],
    aliases: [],
    date_of_birth: member.date_of_birth ?? null,
    is_child: Boolean(member.is_child),
    households: [{ household_id: householdId, residence: member.residence ?? null }],
    children: [],
  };
}

// S3 answers laid over the concern entities, so an edit shows at once.
function concernsWithAnswers(concerns, answers) {
  const s3 = (answers && answers.risky_adults && answers.risky_adults.concerns) || {};
  return concerns.map((concern) => {
    const edit = s3[concern.person_id];
    if (!edit || typeof edit !== "object") return concern;
    const { contact, ...rest } = edit;
    const merged = { ...concern, ...rest };
    if (contact && typeof contact === "object") {
      const byChild = { ...(concern.contact || {}) };
      for (const [childId, value] of Object.entries(contact)) {
        if (value && typeof value === "object" && "contact" in value) byChild[childId] = value.contact;
      }
      merged.contact = byChild;
    }
    return merged;
  });
}

function historyItem(visit) {
  return {
    id: visit.id,
    household_id: visit.household_id,
    visit_at: visit.answers?.visit?.visit_at ?? null,
    status: visit.status ?? null,
    answers: visit.answers ?? {},
    flags: visit.flags ?? [],
    submitted_at: visit.submitted_at ?? null,
    lead_decision_at: visit.lead_decision_at ?? null,
  };
}

/**
 * The context for one checklist. visit: {id, household_id, status, answers};
 * household; allHouseholds, persons, concerns (for this household), visits
 * (every visit the device knows), alerts: arrays from the vault.
 */
export function buildContext({ visit, household, allHouseholds = [], persons = [], concerns = [], visits = [], alerts = [], now = new Date() }) {
  const personMap = {};
  for (const person of persons) personMap[person.id] = person;
  for (const member of household.members || []) {
    if (!personMap[member.person_id]) personMap[member.person_id] = personFromMember(member, household.id);
  }
  // Every household the device holds (complex-abuse looks a person of
  // concern's other households up here), this one as given.
  const households = {};
  for (const h of allHouseholds) households[h.id] = h;
  households[household.id] = household;
  // A person's links are also what the households held say about them.
  for (const h of Object.values(households)) {
    for (const member of h.members || []) {
      const person = personMap[member.person_id];
      if (!person) {
        personMap[member.person_id] = personFromMember(member, h.id);
      } else if (!(person.households || []).some((link) => link.household_id === h.id)) {
        personMap[member.person_id] = {
          ...person, households: [...(person.households || []), { household_id: h.id, residence: member.residence ?? null }],
        };
      }
    }
  }
  // Linked households (for history): those sharing a member or a person of concern with this one.
  const linkedIds = new Set([household.id]);
  const sharedPeople = [...(household.members || []).map((m) => m.person_id), ...concerns.map((c) => c.person_id)];
  for (const personId of sharedPeople) {
    for (const link of (personMap[personId] && personMap[personId].households) || []) linkedIds.add(link.household_id);
  }
  const answers = visit.answers || {};
  return {
    now: now.toISOString(),
    checklist: {
      id: visit.id,
      household_id: visit.household_id,
      visit_at: answers.visit?.visit_at ?? null,
      status: visit.status || "draft",
      answers,
    },
    household,
    households,
    persons: personMap,
    concerns: concernsWithAnswers(concerns, answers),
    history: visits.filter((v) => v.id !== visit.id && linkedIds.has(v.household_id)).map(historyItem),
    alerts,
  };
}

/** Flags for a template's rules, or [] if it has none; a malformed rule is reported, not thrown. */
export function flagsFor(template, context) {
  const rules = Array.isArray(template.rules) ? template.rules : [];
  try {
    return evaluate(rules, context);
  } catch (error) {
    if (error instanceof RuleError) {
      console.error("a rule in this template is malformed", error);
      return [];
    }
    throw error;
  }
}

/**
 * The server's flags (pulled with the checklist, stored at its last evaluation
 * over everything the team holds) that the tablet did not raise itself: same
 * rule and subject is the same flag. Shown apart, as from the team's records.
 */
export function serverOnlyFlags(serverFlags, ownFlags) {
  const key = (flag) => `${flag.rule}|${flag.subject == null ? "" : String(flag.subject)}`;
  const own = new Set((ownFlags || []).map(key));
  return (Array.isArray(serverFlags) ? serverFlags : [])
    .filter((flag) => flag && typeof flag.rule === "string" && !own.has(key(flag)));
}
