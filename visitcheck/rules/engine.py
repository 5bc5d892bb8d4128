"""The rules engine: flags from rules held as data (DOMAIN.md principle 2).

Rules live in the template JSON under "rules"; `static/app/rules/engine.js` is the
same language in JavaScript, and `tests/rules_cases.json` keeps the two in
step. Flags prompt judgement: there is no score. The language is described in
docs/rules.md. Pure Python: no Flask, no database, no `eval`.

Rules are compiled once per template version (`compile_rules`) into nested
Python closures, then evaluated over each context. The server runs every rule
on every checklist it stores, over everything the team holds; compiling does
once what does not depend on the context (reading each node's operator,
checking its arguments, resolving bound names), where interpreting redid it at
every node of every evaluation. A version's rules never change, so callers
keep its `CompiledRules`; `evaluate(rules, context)` compiles and evaluates in
one go. Compiling refuses nothing: a malformed expression raises `RuleError`
when it is evaluated, and only then, exactly as when rules were interpreted.
"""

from __future__ import annotations

import operator
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

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


_JSON_TYPES = frozenset({type(None), bool, int, float, str, list, dict})


def truthy(value: Any) -> bool:
    """null, false, 0, "", [] and {} are false; everything else is true (as in rules/engine.js)."""
    if type(value) in _JSON_TYPES:  # nearly always: for these Python's truth is the same
        return bool(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def equal(a: Any, b: Any) -> bool:
    """Strict, deep equality: true is not 1, "1" is not 1."""
    if type(a) is str and type(b) is str:  # the common case, first
        return a == b
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
    return _parsed_time(value)


# A push's rules read the same few ISO strings again and again (each earlier
# visit's times, "now", the bank holidays) across rules and subjects: each is
# parsed once. A pure function of a string, so a cache changes no result.
@lru_cache(maxsize=16_384)
def _parsed_time(value: str) -> int | None:
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


def _weekdays_before(day: int) -> int:
    """Mondays to Fridays before day `day` (days since 1970), less a constant.

    Day d is weekday (d + 4) % 7 (0 is Sunday); the constant cancels out in a difference.
    """
    shifted = day + 4
    return 5 * (shifted // 7) + max(0, min(shifted % 7, 6) - 1)


def holiday_days(holidays: Any) -> frozenset[int]:
    """The days (since 1970) of a list of ISO dates; anything that is not a date is ignored."""
    days = set()
    for value in holidays if isinstance(holidays, list) else []:
        ms = time_ms(value)
        if ms is not None:
            days.add(ms // DAY_MS)
    return frozenset(days)


def _weekday_holidays(holidays: Any) -> tuple[int, ...]:
    """The holidays of `holidays` that fall Monday to Friday, as sorted days.

    A rule asks `working_days` of every earlier visit with the same list (the
    context's `calendar.bank_holidays`): a list of strings is worked out once."""
    if isinstance(holidays, list) and all(type(value) is str for value in holidays):
        return _weekday_holidays_of(tuple(holidays))
    return _sorted_weekdays(holiday_days(holidays))


@lru_cache(maxsize=64)
def _weekday_holidays_of(holidays: tuple[str, ...]) -> tuple[int, ...]:
    return _sorted_weekdays(holiday_days(list(holidays)))


def _sorted_weekdays(days: frozenset[int]) -> tuple[int, ...]:
    return tuple(sorted(day for day in days if (day + 4) % 7 not in (0, 6)))


def working_days(start: Any, end: Any, holidays: Any = None) -> int | None:
    """Whole working days (Monday to Friday, UTC dates, less `holidays`) from `start` to `end`.

    Adding one working day moves to the same time on the next weekday that is
    not one of `holidays` (a list of ISO dates: the context's
    `calendar.bank_holidays`); this is how many such steps fit before `end`.
    Counted, not stepped (a rule may ask it of every referral of every visit):
    the weekdays among the days whose same time falls at or before `end`, less
    the holidays among them.
    """
    a, b = time_ms(start), time_ms(end)
    if a is None or b is None:
        return None
    days = (b - a) // DAY_MS  # a + k days is at or before b for k = 1 .. days
    if days < 1:
        return 0
    first = a // DAY_MS + 1
    weekdays = _weekdays_before(first + days) - _weekdays_before(first)
    off = _weekday_holidays(holidays)
    off_between = bisect_left(off, first + days) - bisect_left(off, first)
    return min(weekdays - off_between, MAX_STEPS)


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


# --- the compiler ------------------------------------------------------------
#
# An expression is compiled once into nested closures `(slots, context) -> value`.
# Names bound by loops and `let` are given slots at compile time: `slots` is a
# list made afresh for each evaluation, so closures never look an operator up,
# re-check arguments or copy a scope while they run, and a compiled expression
# keeps nothing from one evaluation (or thread) to the next.
#
# The tree-walker this replaced refused a malformed node only when it evaluated
# it. A malformed node therefore compiles to a closure that raises the same
# error when it runs: an `if` branch never taken, or a loop over nothing,
# refuses nothing, as before.

Slots = list[Any]
Compiled = Callable[[Slots, Any], Any]
Names = dict[str, int]  # compile time: the slot holding each name bound here


class _Frame:
    """Compile time: hands out the slots of one expression's bound names."""

    def __init__(self) -> None:
        self.size = 0

    def bind(self, names: Names, name: str) -> tuple[Names, int]:
        """The names seen inside a binding of `name`, and its slot. Every binding
        gets its own slot, so an inner loop over the same name leaves the outer intact."""
        slot = self.size
        self.size += 1
        return {**names, name: slot}, slot


def _failing(error: type[Exception], message: str) -> Compiled:
    def fail(slots: Slots, context: Any) -> Any:
        raise error(message)

    return fail


def _misshapen(op: str, args: Any, n: int | None = None) -> str | None:
    """Why `args` is not a list (of n), in the interpreter's words; None when it is."""
    if not isinstance(args, list) or (n is not None and len(args) != n):
        return f"{op} takes a list of {n} arguments" if n else f"{op} takes a list"
    return None


def _is_constant(expression: Any) -> bool:
    """Not a list or an object (a string, number, boolean or null): its own value."""
    return not isinstance(expression, list | dict)


def _constant(value: Any) -> Compiled:
    return lambda slots, context: value


def _lookup(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        return value.get(key) if isinstance(key, str) else None
    if isinstance(value, list):
        index = key if isinstance(key, int) and not isinstance(key, bool) else None
        if isinstance(key, str) and key.isdigit():
            index = int(key)
        return value[index] if index is not None and 0 <= index < len(value) else None
    return None


def _walk(value: Any, keys: tuple[str, ...]) -> Any:
    """`_lookup` along string keys; a plain object (nearly every step) is read inline."""
    for key in keys:
        value = value.get(key) if type(value) is dict else _lookup(value, key)
    return value


def _compile_list(expression: list[Any], names: Names, frame: _Frame) -> Compiled:
    if all(_is_constant(e) for e in expression):
        items = list(expression)
        return lambda slots, context: list(items)  # a new list each time, as before
    parts = [_compile(e, names, frame) for e in expression]
    return lambda slots, context: [part(slots, context) for part in parts]


def _compile_var(op: str, args: Any, names: Names, frame: _Frame) -> Compiled:
    if isinstance(args, str):
        path = args.split(".") if args else []
        if not path:
            return lambda slots, context: context
        head, rest = path[0], tuple(path[1:])
        if head not in names:  # not bound here: a key of the context
            keys = (head, *rest)
            return lambda slots, context: _walk(context, keys)
        slot = names[head]
        if not rest:
            return lambda slots, context: slots[slot]
        if len(rest) == 1:  # "c.person_id": the most common path of all, without a loop
            (key,) = rest
            return lambda slots, context: (value.get(key) if type(value := slots[slot]) is dict
                                           else _lookup(value, key))
        return lambda slots, context: _walk(slots[slot], rest)
    if not isinstance(args, list) or not args:
        return _failing(RuleError, "var takes a dotted path or a list of path segments")
    # Each segment is an expression used as one key; constants need no call.
    segments = [(None, a) if _is_constant(a) else (_compile(a, names, frame), None)
                for a in args]

    def var(slots: Slots, context: Any) -> Any:
        head, *rest = [key if part is None else part(slots, context) for part, key in segments]
        value = (slots[names[head]] if isinstance(head, str) and head in names
                 else _lookup(context, head))
        for key in rest:
            value = (value.get(key) if type(value) is dict and type(key) is str
                     else _lookup(value, key))
        return value

    return var


def _compile_lit(op: str, args: Any, names: Names, frame: _Frame) -> Compiled:
    return _constant(args)


def _compile_and_or(op: str, args: Any, names: Names, frame: _Frame) -> Compiled:
    if error := _misshapen(op, args):
        return _failing(RuleError, error)
    parts = [_compile(a, names, frame) for a in args]
    stop_at = op == "or"  # `and` stops at the first false value, `or` at the first true one

    def either(slots: Slots, context: Any) -> bool:
        for part in parts:
            if truthy(part(slots, context)) is stop_at:
                return stop_at
        return not stop_at

    return either


def _compile_not(op: str, args: Any, names: Names, frame: _Frame) -> Compiled:
    if isinstance(args, list) and not args:
        return _failing(IndexError, "list index out of range")  # the interpreter's args[0]
    part = _compile(args[0] if isinstance(args, list) else args, names, frame)
    return lambda slots, context: not truthy(part(slots, context))


def _compile_if(op: str, args: Any, names: Names, frame: _Frame) -> Compiled:
    if error := _misshapen(op, args, 3):
        return _failing(RuleError, error)
    condition, then, otherwise = (_compile(a, names, frame) for a in args)
    return lambda slots, context: (then(slots, context) if truthy(condition(slots, context))
                                   else otherwise(slots, context))


# Loops bind each item to the loop's slot in turn: the body has finished with
# one item before the next is bound, and nothing it returns holds the slots.

def _some(items: Compiled, slot: int, body: Compiled) -> Compiled:
    def some(slots: Slots, context: Any) -> bool:
        for item in items_of(items(slots, context)):
            slots[slot] = item
            if truthy(body(slots, context)):
                return True
        return False

    return some


def _all(items: Compiled, slot: int, body: Compiled) -> Compiled:
    def every(slots: Slots, context: Any) -> bool:
        for item in items_of(items(slots, context)):
            slots[slot] = item
            if not truthy(body(slots, context)):
                return False
        return True

    return every


def _count(items: Compiled, slot: int, body: Compiled) -> Compiled:
    def count(slots: Slots, context: Any) -> int:
        n = 0
        for item in items_of(items(slots, context)):
            slots[slot] = item
            if truthy(body(slots, context)):
                n += 1
        return n

    return count


def _filter(items: Compiled, slot: int, body: Compiled) -> Compiled:
    def keep(slots: Slots, context: Any) -> list[Any]:
        out = []
        for item in items_of(items(slots, context)):
            slots[slot] = item
            if truthy(body(slots, context)):
                out.append(item)
        return out

    return keep


def _find(items: Compiled, slot: int, body: Compiled) -> Compiled:
    def find(slots: Slots, context: Any) -> Any:
        for item in items_of(items(slots, context)):
            slots[slot] = item
            if truthy(body(slots, context)):
                return item
        return None

    return find


def _map(items: Compiled, slot: int, body: Compiled) -> Compiled:
    def each(slots: Slots, context: Any) -> list[Any]:
        out = []
        for item in items_of(items(slots, context)):
            slots[slot] = item
            out.append(body(slots, context))
        return out

    return each


LOOPS: dict[str, Callable[[Compiled, int, Compiled], Compiled]] = {
    "some": _some, "all": _all, "count": _count, "filter": _filter, "find": _find, "map": _map,
}


def _compile_loop(op: str, args: Any, names: Names, frame: _Frame) -> Compiled:
    if error := _misshapen(op, args, 3):
        return _failing(RuleError, error)
    collection, name, body = args
    if not isinstance(name, str):
        return _failing(RuleError, f"{op}: the second argument names the item")
    items = _compile(collection, names, frame)
    inner, slot = frame.bind(names, name)
    return LOOPS[op](items, slot, _compile(body, inner, frame))


def _let_bindings(bindings: Any) -> list[tuple[str, Any]] | None:
    """`[["name", expression], ...]` as pairs; None if it is anything else.

    An ordered list, never an object: an object's key order is not kept by every
    store and serializer (sorted keys bound `member` before `poc`), and a binding
    sees only the names bound before it, so order is meaning."""
    if not isinstance(bindings, list):
        return None
    pairs = []
    for pair in bindings:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            return None
        pairs.append((pair[0], pair[1]))
    return pairs


def _compile_let(op: str, args: Any, names: Names, frame: _Frame) -> Compiled:
    if error := _misshapen(op, args, 2):
        return _failing(RuleError, error)
    bindings, body = args
    pairs = _let_bindings(bindings)
    if pairs is None:
        return _failing(RuleError, "let takes a list of [name, expression] pairs and a body")
    steps = []
    for name, expression in pairs:
        value = _compile(expression, names, frame)  # sees the names bound before it only
        names, slot = frame.bind(names, name)
        steps.append((slot, value))
    run = _compile(body, names, frame)

    def let(slots: Slots, context: Any) -> Any:
        for slot, value in steps:
            slots[slot] = value(slots, context)
        return run(slots, context)

    return let


def _words_of(value: Any, vocabulary: dict[str, Any]) -> str:
    out = []
    for v in value if isinstance(value, list) else [value]:
        if v is None:
            continue
        word = vocabulary.get(v) if isinstance(v, str) else None
        out.append(word if isinstance(word, str) else text_of(v))
    return ", ".join(out)


def _compile_words(op: str, args: Any, names: Names, frame: _Frame) -> Compiled:
    if error := _misshapen(op, args, 2):
        return _failing(RuleError, error)
    expression, vocabulary = args
    if not isinstance(vocabulary, dict):
        return _failing(RuleError, "words takes a value and an object of words")
    part = _compile(expression, names, frame)
    return lambda slots, context: _words_of(part(slots, context), vocabulary)


def _compile_object(op: str, args: Any, names: Names, frame: _Frame) -> Compiled:
    if not isinstance(args, dict):
        return _failing(RuleError, "object takes an object of expressions")
    fields = [(key, _compile(value, names, frame)) for key, value in args.items()]
    return lambda slots, context: {key: part(slots, context) for key, part in fields}


# --- operators whose arguments are all evaluated first ------------------------


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


def _first(values: list[Any]) -> Any:
    """The first value that is neither null nor "" (0 and false count)."""
    for value in values:
        if value is not None and value != "":
            return value
    return None


def _ordered(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """`<` and friends: two numbers or two strings; anything else is false."""
    def compare(a: Any, b: Any) -> bool:
        if (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
            return test(a, b)
        return False

    return compare


UNARY: dict[str, Callable[[Any], Any]] = {
    "length": _length,
    "flatten": _flatten,
    "unique": _unique,
    "keys": lambda v: sorted(v) if isinstance(v, dict) else [],
    "entries": lambda v: [{"key": k, "value": v[k]} for k in sorted(v)]
                         if isinstance(v, dict) else [],
    "time": time_ms,
}
BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": equal,
    "!=": lambda a, b: not equal(a, b),
    "<": _ordered(operator.lt),
    "<=": _ordered(operator.le),
    ">": _ordered(operator.gt),
    ">=": _ordered(operator.ge),
    "in": _in,
    "join": lambda items, separator: text_of(separator).join(text_of(v) for v in items_of(items)),
    "age": age_years,
}
VARIADIC: dict[str, Callable[[list[Any]], Any]] = {
    "merge": _flatten,
    "first": _first,
    "cat": lambda values: "".join(text_of(v) for v in values),
}
# Operators with a fixed number of arguments, and how many they may take.
ARITY: dict[str, tuple[int, ...]] = {**dict.fromkeys(UNARY, (1,)), **dict.fromkeys(BINARY, (2,)),
                                     "working_days": (2, 3)}


def _equals_constant(value: Any) -> Callable[[Any], bool] | None:
    """`equal(x, value)` for a constant null, boolean, string or number, cut short.

    Rules compare with such constants all the time (`"amber"`, `true`, `null`).
    """
    if value is None or value is True or value is False:
        return lambda x: x is value
    if type(value) is str:
        return lambda x: type(x) is str and x == value
    if type(value) in (int, float):
        return lambda x: _is_number(x) and x == value
    return None


def _compile_equality(op: str, values: list[Any], left: Compiled, right: Compiled
                      ) -> Compiled | None:
    """`==` or `!=` with a constant on one side (equal() is symmetric); None otherwise."""
    for constant, part in ((values[1], left), (values[0], right)):
        test = _equals_constant(constant) if _is_constant(constant) else None
        if test is not None:
            if op == "==":
                return lambda slots, context: test(part(slots, context))
            return lambda slots, context: not test(part(slots, context))
    return None


def _compile_binary(op: str, values: list[Any], left: Compiled, right: Compiled) -> Compiled:
    if op in ("==", "!=") and (equality := _compile_equality(op, values, left, right)):
        return equality
    choices = values[1]
    if (op == "in" and isinstance(choices, list) and choices
            and all(type(c) is str for c in choices)):
        # Membership of a literal list of strings: equal() to one of them is `in` a set.
        among = frozenset(choices)
        return lambda slots, context: (type(item := left(slots, context)) is str
                                       and item in among)
    apply = BINARY[op]
    return lambda slots, context: apply(left(slots, context), right(slots, context))


def _compile_eager(op: str, args: Any, names: Names, frame: _Frame) -> Compiled:
    values = args if isinstance(args, list) else [args]
    if op in ARITY and len(values) not in ARITY[op]:
        counts = " or ".join(str(n) for n in ARITY[op])
        return _failing(RuleError, f"{op} takes {counts} argument(s)")
    parts = [_compile(v, names, frame) for v in values]
    if op == "working_days":  # [from, to] or [from, to, bank holidays]
        return lambda slots, context: working_days(*(part(slots, context) for part in parts))
    if op in UNARY:
        apply, (part,) = UNARY[op], parts
        return lambda slots, context: apply(part(slots, context))
    if op in BINARY:
        return _compile_binary(op, values, *parts)
    gather = VARIADIC[op]
    return lambda slots, context: gather([part(slots, context) for part in parts])


Compiler = Callable[[str, Any, Names, _Frame], Compiled]
COMPILERS: dict[str, Compiler] = {
    "var": _compile_var,
    "lit": _compile_lit,
    "and": _compile_and_or,
    "or": _compile_and_or,
    "not": _compile_not,
    "if": _compile_if,
    "let": _compile_let,
    "words": _compile_words,
    "object": _compile_object,
    **dict.fromkeys(LOOPS, _compile_loop),
    **dict.fromkeys([*UNARY, *BINARY, *VARIADIC, "working_days"], _compile_eager),
}


def _compile(expression: Any, names: Names, frame: _Frame) -> Compiled:
    if isinstance(expression, list):
        return _compile_list(expression, names, frame)
    if not isinstance(expression, dict):
        return _constant(expression)
    if len(expression) != 1:
        def refuse(slots: Slots, context: Any) -> Any:
            raise RuleError(f"an expression has exactly one operator, not {sorted(expression)}")

        return refuse
    ((op, args),) = expression.items()
    compiler = COMPILERS.get(op)
    if compiler is None:
        return _failing(RuleError, f"unknown operator {op!r}")
    return compiler(op, args, names, frame)


def malformed_lets(expression: Any) -> list[str]:
    """Every `let` whose bindings are not an ordered list of pairs, as a path of
    operators: refused when a template is loaded, before any rule runs on it (at
    run time such a `let` is a RuleError)."""
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")
        elif isinstance(value, dict):
            if len(value) == 1 and "lit" in value:
                return
            if (len(value) == 1 and "let" in value and not (
                    isinstance(value["let"], list) and len(value["let"]) == 2
                    and _let_bindings(value["let"][0]) is not None)):
                found.append(path or "(top)")
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else key)

    walk(expression, "")
    return found


class CompiledExpression:
    """One expression, compiled: call it with a context for its value."""

    __slots__ = ("_run", "_size")

    def __init__(self, expression: Any) -> None:
        frame = _Frame()
        self._run = _compile(expression, {}, frame)
        self._size = frame.size

    def __call__(self, context: Any) -> Any:
        return self._run([None] * self._size, context)  # fresh slots: nothing carries over


def compile_expression(expression: Any) -> CompiledExpression:
    return CompiledExpression(expression)


def evaluate_expression(expression: Any, context: dict) -> Any:
    """The value of one expression against a context (for tests and tools)."""
    return compile_expression(expression)(context)


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


def _compile_when(rule: Any) -> Callable[[Any], Any]:
    try:
        expression = rule["when"]
    except (LookupError, TypeError) as error:
        # The interpreter failed on a rule without "when" only on reaching it: so does this.
        kind, details = type(error), error.args

        def fail(context: Any) -> Any:
            raise kind(*details)

        return fail
    return compile_expression(expression)


class CompiledRules:
    """A template version's rules, compiled once (see `compile_rules`)."""

    __slots__ = ("_rules",)

    def __init__(self, rules: Iterable[dict[str, Any]]) -> None:
        self._rules = [(rule, _compile_when(rule)) for rule in rules]

    def evaluate(self, context: dict[str, Any]) -> list[dict[str, Any]]:
        """The flags the rules raise for a context, in rule order then subject order."""
        flags = []
        for rule, when in self._rules:
            for item in _subjects(when(context)):
                flags.append({
                    "rule": rule["id"],
                    "severity": rule["severity"],
                    "subject": item.get("subject"),
                    "reason": _interpolate(rule.get("reason", ""), item),
                    "action": rule.get("action", ""),
                })
        return flags


def compile_rules(rules: Iterable[dict[str, Any]]) -> CompiledRules:
    """Compile rules once, to evaluate over many contexts (and threads: it holds no
    state between evaluations). Callers keep one per template version."""
    return CompiledRules(rules)


def evaluate(rules: list[dict[str, Any]], context: dict[str, Any]) -> list[dict[str, Any]]:
    """The flags the rules raise for a context, in rule order then subject order."""
    return compile_rules(rules).evaluate(context)
