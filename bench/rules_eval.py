"""Benchmark: how fast the server evaluates a template's rules over one context.

The server runs all of home-visit v1's rules on every checklist it stores, over
everything the team holds (visitcheck/checklists/flags.py `rules_context()`).
This builds such a context by hand, deterministically: a household with a
parent, two children and a grandparent who visits, a linked household, two
concerns, an alert, and twelve earlier checklists whose answers are full
checklists filled from the template. It then times N evaluations three ways:

- reference: the tree-walking interpreter rules.py had before rules were
  compiled, with the value helpers it had then (kept below, only here, for
  comparison and as a check);
- evaluate(): `rules.evaluate(rules, context)`, which compiles on every call;
- compiled: `rules.compile_rules(rules)` once, then `.evaluate(context)`, as
  a caller that keeps the compiled rules per template version does.

    .venv/bin/python bench/rules_eval.py
    .venv/bin/python bench/rules_eval.py --n 2000

Prints evaluations/s, the time per evaluation and the speed-up over the
reference; all three must raise the same flags. The garbage collector runs as
it does in the server: most of what compiling costs here is the collections
set off by the thousands of closures each compilation makes, one more reason
callers keep compiled rules.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from visitcheck.checklists import rules  # noqa: E402
from visitcheck.checklists.rules import (  # noqa: E402
    DAY_MS,
    MAX_STEPS,
    RuleError,
    age_years,
    items_of,
    text_of,
    time_ms,
)
from visitcheck.checklists.service import builtin_template_files  # noqa: E402

NOW = "2026-11-20T12:00:00Z"
HISTORY = 12  # flags.HISTORY_PER_HOUSEHOLD: what the server looks back over
WORDS = ("mother father grandmother partner child baby nursery school visit home kitchen "
         "bedroom calm settled anxious tired playing talking shared discussed agreed "
         "referral safety plan support contact weekly evening weekend").split()


# --- the reference: rules.py's tree-walking interpreter before compilation -----------
# With the value helpers it used then (truthy, equal and working_days have fast
# paths now); items_of, text_of, time_ms and age_years are unchanged.


def truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


def equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def working_days(start: Any, end: Any) -> int | None:
    a, b = time_ms(start), time_ms(end)
    if a is None or b is None:
        return None
    count = 0
    for _ in range(MAX_STEPS):
        a += DAY_MS
        while (a // DAY_MS + 4) % 7 in (0, 6):
            a += DAY_MS
        if a > b:
            break
        count += 1
    return count


def _lookup(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        return value.get(key) if isinstance(key, str) else None
    if isinstance(value, list):
        index = key if isinstance(key, int) and not isinstance(key, bool) else None
        if isinstance(key, str) and key.isdigit():
            index = int(key)
        return value[index] if index is not None and 0 <= index < len(value) else None
    return None


def _args(op: str, args: Any, n: int | None = None) -> list[Any]:
    if not isinstance(args, list) or (n is not None and len(args) != n):
        raise RuleError(f"{op} takes a list of {n} arguments" if n else f"{op} takes a list")
    return args


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(op: str, a: Any, b: Any) -> bool:
    if not (_is_number(a) and _is_number(b)) and not (isinstance(a, str) and isinstance(b, str)):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _flatten(values: Any) -> list[Any]:
    out: list[Any] = []
    for v in items_of(values):
        if v is not None:
            out.extend(v if isinstance(v, list) else [v])
    return out


def _unique(values: Any) -> list[Any]:
    out: list[Any] = []
    for v in items_of(values):
        if not any(equal(v, seen) for seen in out):
            out.append(v)
    return out


def _in(item: Any, collection: Any) -> bool:
    if isinstance(collection, list):
        return any(equal(item, c) for c in collection)
    if isinstance(collection, dict):
        return isinstance(item, str) and item in collection
    return False


EAGER: dict[str, Callable[[list[Any]], Any]] = {
    "==": lambda a: equal(*a[:2]),
    "!=": lambda a: not equal(*a[:2]),
    "<": lambda a: _compare("<", *a[:2]),
    "<=": lambda a: _compare("<=", *a[:2]),
    ">": lambda a: _compare(">", *a[:2]),
    ">=": lambda a: _compare(">=", *a[:2]),
    "in": lambda a: _in(*a[:2]),
    "length": lambda a: len(a[0]) if isinstance(a[0], str | list | dict) else 0,
    "merge": lambda a: _flatten(a),
    "flatten": lambda a: _flatten(a[0]),
    "unique": lambda a: _unique(a[0]),
    "keys": lambda a: sorted(a[0]) if isinstance(a[0], dict) else [],
    "entries": lambda a: ([{"key": k, "value": a[0][k]} for k in sorted(a[0])]
                          if isinstance(a[0], dict) else []),
    "first": lambda a: next((v for v in a if v is not None and v != ""), None),
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


def _loop(op: str, args: Any, scope: dict, context: dict) -> Any:
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
    return [run(i) for i in items]


def _eval(expression: Any, scope: dict, context: dict) -> Any:
    if isinstance(expression, list):
        return [_eval(e, scope, context) for e in expression]
    if not isinstance(expression, dict):
        return expression
    if len(expression) != 1:
        raise RuleError(f"an expression has exactly one operator, not {sorted(expression)}")
    ((op, args),) = expression.items()
    if op == "var":
        if isinstance(args, str):
            segments: list[Any] = args.split(".") if args else []
        elif isinstance(args, list) and args:
            segments = [_eval(a, scope, context) for a in args]
        else:
            raise RuleError("var takes a dotted path or a list of path segments")
        if not segments:
            return context
        head = segments[0]
        value = scope[head] if isinstance(head, str) and head in scope else _lookup(context, head)
        for segment in segments[1:]:
            value = _lookup(value, segment)
        return value
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
        bindings, body = _args("let", args, 2)
        if not isinstance(bindings, dict):
            raise RuleError("let takes an object of names and a body")
        inner = dict(scope)
        for name, expr in bindings.items():
            inner[name] = _eval(expr, inner, context)
        return _eval(body, inner, context)
    if op == "words":
        expr, vocabulary = _args("words", args, 2)
        if not isinstance(vocabulary, dict):
            raise RuleError("words takes a value and an object of words")
        value = _eval(expr, scope, context)
        out = []
        for v in value if isinstance(value, list) else [value]:
            if v is None:
                continue
            word = vocabulary.get(v) if isinstance(v, str) else None
            out.append(word if isinstance(word, str) else text_of(v))
        return ", ".join(out)
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


def reference_evaluate(rule_list: list[dict[str, Any]], context: dict[str, Any]
                       ) -> list[dict[str, Any]]:
    flags = []
    for rule in rule_list:
        result = _eval(rule["when"], {}, context)
        if isinstance(result, list):
            items = [e if isinstance(e, dict) else {"subject": e}
                     for e in result if e is not None and e is not False]
        else:
            items = [{"subject": None}] if truthy(result) else []
        for item in items:
            flags.append({
                "rule": rule["id"], "severity": rule["severity"], "subject": item.get("subject"),
                "reason": _interpolate(rule.get("reason", ""), item),
                "action": rule.get("action", ""),
            })
    return flags


def _interpolate(template: str, item: dict[str, Any]) -> str:
    return rules.PLACEHOLDER.sub(lambda m: text_of(item.get(m[1])), template)


# --- a realistic context -------------------------------------------------------------


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _fill(fields: list[dict], rng: random.Random, repeats: dict[str, list[str]]) -> dict:
    """Answers for every shown field, as bench/sync_ingest.py fills them, with the
    repeats (children, members, parents, persons of concern, rows) filled too."""
    answers: dict[str, Any] = {}
    for field in fields:
        kind = field["type"]
        condition = field.get("show_if")
        if condition and answers.get(condition["field"]) != condition["equals"]:
            continue
        if kind == "text":
            answers[field["id"]] = _words(rng, 40 if field.get("multiline") else 6)
        elif kind == "boolean":
            answers[field["id"]] = False if field["id"] == "no_access" else rng.random() < 0.5
        elif kind == "number":
            answers[field["id"]] = rng.randint(0, 10)
        elif kind == "date":
            answers[field["id"]] = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
        elif kind == "datetime":
            answers[field["id"]] = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}T10:30"
        elif kind == "choice":
            answers[field["id"]] = rng.choice(field["options"])["value"]
        elif kind == "multi":
            options = [o["value"] for o in field["options"]]
            answers[field["id"]] = rng.sample(options, min(2, len(options)))
        elif kind == "group" and field.get("repeat"):
            keys = repeats.get(field["repeat"]) or [_id(rng) for _ in range(2)]  # rows
            answers[field["id"]] = {key: _fill(field["fields"], rng, repeats) for key in keys}
        elif kind == "group":
            answers[field["id"]] = _fill(field["fields"], rng, repeats)
    return answers


def _person(pid: str, name: str, *, child: bool, born: str | None,
            households: list[tuple[str, str]], children: Sequence[str] = ()) -> dict:
    return {
        "id": pid, "names": [name], "aliases": [], "date_of_birth": born,
        "estimated_age": None if born else 60, "sex": "unknown", "is_child": child,
        "households": [{"household_id": h, "residence": r} for h, r in households],
        "children": [{"child_id": c, "relationship": "relative", "parental_responsibility": "no",
                      "cares_unsupervised": False, "seen_by_practitioner": True,
                      "details_source": "self", "details_description": ""} for c in children],
    }


def build_context(template: dict[str, Any], seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    home, linked = _id(rng), _id(rng)
    parent, partner, grandad, cousin_parent = (_id(rng) for _ in range(4))
    kids, cousin = [_id(rng), _id(rng)], _id(rng)
    persons = {
        parent: _person(parent, "Mia", child=False, born="1994-02-01",
                        households=[(home, "lives_here")], children=kids),
        partner: _person(partner, "Sam", child=False, born="1990-06-12",
                         households=[(home, "overnight_weekly")], children=kids),
        kids[0]: _person(kids[0], "Amy", child=True, born="2019-05-01",
                         households=[(home, "lives_here")]),
        kids[1]: _person(kids[1], "Ben", child=True, born="2012-03-10",
                         households=[(home, "lives_here")]),
        grandad: _person(grandad, "Joe", child=False, born=None,
                         households=[(home, "visits_regularly"), (linked, "lives_here")],
                         children=[*kids, cousin]),
        cousin_parent: _person(cousin_parent, "Kim", child=False, born="1988-01-01",
                               households=[(linked, "lives_here")], children=[cousin]),
        cousin: _person(cousin, "Cal", child=True, born="2016-07-07",
                        households=[(linked, "lives_here")]),
    }

    def household(hid: str, address: str) -> dict:
        members = [{"person_id": p["id"], "name": p["names"][0], "is_child": p["is_child"],
                    "date_of_birth": p["date_of_birth"], "residence": link["residence"]}
                   for p in persons.values() for link in p["households"]
                   if link["household_id"] == hid]
        return {"id": hid, "address": address, "members": members, "professionals": [
            {"role": "gp", "name": "Dr Patel", "contact": "01234 567890"},
            {"role": "school", "name": "Head of year", "contact": "school office"},
            {"role": "social_worker", "name": "Alex", "contact": "", "user_id": _id(rng)}]}

    households = {home: household(home, "1 Bench Road"), linked: household(linked, "2 Bench Road")}
    concerns = [{
        "id": _id(rng), "person_id": grandad, "basis": ["charged", "finding_of_fact"],
        "source": "Police", "source_date": "2025-01-10", "verified": True,
        "protect_source": False, "fact_or_opinion": "fact", "mappa_category": "2",
        "mappa_level": "1", "orders": "", "works_with_children": "yes",
        "contact": {kids[0]: "regular_unsupervised", kids[1]: "online_phone",
                    cousin: "lives_with"},
    }, {
        "id": _id(rng), "person_id": partner, "basis": ["police_probation_intelligence"],
        "source": "Probation", "source_date": "2026-03-02", "verified": False,
        "protect_source": True, "fact_or_opinion": "opinion", "mappa_category": "none",
        "mappa_level": "unknown", "orders": "", "works_with_children": "unknown",
        "contact": {kids[0]: "supervised"},
    }]
    repeats = {"children": kids, "members": [parent, partner, grandad, *kids],
               "parents": [parent, partner], "persons_of_concern": [grandad, partner]}

    def checklist(cid: str, hid: str, visit_at: str, status: str) -> dict:
        children = kids if hid == home else [cousin]
        answers = {s["id"]: _fill(s["fields"], rng, {**repeats, "children": children})
                   for s in template["sections"]}
        answers["visit"]["visit_at"] = visit_at
        return {"id": cid, "household_id": hid, "visit_at": visit_at, "status": status,
                "answers": answers}

    history = []
    for n in range(HISTORY):
        hid = home if n % 3 else linked
        entry = checklist(_id(rng), hid, f"2026-{(n % 10) + 1:02d}-15T10:30:00Z", "submitted")
        entry["submitted_at"] = f"2026-{(n % 10) + 1:02d}-15T16:00:00Z"
        entry["lead_decision_at"] = None if n % 4 == 0 else entry["submitted_at"]
        entry["flags"] = [{"rule": "poc-contact", "severity": "urgent"},
                          {"rule": "mappa-check", "severity": "action"}]
        history.append(entry)
    current = checklist(_id(rng), home, "2026-11-20T10:30:00Z", "submitted")
    current.update(submitted_at=NOW, lead_decision_at=None)
    return {
        "now": NOW,
        "checklist": current,
        "household": households[home],
        "households": households,
        "persons": persons,
        "concerns": concerns,
        "history": history,
        "alerts": [{"concern_id": concerns[0]["id"], "household_id": home, "user_id": _id(rng),
                    "professional_name": "Alex", "acknowledged_at": None}],
    }


# --- the measurement -------------------------------------------------------------------


def per_evaluation(run: Callable[[], Any], n: int, repeats: int) -> float:
    """The best of `repeats` runs of n evaluations, in seconds per evaluation."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            run()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="evaluations per run")
    parser.add_argument("--repeats", type=int, default=5, help="runs; the best is kept")
    args = parser.parse_args()

    template = next(t for t in builtin_template_files()
                    if t["template"] == "home-visit" and t["version"] == 1)
    rule_list = template["rules"]
    context = build_context(template)
    compiled = rules.compile_rules(rule_list)

    expected = reference_evaluate(rule_list, context)
    assert rules.evaluate(rule_list, context) == expected
    assert compiled.evaluate(context) == expected
    print(f"{len(rule_list)} rules, {len(context['history'])} earlier checklists, "
          f"{len(expected)} flags ({', '.join(sorted({f['rule'] for f in expected}))})")

    timings = {
        "reference (tree-walker)": per_evaluation(
            lambda: reference_evaluate(rule_list, context), args.n, args.repeats),
        "evaluate() (compiles per call)": per_evaluation(
            lambda: rules.evaluate(rule_list, context), args.n, args.repeats),
        "compiled once, then .evaluate()": per_evaluation(
            lambda: compiled.evaluate(context), args.n, args.repeats),
    }
    compile_s = per_evaluation(lambda: rules.compile_rules(rule_list), args.n, args.repeats)
    base = timings["reference (tree-walker)"]
    for name, seconds in timings.items():
        print(f"{name:34} {1 / seconds:9.0f} evaluations/s  {seconds * 1e3:7.3f} ms each  "
              f"x{base / seconds:.2f}")
    print(f"{'compile_rules() alone':34} {1 / compile_s:9.0f} compiles/s     "
          f"{compile_s * 1e3:7.3f} ms each")


if __name__ == "__main__":
    main()
