"""The shared step before the rules, in Python: tests/context_cases.json through
`build_context` (visitcheck/rules/context.py) and the home-visit rules as
/api/v1/bootstrap serves them. tests/browser/test_rules_js.py runs the same cases
through `buildContext` (static/app/rules/context.js) in Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visitcheck.rules.context import build_context
from visitcheck.rules.engine import evaluate

CONTEXT_CASES = json.loads(
    (Path(__file__).resolve().parents[1] / "context_cases.json").read_text())["cases"]


def raised(flags: list[dict]) -> list[tuple[str, str | None]]:
    return sorted(((f["rule"], f["subject"]) for f in flags), key=lambda p: (p[0], p[1] or ""))


def expected(case: dict) -> list[tuple[str, str | None]]:
    return sorted(((e["rule"], e.get("subject")) for e in case["expect"]),
                  key=lambda p: (p[0], p[1] or ""))


def served_rules(client_of, slug: str = "home-visit", version: int = 1) -> list[dict]:
    """The template's rules as a signed-in device gets them from /api/v1/bootstrap."""
    bootstrap = client_of("hv").get("/api/v1/bootstrap")
    assert bootstrap.status_code == 200
    template = next(t for t in json.loads(bootstrap.get_data(as_text=True))["templates"]
                    if t["template"] == slug and t["version"] == version)
    return template["rules"]


def template_of(case: dict) -> str:
    """The template a context case runs with: its `template`, home-visit if it names none."""
    return case.get("template", "home-visit")


def version_of(case: dict) -> int:
    """The template version a context case runs with: its `template_version`, else 1."""
    return case.get("template_version", 1)


@pytest.fixture
def served(app, demo, api_client) -> list[dict]:
    return served_rules(api_client)


@pytest.fixture
def served_by_template(app, demo, api_client) -> dict[tuple[str, int], list[dict]]:
    return {(slug, version): served_rules(api_client, slug, version)
            for slug, version in {(template_of(c), version_of(c)) for c in CONTEXT_CASES}}


def test_every_context_case_raises_exactly_its_flags_with_the_served_template(served_by_template):
    problems = []
    for case in CONTEXT_CASES:
        flags = evaluate(served_by_template[template_of(case), version_of(case)],
                         build_context(**case["input"]))
        if raised(flags) != expected(case):
            problems.append(f"{case['name']}: raised {raised(flags)}, expected {expected(case)}")
    assert problems == []


def test_the_rule_cases_raise_exactly_their_flags_with_the_served_template(served):
    from .test_rules import CASES
    from .test_rules import expected as rule_expected

    problems = [case["name"] for case in CASES
                if raised(evaluate(served, case["context"])) != rule_expected(case)]
    assert problems == []


@pytest.mark.parametrize("required", ["poc-contact", "unseen-adult", "overdue-review",
                                      "referral-no-outcome", "no-access-repeat",
                                      "red-behaviour", "amber-pattern", "online-contact"])
def test_the_context_cases_raise_and_leave_quiet_each_rule_they_are_named_for(required):
    named = [c for c in CONTEXT_CASES if c["name"].split(":")[0] == required]

    assert any(any(e["rule"] == required for e in c["expect"]) for c in named)
    assert any(all(e["rule"] != required for e in c["expect"]) for c in named)


def test_s3_answers_are_laid_over_the_concern_record_and_empty_ones_erase_nothing():
    case = next(c for c in CONTEXT_CASES if c["name"].startswith(
        "poc-contact: contact recorded only in S3"))

    (concern,) = build_context(**case["input"])["concerns"]

    record = case["input"]["concerns"][0]
    assert concern["contact"] == {"k-amy": "regular_unsupervised"}
    assert concern["source"] == record["source"]  # S3 left it empty
    assert concern["mappa_category"] == record["mappa_category"]


def test_the_context_carries_the_bank_holidays_it_was_given():
    case = CONTEXT_CASES[0]

    context = build_context(**case["input"])

    assert context["calendar"] == {"bank_holidays": case["input"]["bank_holidays"]}


def answered(answers: list[dict]) -> list[dict]:
    """flag_answers / flagAnswers output in the cases' terms: what answers each flag."""
    return [{"rule": a["rule"], "subject": a["subject"],
             "by": [[b["kind"], b.get("id") or b.get("row_id")] for b in a["by"]]}
            for a in answers if a["answered"]]


def test_every_context_case_answers_exactly_the_flags_it_expects_answered(served_by_template):
    from visitcheck.followup.answered import flag_answers

    problems = []
    for case in CONTEXT_CASES:
        context = build_context(**case["input"])
        rules = served_by_template[template_of(case), version_of(case)]
        got = answered(flag_answers(evaluate(rules, context), context["checklist"]))
        if got != case.get("expect_answered", []):
            problems.append(f"{case['name']}: answered {got}")
    assert problems == []


def test_follow_through_is_laid_over_a_copy_of_the_answers_and_kept_in_the_context():
    case = next(c for c in CONTEXT_CASES if c["name"].startswith(
        "referral-no-outcome: an outcome recorded after submission"))
    before = json.dumps(case["input"], sort_keys=True)

    context = build_context(**case["input"])

    referral = context["checklist"]["answers"]["analysis"]["referrals"]["r-1"]
    assert referral["outcome"] == "Accepted: an assessment has started"
    assert context["checklist"]["followups"] == case["input"]["followups"]
    assert json.dumps(case["input"], sort_keys=True) == before  # the visit itself untouched
