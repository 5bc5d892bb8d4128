"""The rules interpreter: flags from rules held as data (DOMAIN.md principle 2).

Rules live in the template JSON under "rules"; `static/app/rules.js` is the
same interpreter in JavaScript, and `tests/rules_cases.json` keeps the two in
step. Flags prompt judgement: there is no score. The language is described in
docs/rules.md. Pure Python: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Scope = dict[str, Any]

DAY_MS = 86_400_000
MAX_STEPS = 100_000  # working-day steps: a bound on malformed dates, not a real limit
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
ISO_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


class RuleError(ValueError):
    """A rule is malformed (unknown operator, wrong arguments)."""


# --- values ---------------------------------------------------------------


def truthy(value: Any) -> bool:
    """null, false, 0, "", [] and {} are false; everything else is true (as in rules.js)."""
    if value is None or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def equal(a: Any, b: Any) -> bool:
    """Strict, deep equality: true is not 1, "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def items_of(value: Any) -> list[Any]:
    """A list as it is; an object's values in key order; anything else is empty."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    return []


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _is_number(value):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, list):
        return ", ".join(text_of(v) for v in value)
    if isinstance(value, str):
        return value
    return ""


# --- dates -----------------------------------------------------------------


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


def _days_in_month(y: int, m: int) -> int:
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 30 if m in (4, 6, 9, 11) else 31


def time_ms(value: Any) -> int | None:
    """An ISO 8601 date or date-time as milliseconds since 1970 (UTC); no offset means UTC."""
    if not isinstance(value, str):
        return None
    match = ISO_TIME.match(value)
    if not match:
        return None
    y, mo, d = int(match[1]), int(match[2]), int(match[3])
    hh, mm, ss = int(match[4] or 0), int(match[5] or 0), int(match[6] or 0)
    ms = int((match[7] or "0").ljust(3, "0")[:3])
    if not (1 <= mo <= 12 and 1 <= d <= _days_in_month(y, mo) and hh < 24 and mm < 60
            and ss < 60):
        return None
    offset = 0
    zone = match[8]
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 60 + int(digits[2:])) * (1 if zone[0] == "+" else -1)
    minutes = (_days_from_civil(y, mo, d) * 24 + hh) * 60 + mm - offset
    return (minutes * 60 + ss) * 1000 + ms


def _weekday(ms: int) -> int:
    """0 is Sunday, 6 is Saturday (1970-01-01 was a Thursday)."""
    return (ms // DAY_MS + 4) % 7


def working_days(start: Any, end: Any) -> int | None:
    """Whole working days (Monday to Friday, UTC dates) from `start` to `end`.

    Adding one working day moves to the same time on the next weekday; this is
    how many such steps fit before `end`. Bank holidays are not counted out.
    """
    a, b = time_ms(start), time_ms(end)
    if a is None or b is None:
        return None
    count = 0
    for _ in range(MAX_STEPS):
        a += DAY_MS
        while _weekday(a) in (0, 6):
            a += DAY_MS
        if a > b:
            break
        count += 1
    return count


def age_years(birth: Any, at: Any) -> int | None:
    """Whole years from a date of birth to a moment (its UTC date)."""
    b, t = time_ms(birth), time_ms(at)
    if b is None or t is None:
        return None
    by, bm, bd = _civil_from_days(b // DAY_MS)
    ty, tm, td = _civil_from_days(t // DAY_MS)
    return ty - by - (1 if (tm, td) < (bm, bd) else 0)


AGE_BANDS = ((5, "0–5"), (9, "5–9"), (13, "9–13"), (18, "13–17"))


def age_band(birth: Any, at: Any) -> str | None:
    """S5's age band from the date of birth: 0–5, 5–9, 9–13, 13–17 (under 5, under 9, ...)."""
    age = age_years(birth, at)
    if age is None or age < 0:
        return None
    return next((band for limit, band in AGE_BANDS if age < limit), None)


# --- the interpreter --------------------------------------------------------


