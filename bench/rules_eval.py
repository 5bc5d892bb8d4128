"""Benchmark: how fast the server evaluates a template's rules over one context.

The server runs all of home-visit v1's rules on every checklist submitted,
over everything the team holds (visitcheck/rules/context.py). This builds
such a context by hand, deterministically: a household with a parent, two
children and a grandparent who visits, a linked household, two concerns, an
alert, and twelve earlier checklists whose answers are full checklists filled
from the template. It then times N evaluations two ways:

- compiled: `rules.compile_rules(rules)` once, then `.evaluate(context)`, as
  the server does (it keeps the compiled rules per template version);
- evaluate(): `rules.evaluate(rules, context)`, which compiles on every call.

    .venv/bin/python bench/rules_eval.py
    .venv/bin/python bench/rules_eval.py --n 2000

Prints evaluations/s and the time per evaluation; both must raise the same
flags. Most of what compiling costs is the collections the garbage collector
runs over the thousands of closures a compilation makes: one more reason the
server keeps compiled rules.
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
sys.path.insert(0, str(ROOT / "bench"))

from answers import fill  # noqa: E402

from visitcheck.checklists.service import builtin_template_files  # noqa: E402
from visitcheck.rules import engine as rules  # noqa: E402

NOW = "2026-11-20T12:00:00Z"
HISTORY = 12  # flags.HISTORY_PER_HOUSEHOLD: what the server looks back over


# --- a realistic context -------------------------------------------------------------


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


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
               "parents": [parent, partner], "persons_of_concern": [grandad, partner],
               "rows": [_id(rng), _id(rng)]}

    def checklist(cid: str, hid: str, visit_at: str, status: str) -> dict:
        children = kids if hid == home else [cousin]
        answers = {s["id"]: fill(s["fields"], rng, {**repeats, "children": children})
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


def per_evaluation(run: Callable[[], Any], n: int, repeats: int,
                   clock: Callable[[], float] = time.perf_counter) -> float:
    """The best of `repeats` runs of n evaluations, in seconds per evaluation."""
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        for _ in range(n):
            run()
        best = min(best, (clock() - start) / n)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="evaluations per run")
    parser.add_argument("--repeats", type=int, default=5, help="runs; the best is kept")
    parser.add_argument("--per-rule", action="store_true",
                        help="also each rule compiled alone: CPU time (process_time) per "
                             "evaluation, costliest first")
    args = parser.parse_args()

    template = next(t for t in builtin_template_files()
                    if t["template"] == "home-visit" and t["version"] == 1)
    rule_list = template["rules"]
    context = build_context(template)
    compiled = rules.compile_rules(rule_list)

    expected = compiled.evaluate(context)
    assert rules.evaluate(rule_list, context) == expected
    print(f"{len(rule_list)} rules, {len(context['history'])} earlier checklists, "
          f"{len(expected)} flags ({', '.join(sorted({f['rule'] for f in expected}))})")

    timings = {
        "compiled once, then .evaluate()": per_evaluation(
            lambda: compiled.evaluate(context), args.n, args.repeats),
        "evaluate() (compiles per call)": per_evaluation(
            lambda: rules.evaluate(rule_list, context), args.n, args.repeats),
        "compile_rules() alone": per_evaluation(
            lambda: rules.compile_rules(rule_list), args.n, args.repeats),
    }
    for name, seconds in timings.items():
        print(f"{name:34} {1 / seconds:9.0f} /s  {seconds * 1e3:7.3f} ms each")
    if args.per_rule:
        alone = {rule["id"]: rules.compile_rules([rule]) for rule in rule_list}
        cpu = {rule_id: per_evaluation(lambda one=one: one.evaluate(context), args.n,
                                       args.repeats, clock=time.process_time)
               for rule_id, one in alone.items()}
        for rule_id, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
            print(f"  {rule_id:32} {seconds * 1e6:8.1f} µs CPU")

if __name__ == "__main__":
    main()
