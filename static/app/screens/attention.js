// What a queued change the server set aside says, in words, and the two versions
// side by side for a conflict (conflict.js): shared by the caseload's "Needs your
// attention" list and the visit screen.

import { mountConflict } from "../conflict.js";
import { findTemplate } from "../session.js";
import { el } from "../dom.js";

export function describeAttention(op) {
  const reason = op.reason || {};
  if (reason.status === "conflict") return "Changed on the server since you last synced it.";
  const error = reason.error || {};
  const fieldMessages = (error.errors || []).map((e) => e.message).filter(Boolean);
  return [error.title, error.detail, ...fieldMessages].filter(Boolean).join(" ") || "The server did not accept it.";
}

// The two versions side by side (conflict.js); the user's choice queues a new op.
export function conflictHolder(entityId, visit, households, onResolved) {
  const holder = el("div", { class: "conflict-holder" });
  const household = households.find((h) => h.id === visit?.household_id);
  const names = new Map((household?.members || []).map((m) => [m.person_id, m.name]));
  const template = visit ? findTemplate(visit.template, visit.template_version) : null;
  mountConflict(holder, entityId, { template, names, onResolved }).catch((error) => console.error(error));
  return holder;
}
