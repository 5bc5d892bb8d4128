// What a repeated group of a checklist runs over: the household's children,
// members, adults, parents, or the persons of concern (answers keyed by person id).

export const PERSON_REPEATS = new Set(["children", "members", "adults", "parents", "persons_of_concern"]);

function hasParentalResponsibility(member) {
  const value = member.parental_responsibility ?? member.has_parental_responsibility;
  return value === true || value === "yes";
}

/**
 * The people a repeated group runs over, as [{key, title, person}].
 * context: {household: {members}, concerns: [{person_id, name}]}.
 */
export function repeatInstances(repeat, context) {
  const household = context.household || {};
  const members = Array.isArray(household.members) ? household.members : [];
  const asInstance = (m) => ({ key: m.person_id, title: m.name || "Name not recorded", person: m });
  switch (repeat) {
    case "children":
      return members.filter((m) => m.is_child).map(asInstance);
    case "members":
      return members.map(asInstance);
    case "adults":
      return members.filter((m) => !m.is_child).map(asInstance);
    case "parents": {
      const adults = members.filter((m) => !m.is_child);
      const holders = adults.filter(hasParentalResponsibility);
      // Until the person records say who holds parental responsibility, offer
      // every adult not known to have none.
      const hasNone = (m) => (m.parental_responsibility ?? m.has_parental_responsibility) === "no"
        || m.has_parental_responsibility === false;
      return (holders.length ? holders : adults.filter((m) => !hasNone(m))).map(asInstance);
    }
    case "persons_of_concern": {
      const seen = new Set();
      const out = [];
      for (const concern of context.concerns || []) {
        if (!concern.person_id || seen.has(concern.person_id)) continue;
        seen.add(concern.person_id);
        const member = members.find((m) => m.person_id === concern.person_id);
        out.push({ key: concern.person_id, title: concern.name || (member && member.name) || "Person of concern", person: member || null });
      }
      return out;
    }
    default:
      return [];
  }
}

export function emptyNote(repeat) {
  return {
    children: "No children are recorded in this household.",
    members: "No members are recorded in this household.",
    adults: "No adults are recorded in this household.",
    parents: "Nobody with parental responsibility is recorded in this household.",
    persons_of_concern: "No person of concern is recorded for this household.",
  }[repeat] || "Nothing to record here.";
}
