"""child-observation v1 as shipped (docs/rules.md, "Child observation, version 1"): short,
built from the same field kinds as home-visit, and every one of its rules raised and left
quiet by a shared context case (tests/context_cases.json, run in Python and Chromium)."""

from __future__ import annotations

import pytest

from visitcheck.checklists.service import builtin_template_files

from .test_context import CONTEXT_CASES, template_of


def _template(slug: str) -> dict:
    return next(t for t in builtin_template_files() if t["template"] == slug and t["version"] == 1)


def _inputs(fields: list[dict]) -> int:
    """Boxes a person can fill or tick: a choice counts each option; rows not yet added
    and display-only fields count nothing; a repeated group counts once."""
    count = 0
    for field in fields:
        kind = field["type"]
        if kind in ("note", "age_band"):
            continue
        if kind == "group":
            if field.get("repeat") != "rows":
                count += _inputs(field["fields"])
            continue
        count += len(field.get("options", [])) or (2 if kind == "boolean" else 1)
    return count


OBSERVATION = _template("child-observation")


def test_an_observation_is_a_fraction_of_a_home_visit():
    observation = sum(_inputs(s["fields"]) for s in OBSERVATION["sections"])
    home_visit = sum(_inputs(s["fields"]) for s in _template("home-visit")["sections"])

    assert observation <= 45
    assert observation * 3 < home_visit


def test_it_uses_only_the_field_kinds_of_home_visit():
    def kinds(fields: list[dict]) -> set[str]:
        found = set()
        for field in fields:
            found.add(field["type"])
            found |= kinds(field.get("fields", []))
        return found

    used = set().union(*(kinds(s["fields"]) for s in OBSERVATION["sections"]))
    home = set().union(*(kinds(s["fields"]) for s in _template("home-visit")["sections"]))
    assert used <= home


@pytest.mark.parametrize("rule", [r["id"] for r in OBSERVATION["rules"]])
def test_each_observation_rule_has_a_case_that_raises_it_and_one_that_does_not(rule):
    named = [c for c in CONTEXT_CASES
             if template_of(c) == "child-observation" and c["name"].split(":")[0] == rule]

    assert any(any(e["rule"] == rule for e in c["expect"]) for c in named)
    assert any(all(e["rule"] != rule for e in c["expect"]) for c in named)
