// The rules interpreter: flags from rules held as data (DOMAIN.md principle 2).
//
// The same language as visitcheck/rules/engine.py, described in
// docs/rules.md; tests/rules_cases.json keeps the two in step. No eval, no
// Date parsing (dates are parsed here, exactly as the Python side does).
// Flags prompt judgement: there is no score. Dates are rules/dates.js.

import { ageYears, timeMs, workingDays } from "./dates.js";

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A rule is malformed (unknown operator, wrong arguments). */
export class RuleError extends Error {
  constructor(message) {
    super(message);
    this.name = "RuleError";
  }
}

// ---- values -----------------------------------------------------------------

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isNumber(value) {
  return typeof value === "number";
}

const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

function sortedKeys(object) {
  // Code-point order, as Python's sorted() on str.
  return Object.keys(object).sort((a, b) => {
    const x = Array.from(a);
    const y = Array.from(b);
    for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
      const d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d) return d;
    }
    return x.length - y.length;
  });
}

/** null, false, 0, "", [] and {} are false; everything else is true. */
export function truthy(value) {
  if (value === null || value === undefined || value === false) return false;
  if (isNumber(value)) return value !== 0;
  if (typeof value === "string" || Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.keys(value).length > 0;
  return true;
}

/** Strict, deep equality: true is not 1, "1" is not 1. */
export function equal(a, b) {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === "boolean" || typeof b === "boolean") return a === b;
  if (isNumber(a) && isNumber(b)) return a === b;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => has(b, k) && equal(a[k], b[k]));
  }
  return a === b;
}

/** A list as it is; an object's values in key order; anything else is empty. */
function itemsOf(value) {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return sortedKeys(value).map((k) => value[k]);
  return [];
}

function floatText(value) {
  // Python's repr(float): shortest digits, exponent form below 1e-4 or from 1e16.
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent] = value.toExponential().split("e");
    const sign = exponent[0] === "-" ? "-" : "+";
    const digits = exponent.replace(/^[+-]/, "").padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  return String(value);
}

/** A value as text: null is nothing, booleans yes/no, whole numbers without a point, lists joined. */
export function textOf(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (isNumber(value)) {
    if (Number.isInteger(value)) return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
    return floatText(value);
  }
  if (Array.isArray(value)) return value.map(textOf).join(", ");
  if (typeof value === "string") return value;
  return "";
}

// ---- the interpreter ----------------------------------------------------------

function lookup(value, key) {
  if (isObject(value)) return typeof key === "string" && has(value, key) ? value[key] : null;
  if (Array.isArray(value)) {
    let index = null;
    if (isNumber(key) && Number.isInteger(key)) index = key;
    if (typeof key === "string" && /^[0-9]+$/.test(key)) index = Number(key);
    return index !== null && index >= 0 && index < value.length ? value[index] : null;
  }
  return null;
}

function evalVar(args, scope, context) {
  let segments;
  if (typeof args === "string") segments = args ? args.split(".") : [];
  else if (Array.isArray(args) && args.length) segments = args.map((a) => evaluateIn(a, scope, context));
  else throw new RuleError("var takes a dotted path or a list of path segments");
  if (!segments.length) return context;
  const [head, ...rest] = segments;
  let value = typeof head === "string" && scope.has(head) ? scope.get(head) : lookup(context, head);
  for (const segment of rest) value = lookup(value, segment);
  return value === undefined ? null : value;
}

function argList(op, args, n = null) {
  if (!Array.isArray(args) || (n !== null && args.length !== n)) {
    throw new RuleError(n ? `${op} takes a list of ${n} arguments` : `${op} takes a list`);
  }
  return args;
}

