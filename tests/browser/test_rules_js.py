"""static/app/rules/engine.js in real Chromium agrees with the Python interpreter: the same
flags, in the same order, with the same words, for every case in
tests/rules_cases.json, and the same value for every expression case. And the step
before the rules: static/app/rules/context.js `buildContext` gives the context Python's
`build_context` gives, and the flags tests/context_cases.json expects. The rules are
the template as the page fetches it from /api/v1/bootstrap, not the file."""

from __future__ import annotations

import pytest

from visitcheck.rules.context import build_context
from visitcheck.rules.engine import age_band, evaluate, evaluate_expression

from ..unit.test_context import CONTEXT_CASES, template_of, version_of
from ..unit.test_context import expected as context_expected
from ..unit.test_rules import (
    CASES,
    CONTEXT,
    EXPRESSION_CASES,
    expected,
    home_visit_rules,
    raised,
    template_rules,
)

pytestmark = pytest.mark.browser

# A template version's rules as the signed-in page is served them (home-visit v1 by default).
SERVED_RULES = """
async function servedRules(slug = "home-visit", version = 1) {
  const response = await fetch("/api/v1/bootstrap", { credentials: "same-origin" });
  if (!response.ok) throw new Error(`bootstrap: ${response.status}`);
  const bootstrap = await response.json();
  return bootstrap.templates.find((t) => t.template === slug && t.version === version).rules;
}
"""

RUN_CASES = SERVED_RULES.join(["async ([cases]) => {", """
  const rules = await servedRules();
  const { evaluate } = await import("/static/app/rules/engine.js");
  const out = {};
  for (const c of cases) out[c.name] = evaluate(rules, c.context);
  return out;
}
"""])

RUN_CONTEXT_CASES = SERVED_RULES.join(["async ([cases]) => {", """
  const { evaluate } = await import("/static/app/rules/engine.js");
  const { buildContext } = await import("/static/app/rules/context.js");
  const out = {};
  for (const c of cases) {
    const rules = await servedRules(c.template || "home-visit", c.template_version || 1);
    const { bank_holidays: bankHolidays, ...rest } = c.input;
    const context = buildContext({ ...rest, bankHolidays });
    out[c.name] = { context, flags: evaluate(rules, context) };
  }
  return out;
}
"""])

RUN_EXPRESSIONS = """
async ([expressions, context]) => {
  const { evaluateExpression } = await import("/static/app/rules/engine.js");
  return expressions.map((e) => {
    try { return { value: evaluateExpression(e, context) }; }
    catch (error) { return { error: `${error.name}: ${error.message}` }; }
  });
}
"""


@pytest.fixture
def rules_page(live_server, demo, page):
    """A page signed in as hv (so it may fetch /api/v1/bootstrap), off the app shell."""
    page.goto(live_server.url + "/login?next=/offline")
    page.get_by_label("Username").fill("hv")
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/offline")
    return page


def test_javascript_raises_the_same_flags_as_python_for_every_case(rules_page):
    rules = home_visit_rules()

    in_browser = rules_page.evaluate(RUN_CASES, [CASES])

    problems = []
    for case in CASES:
        flags = in_browser[case["name"]]
        if raised(flags) != expected(case):
            problems.append(f"{case['name']}: raised {raised(flags)}, expected {expected(case)}")
        elif flags != evaluate(rules, case["context"]):
            problems.append(f"{case['name']}: words or order differ from Python: {flags}")
    assert problems == []


def test_javascript_gives_the_same_value_as_python_for_every_expression(rules_page):
    expressions = [expression for _, expression, _ in EXPRESSION_CASES]

    in_browser = rules_page.evaluate(RUN_EXPRESSIONS, [expressions, CONTEXT])

    problems = [
        f"{name}: {got}, expected {value}"
        for (name, expression, value), got in zip(EXPRESSION_CASES, in_browser, strict=True)
        if got != {"value": value} or evaluate_expression(expression, CONTEXT) != value
    ]
    assert problems == []


def test_javascript_refuses_malformed_expressions(rules_page):
    malformed = [{"eval": "1 + 1"}, {"var": "n", "lit": 1}, {"==": [1]},
                 {"some": [[1], {"var": "x"}, True]},
                 {"let": [{"x": 1}, {"var": "x"}]},  # bindings from an object: refused
                 {"let": [[["x"]], 1]}, {"working_days": ["2026-11-13"]}]

    results = rules_page.evaluate(RUN_EXPRESSIONS, [malformed, CONTEXT])

    assert all(r.get("error", "").startswith("RuleError: ") for r in results), results


def test_javascript_age_band_agrees_with_python(rules_page):
    births = ["2026-01-01", "2021-11-20", "2014-11-21", "2013-11-20", "2008-11-20", "bad"]
    at = "2026-11-20T12:00:00Z"

    bands = rules_page.evaluate(
        """async ([births, at]) => {
             const { ageBand } = await import("/static/app/rules/dates.js");
             return births.map((b) => ageBand(b, at));
           }""",
        [births, at],
    )

    assert bands == [age_band(b, at) for b in births]


def test_javascript_builds_the_same_context_and_raises_the_expected_flags_for_every_context_case(
        rules_page):
    in_browser = rules_page.evaluate(RUN_CONTEXT_CASES, [CONTEXT_CASES])

    problems = []
    for case in CONTEXT_CASES:
        got = in_browser[case["name"]]
        python_context = build_context(**case["input"])
        if raised(got["flags"]) != context_expected(case):
            problems.append(f"{case['name']}: raised {raised(got['flags'])}, "
                            f"expected {context_expected(case)}")
        elif got["context"] != python_context:
            problems.append(f"{case['name']}: the context differs from Python's")
        elif got["flags"] != evaluate(template_rules(template_of(case), version_of(case)),
                                      python_context):
            problems.append(f"{case['name']}: words or order differ from Python: {got['flags']}")
    assert problems == []


RUN_FLAG_ANSWERS = SERVED_RULES.join(["async ([cases]) => {", """
  const { evaluate } = await import("/static/app/rules/engine.js");
  const { buildContext } = await import("/static/app/rules/context.js");
  const { flagAnswers } = await import("/static/app/answered.js");
  const out = {};
  for (const c of cases) {
    const { bank_holidays: bankHolidays, ...rest } = c.input;
    const context = buildContext({ ...rest, bankHolidays });
    const rules = await servedRules(c.template || "home-visit", c.template_version || 1);
    out[c.name] = flagAnswers(evaluate(rules, context), context.checklist);
  }
  return out;
}
"""])


def test_javascript_says_what_answers_each_flag_as_python_does_for_every_context_case(
        rules_page):
    from visitcheck.followup.answered import flag_answers

    from ..unit.test_context import answered

    in_browser = rules_page.evaluate(RUN_FLAG_ANSWERS, [CONTEXT_CASES])

    problems = []
    for case in CONTEXT_CASES:
        context = build_context(**case["input"])
        python = flag_answers(evaluate(template_rules(template_of(case), version_of(case)),
                                       context), context["checklist"])
        if in_browser[case["name"]] != python:
            problems.append(f"{case['name']}: JavaScript {in_browser[case['name']]}, "
                            f"Python {python}")
        elif answered(python) != case.get("expect_answered", []):
            problems.append(f"{case['name']}: answered {answered(python)}")
    assert problems == []
