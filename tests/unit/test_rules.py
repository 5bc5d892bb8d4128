"""The rules of home-visit v1 and the language they are written in (Python interpreter).

tests/rules_cases.json is shared with tests/browser/test_rules_js.py, which runs
the same cases, and EXPRESSION_CASES below, through static/app/rules.js.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visitcheck.checklists.rules import (
    RuleError,
    age_band,
    evaluate,
    evaluate_expression,
    working_days,
)
from visitcheck.checklists.service import builtin_template_files

CASES_FILE = Path(__file__).resolve().parents[1] / "rules_cases.json"
CASES = json.loads(CASES_FILE.read_text())["cases"]
DOMAIN_RULES = [
    "poc-contact", "poc-no-conviction", "complex-abuse", "lado", "mappa-check",
    "parent-uninformed", "ability-to-protect", "professionals-unaware", "red-behaviour",
    "amber-pattern", "grooming-signs", "unseen-adult", "child-not-seen-alone", "online-contact",
    "no-access-repeat", "referral-no-outcome", "overdue-review",
]


def home_visit_rules() -> list[dict]:
    template = next(t for t in builtin_template_files()
                    if t["template"] == "home-visit" and t["version"] == 1)
    return template["rules"]


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
    ("let binds in order", {"let": [{"x": 2, "y": {"var": "x"}}, {"cat": [{"var": "y"}]}]}, "2"),
    ("let shadows the context", {"let": [{"n": 9}, {"var": "n"}]}, 9),
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
    {"let": [[], 1]},
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
