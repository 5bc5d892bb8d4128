"""The rules of home-visit v1 and the language they are written in (Python interpreter).

tests/rules_cases.json is shared with tests/browser/test_rules_js.py, which runs
the same cases, and EXPRESSION_CASES below, through static/app/rules/engine.js.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from visitcheck.checklists.service import builtin_template_files
from visitcheck.rules.engine import (
    DAY_MS,
    RuleError,
    age_band,
    compile_rules,
    evaluate,
    evaluate_expression,
    time_ms,
    working_days,
)

CASES_FILE = Path(__file__).resolve().parents[1] / "rules_cases.json"
CASES = json.loads(CASES_FILE.read_text())["cases"]
DOMAIN_RULES = [
    "poc-contact", "poc-no-conviction", "complex-abuse", "lado", "mappa-check",
    "parent-uninformed", "ability-to-protect", "professionals-unaware", "red-behaviour",
    "amber-pattern", "grooming-signs", "unseen-adult", "child-not-seen-alone", "online-contact",
    "no-access-repeat", "referral-no-outcome", "overdue-review",
]


def template_rules(slug: str, version: int = 1) -> list[dict]:
    template = next(t for t in builtin_template_files()
                    if t["template"] == slug and t["version"] == version)
    return template["rules"]


def home_visit_rules() -> list[dict]:
    return template_rules("home-visit")


def raised(flags: list[dict]) -> list[tuple[str, str | None]]:
    return sorted(((f["rule"], f["subject"]) for f in flags), key=lambda p: (p[0], p[1] or ""))


def expected(case: dict) -> list[tuple[str, str | None]]:
    return sorted(((e["rule"], e.get("subject")) for e in case["expect"]),
                  key=lambda p: (p[0], p[1] or ""))


# --- the shared cases ----------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_raises_exactly_the_expected_flags(case):
    assert raised(evaluate(home_visit_rules(), case["context"])) == expected(case)


def test_the_template_carries_the_seventeen_rules_of_the_domain_in_order():
    assert [r["id"] for r in home_visit_rules()] == DOMAIN_RULES


@pytest.mark.parametrize("rule_id", DOMAIN_RULES)
def test_each_rule_has_a_case_that_raises_it_and_one_that_does_not(rule_id):
    raising = [c for c in CASES if any(e["rule"] == rule_id for e in c["expect"])]
    quiet = [c for c in CASES if rule_id in c["name"].split(":")[0]
             and all(e["rule"] != rule_id for e in c["expect"])]

    assert raising, f"no case raises {rule_id}"
    assert quiet, f"no case named for {rule_id} leaves it quiet"


def test_flags_carry_rule_severity_subject_reason_and_action_and_no_score():
    rules = {r["id"]: r for r in home_visit_rules()}
    seed = next(c for c in CASES if c["name"].startswith("seed:"))

    flags = evaluate(list(rules.values()), seed["context"])

    assert flags
    for flag in flags:
        assert set(flag) == {"rule", "severity", "subject", "reason", "action"}
        assert flag["severity"] == rules[flag["rule"]]["severity"]
        assert flag["action"] == rules[flag["rule"]]["action"]
        assert "{" not in flag["reason"]
        assert flag["reason"].endswith(".")


def test_every_rule_names_severity_lessons_reason_and_action():
    for rule in home_visit_rules():
        assert rule["severity"] in {"urgent", "action", "review"}
        assert rule["lessons"]
        assert set(rule["lessons"]) <= {"L1", "L2", "L3", "L4", "L5"}
        assert rule["reason"]
        assert rule["action"]


def test_reasons_say_which_answers_raised_the_flag():
    seed = next(c for c in CASES if c["name"].startswith("seed:"))

    reasons = {(f["rule"], f["subject"]): f["reason"]
               for f in evaluate(home_visit_rules(), seed["context"])}

    assert reasons[("poc-contact", "p-amy")] == (
        "Joe, a person of concern, has contact with Amy: regular unsupervised contact.")
    assert reasons[("parent-uninformed", "p-mum")] == (
        "Mia: told of the risk: no; understanding: not discussed.")
    assert reasons[("complex-abuse", "p-grandad")] == (
        "Joe, a person of concern, is linked to 2 households with children.")


def test_flags_come_in_rule_order():
    seed = next(c for c in CASES if c["name"].startswith("seed:"))

    order = [f["rule"] for f in evaluate(home_visit_rules(), seed["context"])]

    assert order == sorted(order, key=DOMAIN_RULES.index)


# --- the expression language -----------------------------------------------------

CONTEXT = {
    "now": "2026-11-20T12:00:00Z",
    "n": 3,
    "people": [{"id": "a", "age": 4, "tags": ["x"]}, {"id": "b", "age": 15, "tags": []}],
    "by_id": {"b2": {"name": "Bea"}, "a1": {"name": "Al"}},
    "flag": True,
    "empty_list": [],
    "empty_object": {},
}

# (name, expression, expected value) — run by both interpreters.
EXPRESSION_CASES = [
    ("var reads a dotted path", {"var": "people.1.id"}, "b"),
    ("var of a missing path is null", {"var": "people.7.id"}, None),
    ("var with computed segments", {"var": ["by_id", {"var": "people.0.id"}]}, None),
    ("var with a computed key that exists", {"var": ["by_id", "a1", "name"]}, "Al"),
    ("lit is not evaluated", {"lit": {"var": "n"}}, {"var": "n"}),
    ("a list evaluates each item", [{"var": "n"}, 1], [3, 1]),
    ("== is strict about true and 1", {"==": [{"var": "flag"}, 1]}, False),
    ("== compares lists deeply", {"==": [{"var": "people.0.tags"}, ["x"]]}, True),
    ("!= of different types", {"!=": ["3", {"var": "n"}]}, True),
    ("< compares numbers", {"<": [{"var": "n"}, 4]}, True),
    ("> compares strings", {">": ["b", "a"]}, True),
    ("comparing a number with null is false", {">=": [{"var": "missing"}, 0]}, False),
    ("and short-circuits", {"and": [False, {"var": "missing"}]}, False),
    ("or gives a boolean", {"or": [0, "", "yes"]}, True),
    ("not of an empty list is true", {"not": {"var": "empty_list"}}, True),
    ("not of an empty object is true", {"not": [{"var": "empty_object"}]}, True),
    ("if picks a branch", {"if": [{"var": "flag"}, "then", "else"]}, "then"),
    ("in a list", {"in": ["x", {"var": "people.0.tags"}]}, True),
    ("in an object's keys", {"in": ["a1", {"var": "by_id"}]}, True),
    ("in null is false", {"in": ["x", None]}, False),
    ("some binds the item", {"some": [{"var": "people"}, "p", {">": [{"var": "p.age"}, 12]}]},
     True),
    ("all over an empty list is true", {"all": [[], "p", False]}, True),
    ("count", {"count": [{"var": "people"}, "p", {"<": [{"var": "p.age"}, 18]}]}, 2),
    ("filter then map", {"map": [{"filter": [{"var": "people"}, "p", {"var": "p.tags"}]}, "p",
                                 {"var": "p.id"}]}, ["a"]),
    ("find gives the first match", {"find": [{"var": "people"}, "p",
                                             {">": [{"var": "p.age"}, 10]}]},
     {"id": "b", "age": 15, "tags": []}),
    ("find without a match is null", {"find": [{"var": "people"}, "p", False]}, None),
    ("loops over an object take its values in key order",
     {"map": [{"var": "by_id"}, "v", {"var": "v.name"}]}, ["Al", "Bea"]),
    ("entries in key order", {"entries": {"var": "by_id"}},
     [{"key": "a1", "value": {"name": "Al"}}, {"key": "b2", "value": {"name": "Bea"}}]),
    ("keys in order", {"keys": {"var": "by_id"}}, ["a1", "b2"]),
    ("length of a list, an object, a string and null",
     [{"length": {"var": "people"}}, {"length": {"var": "by_id"}}, {"length": "abc"},
      {"length": None}], [2, 2, 3, 0]),
    ("merge skips null", {"merge": [[1], None, 2, [3, 4]]}, [1, 2, 3, 4]),
    ("flatten one level", {"flatten": [[[1], [2, [3]], None]]}, [1, 2, [3]]),
    ("unique keeps the first", {"unique": [[1, 2, 1, "1"]]}, [1, 2, "1"]),
    ("first present value", {"first": [None, "", 0, 5]}, 0),
    ("first of nothing present", {"first": [None, ""]}, None),
    ("join with words for values", {"join": [[1, 2.5, True, None, "x"], "; "]}, "1; 2.5; yes; ; x"),
    ("cat", {"cat": ["n is ", {"var": "n"}, "."]}, "n is 3."),
    ("words maps codes and passes others through",
     {"words": [["a", "zz", None], {"a": "alpha"}]}, "alpha, zz"),
    ("object builds an object", {"object": {"id": {"var": "people.0.id"}, "k": 1}},
     {"id": "a", "k": 1}),
    ("let binds in order", {"let": [[["x", 2], ["y", {"var": "x"}]], {"cat": [{"var": "y"}]}]},
     "2"),
    ("a let binding reads only those before it, whatever their names",
     {"let": [[["z", {"var": "a"}], ["a", 1]], [{"var": "z"}, {"var": "a"}]]}, [None, 1]),
    ("let with no bindings is its body", {"let": [[], {"var": "n"}]}, 3),
    ("let shadows the context", {"let": [[["n", 9]], {"var": "n"}]}, 9),
    ("time of a date-time with an offset",
     {"time": "2026-11-20T12:00:00+01:00"}, 1795172400000),
    ("time without an offset is UTC", {"time": "2026-11-20T11:00"}, 1795172400000),
    ("time of a bad date is null", {"time": "2026-02-30"}, None),
    ("working days within a day", {"working_days": ["2026-11-20T09:00:00Z", {"var": "now"}]}, 0),
    ("working days over a weekend",
     {"working_days": ["2026-11-13T12:00:00Z", "2026-11-17T12:00:00Z"]}, 2),
    ("working days from a Saturday", {"working_days": ["2026-11-14T10:00:00Z",
                                                       "2026-11-16T10:00:00Z"]}, 1),
    ("working days backwards are none", {"working_days": [{"var": "now"}, "2026-11-01"]}, 0),
    ("working days of nothing is null", {"working_days": [None, {"var": "now"}]}, None),
    ("working days skip a bank holiday",
     {"working_days": ["2026-12-24T10:00:00Z", "2026-12-31T10:00:00Z",
                       ["2026-12-25", "2026-12-26", "2026-12-28"]]}, 3),
    ("a bank holiday at a weekend changes nothing",
     {"working_days": ["2026-12-24T10:00:00Z", "2026-12-29T10:00:00Z", ["2026-12-26"]]}, 3),
    ("a bank holiday outside the span changes nothing",
     {"working_days": ["2026-11-13T12:00:00Z", "2026-11-17T12:00:00Z", ["2026-11-13", "x"]]}, 2),
    ("a bank holiday on the last day is not counted",
     {"working_days": ["2026-05-01T09:00:00Z", "2026-05-04T09:00:00Z", ["2026-05-04"]]}, 0),
    ("age the day before a birthday", {"age": ["2014-11-21", {"var": "now"}]}, 11),
    ("age on a birthday", {"age": ["2014-11-20", {"var": "now"}]}, 12),
]


@pytest.mark.parametrize(("name", "expression", "value"), EXPRESSION_CASES,
                         ids=[c[0] for c in EXPRESSION_CASES])
def test_expression(name, expression, value):
    assert evaluate_expression(expression, CONTEXT) == value


@pytest.mark.parametrize("expression", [
    {"eval": "1 + 1"},
    {"var": "n", "lit": 1},
    {"some": [[1], {"var": "x"}, True]},
    {"==": [1]},
    {"let": [{"x": 1}, {"var": "x"}]},  # bindings as an object: their order is not kept
    {"let": [[["x"]], 1]},
    {"let": [[[1, 2]], 1]},
    {"working_days": ["2026-11-13"]},
    {"words": ["a", "not an object"]},
])
def test_malformed_expressions_are_refused(expression):
    with pytest.raises(RuleError):
        evaluate_expression(expression, CONTEXT)


def test_a_boolean_rule_raises_one_flag_without_a_subject():
    rules = [{"id": "r", "severity": "review", "when": {"var": "flag"}, "reason": "Because {n}.",
              "action": "Think."}]

    assert evaluate(rules, CONTEXT) == [
        {"rule": "r", "severity": "review", "subject": None, "reason": "Because .",
         "action": "Think."}]


def test_a_list_rule_raises_a_flag_per_item_and_interpolates_its_fields():
    rules = [{"id": "r", "severity": "action", "reason": "{name} is {age}; {tags}; {missing}.",
              "action": "Act.", "when": {"map": [{"var": "people"}, "p", {"object": {
                  "subject": {"var": "p.id"}, "name": {"var": "p.id"}, "age": {"var": "p.age"},
                  "tags": {"var": "p.tags"}}}]}}]

    flags = evaluate(rules, CONTEXT)

    assert [(f["subject"], f["reason"]) for f in flags] == [("a", "a is 4; x; ."),
                                                            ("b", "b is 15; ; .")]


def test_null_items_and_plain_ids_in_a_rule_result():
    rules = [{"id": "r", "severity": "action", "reason": "{subject}", "action": "",
              "when": {"lit": [None, "p1", False, {"subject": "p2"}]}}]

    assert [f["subject"] for f in evaluate(rules, {})] == ["p1", "p2"]
    assert [f["reason"] for f in evaluate(rules, {})] == ["p1", "p2"]


@pytest.mark.parametrize(("birth", "band"), [
    ("2026-01-01", "0–5"), ("2021-11-21", "0–5"), ("2021-11-20", "5–9"),
    ("2014-11-20", "9–13"), ("2013-11-20", "13–17"), ("2008-11-21", "13–17"),
    ("2008-11-20", None), ("not a date", None),
])
def test_age_band_from_date_of_birth(birth, band):
    assert age_band(birth, "2026-11-20T12:00:00Z") == band


def test_working_days_count_weekdays_only():
    # Friday 16:00 to the next Friday 16:00 is five working days.
    assert working_days("2026-11-13T16:00:00Z", "2026-11-20T16:00:00Z") == 5
    assert working_days("2026-11-13T16:00:00Z", "2026-11-20T15:59:59Z") == 4



def _stepped_working_days(start: str, end: str, holidays: tuple[str, ...] = ()) -> int:
    """docs/rules.md word for word: step to the same time on the next weekday that is
    not a holiday, and count the steps that land at or before `end`."""
    at, until, steps = time_ms(start), time_ms(end), 0
    off = {time_ms(day) // DAY_MS for day in holidays}
    while True:
        at += DAY_MS
        while (at // DAY_MS + 4) % 7 in (0, 6) or at // DAY_MS in off:  # 1970-01-01: Thursday
            at += DAY_MS
        if at > until:
            return steps
        steps += 1


def test_working_days_are_counted_as_the_definition_steps_them():
    def iso(ms: int) -> str:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    for day in range(16, 23):  # Monday 16 to Sunday 22 November 2026
        for clock in ("00:00:00.000", "09:30:00.000", "23:59:59.999"):
            start = f"2026-11-{day}T{clock}Z"
            for days in range(22):
                for nudge in (-1, 0, 1):
                    end = iso(time_ms(start) + days * DAY_MS + nudge)
                    assert working_days(start, end) == _stepped_working_days(start, end), (
                        start, end)


def test_working_days_less_bank_holidays_are_counted_as_the_definition_steps_them():
    # Christmas 2026: Friday 25 and Monday 28 (Boxing Day's substitute) are bank holidays,
    # Saturday 26 is listed too (a weekend day changes nothing), and New Year's Day.
    holidays = ("2026-12-25", "2026-12-26", "2026-12-28", "2027-01-01")
    for day in range(21, 32):
        start = f"2026-12-{day}T10:00:00Z"
        for days in range(15):
            for clock in ("09:59:59", "10:00:00"):
                end = datetime(2026, 12, day, tzinfo=UTC) + timedelta(days=days)
                end_iso = f"{end:%Y-%m-%d}T{clock}Z"
                assert working_days(start, end_iso, list(holidays)) == _stepped_working_days(
                    start, end_iso, holidays), (start, end_iso)



def test_working_days_bank_holidays_that_are_not_all_strings_count_as_strings_do():
    # Lists of strings are worked out once and kept; any other list is read each time,
    # its dates counted and anything else ignored, exactly as a list of its dates alone.
    start, end = "2026-12-21T10:00:00Z", "2027-01-08T10:00:00Z"
    dates = ["2026-12-25", "2026-12-28", "2027-01-01"]
    expected = _stepped_working_days(start, end, tuple(dates))
    assert working_days(start, end, dates) == expected
    assert working_days(start, end, [*dates, 7, None, {"date": "2026-12-29"}, "soon"]) == expected
    assert working_days(start, end, dates[:1]) == _stepped_working_days(start, end, ("2026-12-25",))
    assert working_days(start, end, dates) == expected  # the kept list is not the last one
    assert working_days(start, end, "2026-12-25") == _stepped_working_days(start, end)


# --- compiled once, evaluated many times ------------------------------------------------

# (name, expression, expected value) over CONTEXT: scoping and the shortcuts the
# compiler takes (constants in ==, literal lists in `in`, static paths).
COMPILER_CASES = [
    ("an inner loop over the same name leaves the outer one intact",
     {"map": [[1, 2], "x", {"let": [[["y", {"map": [[10], "x", {"var": "x"}]}]],
                                    [{"var": "x"}, {"var": "y"}]]}]},
     [[1, [10]], [2, [10]]]),
    ("a let binding sees the outer value of its own name",
     {"let": [[["n", {"cat": [{"var": "n"}, "!"]}]], {"var": "n"}]}, "3!"),
    ("a loop's collection does not see the loop's name",
     {"map": [{"var": "people.0.tags"}, "people", {"var": "people"}]}, ["x"]),
    ("a let's names are gone after its body",
     [{"let": [[["n", 9]], {"var": "n"}]}, {"var": "n"}], [9, 3]),
    ("a computed head naming a bound name reads it",
     {"map": [{"var": "people"}, "p", {"var": [{"cat": ["p"]}, "id"]}]}, ["a", "b"]),
    ("a computed head naming nothing bound reads the context",
     {"let": [[["k", "people"]], {"var": [{"var": "k"}, 1, "id"]}]}, "b"),
    ("a numeric string segment indexes a list", {"var": ["people", "1", "id"]}, "b"),
    ("a dotted segment in the list form is one key", {"var": ["people.1.id"]}, None),
    ("an empty path is the whole context",
     {"==": [{"var": ""}, {"lit": CONTEXT}]}, True),
    ("a bound item that is null still hides the context",
     {"map": [[None], "n", {"var": "n"}]}, [None]),
    ("== with the constant first", {"==": ["b", {"var": "people.1.id"}]}, True),
    ("== with a number constant is strict about true", {"==": [1, {"var": "flag"}]}, False),
    ("== of an int and a float", {"==": [{"var": "n"}, 3.0]}, True),
    ("!= null of a missing path", {"!=": [None, {"var": "missing"}]}, False),
    ("== true is not 1", {"==": [{"var": "n"}, True]}, False),
    ("in a literal list of strings is strict", {"in": [{"var": "n"}, ["3"]]}, False),
    ("not takes its first item only", {"not": [False, {"eval": 1}]}, True),
    ("and gives a boolean", {"and": [1, "yes"]}, True),
]


@pytest.mark.parametrize(("name", "expression", "value"), COMPILER_CASES,
                         ids=[c[0] for c in COMPILER_CASES])
def test_compiled_expression(name, expression, value):
    assert evaluate_expression(expression, CONTEXT) == value


@pytest.mark.parametrize(("quiet", "value", "loud"), [
    ({"if": [False, {"eval": "1 + 1"}, "fine"]}, "fine",
     {"if": [True, {"eval": "1 + 1"}, "fine"]}),
    ({"some": [[], "x", {"==": [1]}]}, False, {"some": [[1], "x", {"==": [1]}]}),
    ({"and": [False, {"var": "n", "lit": 1}]}, False, {"and": [True, {"var": "n", "lit": 1}]}),
    ({"or": [True, {"let": [{}, 1]}]}, True, {"or": [False, {"let": [{}, 1]}]}),
    ({"map": [[], "x", {"words": ["a", "b"]}]}, [], {"map": [[0], "x", {"words": ["a", "b"]}]}),
])
def test_a_malformed_expression_is_refused_only_when_it_is_evaluated(quiet, value, loud):
    assert evaluate_expression(quiet, CONTEXT) == value
    with pytest.raises(RuleError):
        evaluate_expression(loud, CONTEXT)


def test_compiling_rules_refuses_nothing_until_a_malformed_rule_is_evaluated():
    rules = [{"id": "r", "severity": "review", "reason": "", "action": "",
              "when": {"if": [{"var": "flag"}, {"eval": "1 + 1"}, False]}},
             {"id": "no-when", "severity": "review"}]
    compiled = compile_rules(rules[:1])

    assert compiled.evaluate({"flag": False}) == []
    with pytest.raises(RuleError):
        compiled.evaluate({"flag": True})
    with pytest.raises(KeyError):
        compile_rules(rules).evaluate({"flag": False})


def test_rules_compiled_once_give_every_shared_case_its_flags_in_any_order():
    compiled = compile_rules(home_visit_rules())

    for case in [*CASES, *reversed(CASES)]:
        flags = compiled.evaluate(case["context"])
        assert raised(flags) == expected(case), case["name"]
        assert flags == evaluate(home_visit_rules(), case["context"]), case["name"]


def test_nothing_bound_in_one_evaluation_is_seen_in_the_next():
    rules = [
        {"id": "loop", "when": {"map": [{"var": "people"}, "p", {"var": "p.id"}]}},
        {"id": "computed-head", "when": [{"var": [{"cat": ["p"]}, "id"]}]},
        {"id": "let", "when": [{"let": [[["x", {"var": "people.0.id"}]], {"var": "x"}]}]},
        {"id": "after-let", "when": [{"var": "x"}, {"var": ["x"]}]},
    ]
    for rule in rules:
        rule.update(severity="review", reason="", action="")
    compiled = compile_rules(rules)
    with_people = {"people": [{"id": "a"}, {"id": "b"}]}
    without = {"people": [], "p": {"id": "from-the-context"}}

    def pairs(flags):
        return [(f["rule"], f["subject"]) for f in flags]

    assert pairs(compiled.evaluate(with_people)) == [("loop", "a"), ("loop", "b"), ("let", "a")]
    assert pairs(compiled.evaluate(without)) == [("computed-head", "from-the-context")]
    assert pairs(compiled.evaluate(with_people)) == pairs(evaluate(rules, with_people))


def test_one_compiled_rule_set_serves_threads_at_once():
    compiled = compile_rules(home_visit_rules())
    cases = [c for c in CASES if c["expect"]][:8]
    failures: list[str] = []

    def run(offset: int) -> None:
        for n in range(40):
            case = cases[(offset + n) % len(cases)]
            if raised(compiled.evaluate(case["context"])) != expected(case):
                failures.append(case["name"])

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, inside evaluations
    try:
        threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)

    assert failures == []


# --- the server's evaluation pauses the garbage collector -------------------------------


class _Reading:
    """Stands in for the team's reading: records whether the collector ran automatically."""

    seen: list[bool] = []

    def __init__(self, session, checklists, *, keyring):
        _Reading.seen.append(gc.isenabled())

    def context(self, checklist, *, now=None):
        _Reading.seen.append(gc.isenabled())
        return {}


class _Rules:
    def evaluate(self, context):
        return []


@pytest.mark.parametrize("enabled", [True, False])
def test_the_rules_run_without_automatic_collection_and_leave_it_as_it_was(
        monkeypatch, enabled):
    from visitcheck.rules import service

    monkeypatch.setattr(service, "TeamReading", _Reading)
    _Reading.seen = []
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        found = service.flags_for_checklists(None, [object(), object()],
                                             rules_of=lambda c: _Rules(), keyring=None)
        after = gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
    assert found == [[], []]
    assert _Reading.seen == [False, False, False]
    assert after is enabled


def test_the_collector_comes_back_when_the_rules_fail(monkeypatch):
    from visitcheck.rules import service

    class Failing(_Rules):
        def evaluate(self, context):
            raise ValueError("a malformed rule")

    monkeypatch.setattr(service, "TeamReading", _Reading)
    assert gc.isenabled()
    with pytest.raises(ValueError, match="malformed"):
        service.flags_for_checklists(None, [object()], rules_of=lambda c: Failing(),
                                     keyring=None)
    assert gc.isenabled()
