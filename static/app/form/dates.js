// Dates as a form shows and checks them: ISO times to and from a
// datetime-local input (local time), and the dates that cannot lie ahead.

function pad(n) {
  return String(n).padStart(2, "0");
}

/** ISO string -> the value a datetime-local input shows (local time). */
export function isoToLocalInput(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** datetime-local value -> ISO 8601 UTC string. */
export function localInputToIso(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

// Dates that cannot lie ahead, by field id (the server holds the same rule in
// checklists/validation.py LATEST): a visit at most a day ahead, information never
// dated in the future.
const DAY_MS = 24 * 60 * 60 * 1000;
const LATEST = {
  visit_at: { aheadMs: DAY_MS, message: "cannot be more than a day ahead" },
  source_date: { aheadMs: 0, message: "cannot be in the future" },
};

/** The message when a date ("YYYY-MM-DD", today on this device) or a time (ISO) lies further ahead than its field allows; null otherwise. */
export function tooLate(fieldId, value, now = new Date()) {
  const rule = LATEST[fieldId];
  if (!rule || typeof value !== "string" || value === "") return null;
  if (value.length === 10) {
    const latest = new Date(now.getTime() + rule.aheadMs);
    const day = `${latest.getFullYear()}-${pad(latest.getMonth() + 1)}-${pad(latest.getDate())}`;
    return value > day ? rule.message : null;
  }
  const moment = new Date(value);
  if (Number.isNaN(moment.getTime())) return null;
  return moment.getTime() > now.getTime() + rule.aheadMs ? rule.message : null;
}