def _lookup(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        return value.get(key) if isinstance(key, str) else None
    if isinstance(value, list):
        index = key if isinstance(key, int) and not isinstance(key, bool) else None
        if isinstance(key, str) and key.isdigit():
            index = int(key)
        return value[index] if index is not None and 0 <= index < len(value) else None
    return None


def _var(args: Any, scope: Scope, context: dict) -> Any:
    if isinstance(args, str):
        segments: list[Any] = args.split(".") if args else []
    elif isinstance(args, list) and args:
        segments = [_eval(a, scope, context) for a in args]
    else:
        raise RuleError("var takes a dotted path or a list of path segments")
    if not segments:
        return context
    head, rest = segments[0], segments[1:]
    value = scope[head] if isinstance(head, str) and head in scope else _lookup(context, head)
    for segment in rest:
        value = _lookup(value, segment)
    return value


def _args(op: str, args: Any, n: int | None = None) -> list[Any]:
    if not isinstance(args, list) or (n is not None and len(args) != n):
        raise RuleError(f"{op} takes a list of {n} arguments" if n else f"{op} takes a list")
    return args


def _compare(op: str, a: Any, b: Any) -> bool:
    both_numbers = _is_number(a) and _is_number(b)
    if not both_numbers and not (isinstance(a, str) and isinstance(b, str)):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _loop(op: str, args: Any, scope: Scope, context: dict) -> Any:
    collection, name, body = _args(op, args, 3)
    if not isinstance(name, str):
        raise RuleError(f"{op}: the second argument names the item")
    items = items_of(_eval(collection, scope, context))

    def run(item: Any) -> Any:
        return _eval(body, {**scope, name: item}, context)

    if op == "some":
        return any(truthy(run(i)) for i in items)
    if op == "all":
        return all(truthy(run(i)) for i in items)
    if op == "count":
        return sum(1 for i in items if truthy(run(i)))
    if op == "filter":
        return [i for i in items if truthy(run(i))]
    if op == "find":
        return next((i for i in items if truthy(run(i))), None)
    return [run(i) for i in items]  # map


def _let(args: Any, scope: Scope, context: dict) -> Any:
    bindings, body = _args("let", args, 2)
    if not isinstance(bindings, dict):
        raise RuleError("let takes an object of names and a body")
    inner = dict(scope)
    for name, expression in bindings.items():
        inner[name] = _eval(expression, inner, context)
    return _eval(body, inner, context)


def _words(args: Any, scope: Scope, context: dict) -> str:
    expression, vocabulary = _args("words", args, 2)
    if not isinstance(vocabulary, dict):
        raise RuleError("words takes a value and an object of words")
    value = _eval(expression, scope, context)
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if v is None:
            continue
        word = vocabulary.get(v) if isinstance(v, str) else None
        out.append(word if isinstance(word, str) else text_of(v))
    return ", ".join(out)


def _unique(values: Any) -> list[Any]:
    out: list[Any] = []
    for v in items_of(values):
        if not any(equal(v, seen) for seen in out):
            out.append(v)
    return out


def _flatten(values: Any) -> list[Any]:
    out: list[Any] = []
    for v in items_of(values):
        if v is not None:
            out.extend(v if isinstance(v, list) else [v])
    return out


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str | list | dict) else 0


def _in(item: Any, collection: Any) -> bool:
    if isinstance(collection, list):
        return any(equal(item, c) for c in collection)
    if isinstance(collection, dict):
        return isinstance(item, str) and item in collection
    return False


def _present(value: Any) -> bool:
    return value is not None and value != ""


Evaluator = Callable[[list[Any]], Any]

