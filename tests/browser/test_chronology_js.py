"""chronology.js in Chromium: the entries the tablet builds from what its vault holds
(the pure step under the Chronology screen), including a child observation once that
template is on the device."""

from __future__ import annotations

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
