// The check before submitting (issue 11): what the practitioner may have left open
// — urgent flags with no action recorded, sections left empty, children not seen —
// each with the place to fix it. Worked out from the template, so it follows the
// template's sections and groups; it asks, it never blocks (flags prompt judgement).

import { flagKey } from "./answered.js";

const DISPLAY_ONLY = new Set(["note", "age_band"]);

function isEmpty(value) {
  if (value === undefined || value === null) return true;
  if (typeof value === "string") return value.trim() === "";
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.values(value).every(isEmpty);
  return false;
}

// The row groups whose rows name the flag they answer (a sub-field "flag"): S8's
// actions, and from home-visit version 2 its referrals too.
function answeringGroups(template) {
  const groups = [];
  for (const section of template.sections || []) {
    for (const field of section.fields || []) {
      if (field.type === "group" && field.repeat === "rows"
        && (field.fields || []).some((sub) => sub.id === "flag")) {
        groups.push({ section, field });
      }
    }
  }
  return groups;
}

/**
 * [{kind, text, path?, section?}] for the summary. path: a field path the form can
 * focus (form.focusField); section: a section id to scroll to.
 * flags: the tablet's current flags ({rule, severity, reason}); household: {members}.
 */
export function submitSummary({ template, answers = {}, flags = [], household = null }) {
  const items = [];
  const groups = answeringGroups(template);
  // Where to fix an unanswered flag: the first group (S8's actions).
  const actions = groups[0] || null;
  const answered = new Set();
  for (const group of groups) {
    const rows = (answers[group.section.id] || {})[group.field.id] || {};
    for (const row of Object.values(rows)) {
      if (row && typeof row.flag === "string" && row.flag.trim()) answered.add(row.flag.trim());
    }
  }
  for (const flag of flags) {
    // An action or referral names a flag by its key (answered.js): its rule, or rule:subject.
    if (flag.severity !== "urgent" || answered.has(flag.rule)
      || answered.has(flagKey(flag.rule, flag.subject ?? null))) continue;
    items.push({
      kind: "flag",
      text: `Urgent flag with no action recorded: ${flag.reason}`,
      path: actions ? `${actions.section.id}.${actions.field.id}` : undefined,
    });
  }

  const names = new Map(((household && household.members) || []).map((m) => [m.person_id, m.name || "A child"]));
  for (const section of template.sections || []) {
    const sectionAnswers = answers[section.id] || {};
    const fields = (section.fields || []).filter((f) => !DISPLAY_ONLY.has(f.type));
    if (fields.length && isEmpty(sectionAnswers)) {
      items.push({ kind: "empty", text: `${section.code ? `${section.code} ` : ""}${section.title}: nothing recorded`, section: section.id });
      continue;
    }
    for (const field of fields) {
      if (field.type === "boolean" && field.id === "no_access" && sectionAnswers.no_access === true) {
        items.push({ kind: "unseen", text: "No access: no child was seen at this visit", path: `${section.id}.no_access` });
      }
      if (field.type === "group" && field.repeat === "children"
        && (field.fields || []).some((sub) => sub.id === "seen" && sub.type === "boolean")) {
        for (const [childId, child] of Object.entries(sectionAnswers[field.id] || {})) {
          if (child && child.seen === false) {
            items.push({ kind: "unseen", text: `${names.get(childId) || "A child"} was not seen`, path: `${section.id}.${field.id}.${childId}` });
          }
        }
      }
    }
  }
  return items;
}
