"""chronology.js in Chromium: the entries the tablet builds from what its vault holds
(the pure step under the Chronology screen), including a child observation once that
template is on the device."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

AVA, LEO = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
HOME = "66666666-6666-4666-8666-666666666666"
ELSEWHERE = "77777777-7777-4777-8777-777777777777"

# Dates are returned as ISO strings to cross into Python.
CALL = """
async (args) => {
  const chronology = await import("/static/app/chronology.js");
  const entries = chronology.buildEntries(args);
  return entries.map((e) => ({...e, when: e.when.toISOString()}));
}
"""


@pytest.fixture
def build(live_server, page):
    page.goto(f"{live_server.url}/offline")

    def call(checklists=(), alerts=(), events=()):
        return page.evaluate(CALL, {"childId": AVA, "householdIds": [HOME],
                                    "checklists": list(checklists), "alerts": list(alerts),
                                    "events": list(events), "author": "Asha Patel",
                                    "childIds": [AVA, LEO]})
    return call


def _checklist(answers, **extra):
    return {"id": "c", "household_id": HOME, "template": "home-visit", "status": "submitted",
            "answers": answers, "flags": [], "review": None, **extra}


def test_an_observation_naming_the_child_is_an_entry_with_its_judgement(build):
    observation = _checklist({
        "visit": {"child": AVA, "visit_at": "2026-11-03T10:00", "setting": "school"},
        "behaviour": {"observed": "Drawing of an adult",
                      "child_words": "Uncle says it is a secret",
                      "traffic_light": "red", "sexual_behaviour": "Explicit drawing"},
    }, template="child-observation")
    about_leo = _checklist({"visit": {"child": LEO, "visit_at": "2026-11-04T10:00"}},
                           template="child-observation")
    entries = build([observation, about_leo])
    assert [e["kind"] for e in entries] == ["observation", "judgement"]
    assert "Observed (school): Drawing of an adult" in entries[0]["event"]
    assert 'The child said: "Uncle says it is a secret"' in entries[0]["event"]
    assert entries[0]["fact_or_opinion"] == "fact"
    assert entries[1]["fact_or_opinion"] == "opinion"
    assert entries[1]["action"] == "Act now."
    assert entries[0]["when"] == "2026-11-03T10:00:00.000Z"


def test_a_no_access_visit_drafts_and_other_households_and_children(build):
    no_access = _checklist({"visit": {"visit_at": "2026-10-01T09:00", "no_access": True}})
    draft = _checklist({"visit": {"visit_at": "2026-10-02T09:00", "no_access": True}},
                       status="draft")
    elsewhere = _checklist({"visit": {"visit_at": "2026-10-03T09:00", "no_access": True}},
                           household_id=ELSEWHERE)
    flags = [{"rule": "child-not-seen-alone", "severity": "action", "subject": LEO,
              "reason": "Leo was prevented"},
             {"rule": "no-access-repeat", "severity": "action", "subject": None,
              "reason": "Second no access"}]
    seen_leo = _checklist({"visit": {"visit_at": "2026-10-04T09:00", "children": {
        LEO: {"seen": True}}}})
    entries = build([no_access, draft, elsewhere, {**no_access, "id": "d", "flags": flags},
                     seen_leo])
    assert [e["kind"] for e in entries] == ["visit", "visit", "flag"]
    assert entries[0]["event"] == "No access: the family was not seen."
    assert entries[2]["event"] == "Flag no-access-repeat (Action): Second no access"
    assert entries[2]["source"] == "The server's rules"


def test_alerts_and_events_of_the_childs_households_only_in_date_order(build):
    alerts = [{"household_id": HOME, "person_name": "Craig",
               "raised_at": "2026-11-20T08:00:00Z", "basis": "charged"},
              {"household_id": ELSEWHERE, "person_name": "Ray",
               "raised_at": "2026-11-01T08:00:00Z"}]
    events = [{"child_id": AVA, "occurred_on": "2026-11-05", "source": "Mrs Patel",
               "agency": "School", "fact_or_opinion": "fact", "event": "Hungry",
               "positive": False},
              {"child_id": LEO, "occurred_on": "2026-11-06", "source": "GP",
               "fact_or_opinion": "fact", "event": "Not Ava"}]
    entries = build(alerts=alerts, events=events)
    assert [e["kind"] for e in entries] == ["event", "alert"]
    assert entries[0]["source"] == "Mrs Patel (School)"
    assert "Craig" in entries[1]["event"]


HOUSEHOLD_CASES = json.loads((Path(__file__).resolve().parents[1]
                              / "chronology_household_cases.json").read_text())
HOUSEHOLD_CALL = """
async ({members, childId}) => {
  const chronology = await import("/static/app/chronology.js");
  return chronology.householdEntries(members, { childId })
    .map((e) => ({when: e.when.toISOString(), kind: e.kind, source: e.source, record: e.record,
                  fact_or_opinion: e.fact_or_opinion, event: e.event}));
}
"""


def test_the_household_changes_are_the_shared_cases_in_chromium(live_server, page):
    """The same cases as tests/unit/test_chronology_household.py, with the tablet's own
    residence words: the tablet and the lead's page tell the same household changes."""
    page.goto(f"{live_server.url}/offline")
    for case in HOUSEHOLD_CASES["cases"]:
        got = page.evaluate(HOUSEHOLD_CALL, {"members": case["members"],
                                             "childId": HOUSEHOLD_CASES["child_id"]})
        assert got == case["expect"], case["name"]


def test_the_households_members_are_entries_among_the_rest(build_with_households):
    entries = build_with_households([{"id": HOME, "members": [
        {"person_id": AVA, "name": "Ava", "is_child": True, "residence": "lives_here",
         "recorded_at": "", "recorded_by": ""},
        {"person_id": "33333333-3333-4333-8333-333333333333", "name": "Jay",
         "is_child": False, "residence": "visits_regularly",
         "recorded_at": "2026-11-12T14:20:00Z", "recorded_by": "Asha Patel"}]}])
    assert [(e["kind"], e["source"]) for e in entries] == [("household", "Asha Patel")]
    assert entries[0]["event"] == "Jay recorded as a member of the household (visits regularly)."


@pytest.fixture
def build_with_households(live_server, page):
    page.goto(f"{live_server.url}/offline")

    def call(households):
        return page.evaluate(CALL, {"childId": AVA, "householdIds": [HOME], "checklists": [],
                                    "alerts": [], "events": [], "author": "Asha Patel",
                                    "childIds": [AVA, LEO], "households": households})
    return call
