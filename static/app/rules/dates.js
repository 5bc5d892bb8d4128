// Dates for the rules, parsed exactly as visitcheck/rules/engine.py parses
// them (no Date parsing): ISO 8601 times, whole working days less the bank
// holidays (visitcheck/rules/calendar.py sends the list), ages and S5's age bands.

const DAY_MS = 86400000;
const MAX_STEPS = 100000;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

const floorDiv = (a, b) => Math.floor(a / b);

function daysFromCivil(y, m, d) {
  const yy = y - (m <= 2 ? 1 : 0);
  const era = floorDiv(yy >= 0 ? yy : yy - 399, 400);
  const yoe = yy - era * 400;
  const doy = floorDiv(153 * (m + (m > 2 ? -3 : 9)) + 2, 5) + d - 1;
  const doe = yoe * 365 + floorDiv(yoe, 4) - floorDiv(yoe, 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days) {
  const z = days + 719468;
  const era = floorDiv(z >= 0 ? z : z - 146096, 146097);
  const doe = z - era * 146097;
  const yoe = floorDiv(doe - floorDiv(doe, 1460) + floorDiv(doe, 36524) - floorDiv(doe, 146096), 365);
  const doy = doe - (365 * yoe + floorDiv(yoe, 4) - floorDiv(yoe, 100));
  const mp = floorDiv(5 * doy + 2, 153);
  const d = doy - floorDiv(153 * mp + 2, 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function daysInMonth(y, m) {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** An ISO 8601 date or date-time as milliseconds since 1970 (UTC); no offset means UTC; else null. */
export function timeMs(value) {
  if (typeof value !== "string") return null;
  const match = ISO_TIME.exec(value);
  if (!match) return null;
  const y = Number(match[1]);
  const mo = Number(match[2]);
  const d = Number(match[3]);
  const hh = Number(match[4] || 0);
  const mm = Number(match[5] || 0);
  const ss = Number(match[6] || 0);
  const ms = Number((match[7] || "0").padEnd(3, "0").slice(0, 3));
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && hh < 24 && mm < 60 && ss < 60)) return null;
  let offset = 0;
  const zone = match[8];
  if (zone && zone !== "Z") {
    const digits = zone.slice(1).replace(":", "");
    offset = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * (zone[0] === "+" ? 1 : -1);
  }
  const minutes = (daysFromCivil(y, mo, d) * 24 + hh) * 60 + mm - offset;
  return (minutes * 60 + ss) * 1000 + ms;
}

function weekday(ms) {
  // 0 is Sunday, 6 is Saturday (1970-01-01 was a Thursday).
  return (((floorDiv(ms, DAY_MS) + 4) % 7) + 7) % 7;
}

/** The days (since 1970) of a list of ISO dates; anything that is not a date is ignored. */
function holidayDays(holidays) {
  const days = new Set();
  for (const value of Array.isArray(holidays) ? holidays : []) {
    const ms = timeMs(value);
    if (ms !== null) days.add(floorDiv(ms, DAY_MS));
  }
  return days;
}

/**
 * Whole working days (Monday to Friday, UTC dates, less the holidays: a list of
 * ISO dates, the context's calendar.bank_holidays) from start to end; null if
 * either is not a date. Each step moves to the same time on the next working day.
 */
export function workingDays(start, end, holidays = null) {
  let a = timeMs(start);
  const b = timeMs(end);
  if (a === null || b === null) return null;
  const off = holidayDays(holidays);
  const workday = (ms) => weekday(ms) !== 0 && weekday(ms) !== 6 && !off.has(floorDiv(ms, DAY_MS));
  let count = 0;
  for (let i = 0; i < MAX_STEPS; i += 1) {
    a += DAY_MS;
    while (!workday(a)) a += DAY_MS;
    if (a > b) break;
    count += 1;
  }
  return count;
}

/** Whole years from a date of birth to a moment (its UTC date). */
export function ageYears(birth, at) {
  const b = timeMs(birth);
  const t = timeMs(at);
  if (b === null || t === null) return null;
  const [by, bm, bd] = civilFromDays(floorDiv(b, DAY_MS));
  const [ty, tm, td] = civilFromDays(floorDiv(t, DAY_MS));
  const before = tm < bm || (tm === bm && td < bd);
  return ty - by - (before ? 1 : 0);
}

const AGE_BANDS = [[5, "0–5"], [9, "5–9"], [13, "9–13"], [18, "13–17"]];

/** S5's age band: "0–5", "5–9", "9–13", "13–17", or null. */
export function ageBand(birth, at) {
  const age = ageYears(birth, at);
  if (age === null || age < 0) return null;
  const band = AGE_BANDS.find(([limit]) => age < limit);
  return band ? band[1] : null;
}