function compare(op, a, b) {
  const numbers = isNumber(a) && isNumber(b);
  const strings = typeof a === "string" && typeof b === "string";
  if (!numbers && !strings) return false;
  let order;
  if (numbers) order = a < b ? -1 : a > b ? 1 : 0;
  else order = sortedKeys({ [a]: 0, [b]: 0 })[0] === a && a !== b ? -1 : a === b ? 0 : 1;
  return { "<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0 }[op];
}

function loop(op, args, scope, context) {
  const [collection, name, body] = argList(op, args, 3);
  if (typeof name !== "string") throw new RuleError(`${op}: the second argument names the item`);
  const items = itemsOf(evaluateIn(collection, scope, context));
  const run = (item) => {
    const inner = new Map(scope);
    inner.set(name, item);
    return evaluateIn(body, inner, context);
  };
  switch (op) {
    case "some": return items.some((i) => truthy(run(i)));
    case "all": return items.every((i) => truthy(run(i)));
    case "count": return items.filter((i) => truthy(run(i))).length;
    case "filter": return items.filter((i) => truthy(run(i)));
    case "find": {
      const found = items.find((i) => truthy(run(i)));
      return found === undefined ? null : found;
    }
    default: return items.map(run); // map
  }
}

// Bindings are an ordered list of [name, expression] pairs, never an object:
// not every store or serializer keeps an object's key order, and each binding
// sees only the names bound before it.
function letBindings(bindings) {
  if (!Array.isArray(bindings)) return null;
  for (const pair of bindings) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string") return null;
  }
  return bindings;
}

function evalLet(args, scope, context) {
  const [bindings, body] = argList("let", args, 2);
  const pairs = letBindings(bindings);
  if (pairs === null) throw new RuleError("let takes a list of [name, expression] pairs and a body");
  const inner = new Map(scope);
  for (const [name, expression] of pairs) inner.set(name, evaluateIn(expression, inner, context));
  return evaluateIn(body, inner, context);
}

function evalWords(args, scope, context) {
  const [expression, vocabulary] = argList("words", args, 2);
  if (!isObject(vocabulary)) throw new RuleError("words takes a value and an object of words");
  const value = evaluateIn(expression, scope, context);
  const values = Array.isArray(value) ? value : [value];
  const out = [];
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const word = typeof v === "string" && has(vocabulary, v) ? vocabulary[v] : null;
    out.push(typeof word === "string" ? word : textOf(v));
  }
  return out.join(", ");
}

function unique(values) {
  const out = [];
  for (const v of itemsOf(values)) if (!out.some((seen) => equal(v, seen))) out.push(v);
  return out;
}

function flatten(values) {
  const out = [];
  for (const v of itemsOf(values)) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) out.push(...v);
    else out.push(v);
  }
  return out;
}

function length(value) {
  if (typeof value === "string") return Array.from(value).length;
  if (Array.isArray(value)) return value.length;
  if (isObject(value)) return Object.keys(value).length;
  return 0;
}

function inCollection(item, collection) {
  if (Array.isArray(collection)) return collection.some((c) => equal(item, c));
  if (isObject(collection)) return typeof item === "string" && has(collection, item);
  return false;
}

const present = (v) => v !== null && v !== undefined && v !== "";

// Operators whose arguments are all evaluated first.
const EAGER = {
  "==": (a) => equal(a[0], a[1]),
  "!=": (a) => !equal(a[0], a[1]),
  "<": (a) => compare("<", a[0], a[1]),
  "<=": (a) => compare("<=", a[0], a[1]),
  ">": (a) => compare(">", a[0], a[1]),
  ">=": (a) => compare(">=", a[0], a[1]),
  in: (a) => inCollection(a[0], a[1]),
  length: (a) => length(a[0]),
  merge: (a) => flatten(a),
  flatten: (a) => flatten(a[0]),
  unique: (a) => unique(a[0]),
  keys: (a) => (isObject(a[0]) ? sortedKeys(a[0]) : []),
  entries: (a) => (isObject(a[0]) ? sortedKeys(a[0]).map((key) => ({ key, value: a[0][key] })) : []),
  first: (a) => {
    const found = a.find(present);
    return found === undefined ? null : found;
  },
  join: (a) => itemsOf(a[0]).map(textOf).join(textOf(a[1])),
  cat: (a) => a.map(textOf).join(""),
  time: (a) => timeMs(a[0]),
  working_days: (a) => workingDays(a[0], a[1], a.length > 2 ? a[2] : null),
  age: (a) => ageYears(a[0], a[1]),
};
const ARITY = {
  "==": 2, "!=": 2, "<": 2, "<=": 2, ">": 2, ">=": 2, in: 2, length: 1, flatten: 1, unique: 1,
  keys: 1, entries: 1, time: 1, working_days: [2, 3], age: 2, join: 2,
};
const LOOPS = new Set(["some", "all", "count", "filter", "find", "map"]);

