// Flags on the tablet: the template's rules (rules/engine.js) evaluated over
// the context of the visit being typed (rules/context.js), so a prompt shows
// offline the moment it applies. Flags prompt judgement; they never decide.

import { evaluate, RuleError } from "./rules/engine.js";

// main.js builds the context through this module until the lead points its
// import at rules/context.js at merge (the screens branch rewrites main.js).

export const SEVERITY_WORDS = { urgent: "Urgent", action: "Action", review: "Review" };

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