# Operators whose arguments are all evaluated first.
EAGER: dict[str, Evaluator] = {
    "==": lambda a: equal(*a[:2]),
    "!=": lambda a: not equal(*a[:2]),
    "<": lambda a: _compare("<", *a[:2]),
    "<=": lambda a: _compare("<=", *a[:2]),
    ">": lambda a: _compare(">", *a[:2]),
    ">=": lambda a: _compare(">=", *a[:2]),
    "in": lambda a: _in(*a[:2]),
    "length": lambda a: _length(a[0]),
    "merge": lambda a: _flatten(a),
    "flatten": lambda a: _flatten(a[0]),
    "unique": lambda a: _unique(a[0]),
    "keys": lambda a: sorted(a[0]) if isinstance(a[0], dict) else [],
    "entries": lambda a: ([{"key": k, "value": a[0][k]} for k in sorted(a[0])]
                          if isinstance(a[0], dict) else []),
    "first": lambda a: next((v for v in a if _present(v)), None),
    "join": lambda a: text_of(a[1]).join(text_of(v) for v in items_of(a[0])),
    "cat": lambda a: "".join(text_of(v) for v in a),
    "time": lambda a: time_ms(a[0]),
    "working_days": lambda a: working_days(*a[:2]),
    "age": lambda a: age_years(*a[:2]),
}
ARITY = {"==": 2, "!=": 2, "<": 2, "<=": 2, ">": 2, ">=": 2, "in": 2, "length": 1,
         "flatten": 1, "unique": 1, "keys": 1, "entries": 1, "time": 1, "working_days": 2,
         "age": 2, "join": 2}
LOOPS = {"some", "all", "count", "filter", "find", "map"}


def _eval(expression: Any, scope: Scope, context: dict) -> Any:
    if isinstance(expression, list):
        return [_eval(e, scope, context) for e in expression]
    if not isinstance(expression, dict):
        return expression
    if len(expression) != 1:
        raise RuleError(f"an expression has exactly one operator, not {sorted(expression)}")
    ((op, args),) = expression.items()
    if op == "var":
        return _var(args, scope, context)
    if op == "lit":
        return args
    if op == "and":
        return all(truthy(_eval(a, scope, context)) for a in _args(op, args))
    if op == "or":
        return any(truthy(_eval(a, scope, context)) for a in _args(op, args))
    if op == "not":
        return not truthy(_eval(args[0] if isinstance(args, list) else args, scope, context))
    if op == "if":
        condition, then, otherwise = _args(op, args, 3)
        return _eval(then if truthy(_eval(condition, scope, context)) else otherwise,
                     scope, context)
    if op in LOOPS:
        return _loop(op, args, scope, context)
    if op == "let":
        return _let(args, scope, context)
    if op == "words":
        return _words(args, scope, context)
    if op == "object":
        if not isinstance(args, dict):
            raise RuleError("object takes an object of expressions")
        return {k: _eval(v, scope, context) for k, v in args.items()}
    if op in EAGER:
        values = args if isinstance(args, list) else [args]
        if op in ARITY and len(values) != ARITY[op]:
            raise RuleError(f"{op} takes {ARITY[op]} argument(s)")
        return EAGER[op]([_eval(v, scope, context) for v in values])
    raise RuleError(f"unknown operator {op!r}")


def evaluate_expression(expression: Any, context: dict) -> Any:
    """The value of one expression against a context (for tests and tools)."""
    return _eval(expression, {}, context)


# --- rules to flags ----------------------------------------------------------


def _interpolate(template: str, item: dict[str, Any]) -> str:
    return PLACEHOLDER.sub(lambda m: text_of(item.get(m[1])), template)


def _subjects(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, list):
        items = []
        for entry in result:
            if entry is None or entry is False:
                continue
            items.append(entry if isinstance(entry, dict) else {"subject": entry})
        return items
    return [{"subject": None}] if truthy(result) else []


def evaluate(rules: list[dict[str, Any]], context: dict[str, Any]) -> list[dict[str, Any]]:
    """The flags the rules raise for a context, in rule order then subject order."""
    flags = []
    for rule in rules:
        for item in _subjects(_eval(rule["when"], {}, context)):
            flags.append({
                "rule": rule["id"],
                "severity": rule["severity"],
                "subject": item.get("subject"),
                "reason": _interpolate(rule.get("reason", ""), item),
                "action": rule.get("action", ""),
            })
    return flags