function evaluateIn(expression, scope, context) {
  if (Array.isArray(expression)) return expression.map((e) => evaluateIn(e, scope, context));
  if (!isObject(expression)) return expression === undefined ? null : expression;
  const keys = Object.keys(expression);
  if (keys.length !== 1) throw new RuleError(`an expression has exactly one operator, not ${JSON.stringify(keys.sort())}`);
  const op = keys[0];
  const args = expression[op];
  if (op === "var") return evalVar(args, scope, context);
  if (op === "lit") return args;
  if (op === "and") {
    for (const a of argList(op, args)) if (!truthy(evaluateIn(a, scope, context))) return false;
    return true;
  }
  if (op === "or") {
    for (const a of argList(op, args)) if (truthy(evaluateIn(a, scope, context))) return true;
    return false;
  }
  if (op === "not") {
    if (Array.isArray(args) && !args.length) throw new RuleError("not takes one argument");
    return !truthy(evaluateIn(Array.isArray(args) ? args[0] : args, scope, context));
  }
  if (op === "if") {
    const [condition, then, otherwise] = argList(op, args, 3);
    return evaluateIn(truthy(evaluateIn(condition, scope, context)) ? then : otherwise, scope, context);
  }
  if (LOOPS.has(op)) return loop(op, args, scope, context);
  if (op === "let") return evalLet(args, scope, context);
  if (op === "words") return evalWords(args, scope, context);
  if (op === "object") {
    if (!isObject(args)) throw new RuleError("object takes an object of expressions");
    const out = {};
    for (const [k, v] of Object.entries(args)) out[k] = evaluateIn(v, scope, context);
    return out;
  }
  if (has(EAGER, op)) {
    const values = Array.isArray(args) ? args : [args];
    if (has(ARITY, op) && ![ARITY[op]].flat().includes(values.length)) {
      throw new RuleError(`${op} takes ${[ARITY[op]].flat().join(" or ")} argument(s)`);
    }
    return EAGER[op](values.map((v) => evaluateIn(v, scope, context)));
  }
  throw new RuleError(`unknown operator ${JSON.stringify(op)}`);
}

/** The value of one expression against a context (for tests and tools). */
export function evaluateExpression(expression, context) {
  return evaluateIn(expression, new Map(), context);
}

// ---- rules to flags -------------------------------------------------------------

function interpolate(template, item) {
  return template.replace(PLACEHOLDER, (_, name) => textOf(has(item, name) ? item[name] : null));
}

function subjects(result) {
  if (Array.isArray(result)) {
    const items = [];
    for (const entry of result) {
      if (entry === null || entry === undefined || entry === false) continue;
      items.push(isObject(entry) ? entry : { subject: entry });
    }
    return items;
  }
  return truthy(result) ? [{ subject: null }] : [];
}

/** The flags the rules raise for a context, in rule order then subject order. */
export function evaluate(rules, context) {
  const flags = [];
  for (const rule of rules) {
    for (const item of subjects(evaluateIn(rule.when, new Map(), context))) {
      flags.push({
        rule: rule.id,
        severity: rule.severity,
        subject: has(item, "subject") && item.subject !== undefined ? item.subject : null,
        reason: interpolate(rule.reason || "", item),
        action: rule.action || "",
      });
    }
  }
  return flags;
}
