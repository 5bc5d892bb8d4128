// The quick child observation (template "child-observation", docs/rules.md): what a
// school nurse records about one child outside a home visit, in a couple of minutes.
// It is a checklist of the child's household like a visit — the same form, live
// flags, draft, submit and sync (checklist.put) — with the child chosen in the
// template's "visit.child" question. This module holds what differs: where it
// starts (a button per child on the caseload) and the new draft.

export const OBSERVATION_TEMPLATE = "child-observation";

/** The newest version of `name` among the templates this device holds; null if none. */
export function newestTemplate(templates, name) {
  const versions = (templates || []).filter((t) => t.template === name);
  return versions.sort((a, b) => b.version - a.version)[0] || null;
}

/** What a person calls a saved checklist of this template: "Observation" or "Visit". */
export function checklistNoun(checklist) {
  return checklist && checklist.template === OBSERVATION_TEMPLATE ? "Observation" : "Visit";
}

/**
 * A new observation draft about `childId` of `householdId`: the child already chosen and
 * the time set to now (to the minute; she changes it if she is recording something earlier).
 */
export function newObservation({ template, householdId, childId, now = new Date() }) {
  const minute = new Date(Math.floor(now.getTime() / 60000) * 60000).toISOString();
  return {
    id: crypto.randomUUID(),
    household_id: householdId,
    template: template.template,
    template_version: template.version,
    status: "draft",
    answers: { visit: childId ? { child: childId, visit_at: minute } : { visit_at: minute } },
    saved_at: null,
    rev: 0,
  };
}

/**
 * One "Quick observation" button per child of the household, for the caseload card;
 * none if the device holds no observation template (sync online once) or no child.
 * makeButton(text, onClick, options) is the screen's own button maker.
 */
export function observationButtons(household, { templates, makeButton, describedBy, onStart }) {
  const template = newestTemplate(templates, OBSERVATION_TEMPLATE);
  if (!template || !household.id) return [];
  return (household.members || []).filter((m) => m.is_child).map((child) => makeButton(
    `Quick observation: ${child.name || "child not named"}`,
    () => onStart(newObservation({ template, householdId: household.id, childId: child.person_id })),
    { variant: "secondary", describedBy },
  ));
}
