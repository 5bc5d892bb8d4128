"""A school nurse's child observation (template child-observation v1, docs/rules.md): served
as loaded, checked like any checklist, its rules run on the server, and the lead sees it in
the queue and on the checklist page with every answer and its flags."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

from sqlalchemy import select

from tests.review_support import person_id, web_client
from tests.sealing import complete_visit, sealed_op
from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db

OBSERVED = "Seen in the playground acting out a sexual act with another child."
WORDS = "Uncle says it is our special game"


def _observation(household: str, child: str, *, status: str = "submitted",
                 light: str = "red", **sections) -> dict:
    answers = {
        "visit": {"child": child, "visit_at": "2026-11-20T10:30:00Z", "setting": "school",
                  "reported_by": "Ms Shah, class teacher"},
        "behaviour": {"observed": OBSERVED, "child_words": WORDS,
                      "sexual_behaviour": "Simulated intercourse with a peer",
                      "traffic_light": light},
    }
    for name, values in sections.items():
        answers.setdefault(name, {}).update(values)
    return {"template": "child-observation", "template_version": 1, "household_id": household,
            "status": status, "answers": answers, "saved_at": datetime.now(UTC).isoformat()}


def _push(client, payload: dict) -> tuple[str, dict]:
    op = sealed_op(client.bootstrap, payload)
    return op["entity_id"], client.push([op]).get_json()["results"][0]


def _stored_rules(app, checklist_id: str) -> list[tuple[str, str]]:
    """The summary the lead's queue sorts on: (rule, severity) per flag."""
    with app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == checklist_id)).one()
        return [(f["rule"], f["severity"]) for f in json.loads(row.flag_summary)]


def _pulled_flags(client, checklist_id: str) -> list[dict]:
    """The server's flags as the device pulls them, with subjects and reasons."""
    pulled, cursor = {}, 0
    while True:
        page = client.pull(cursor=cursor).get_json()
        pulled.update({c["entity_id"]: c["data"] for c in page["changes"]})
        cursor = page["cursor"]
        if not page["more"]:
            return pulled[checklist_id]["flags"]


def test_the_served_observation_template_equals_the_loaded_file_key_order_included(
        api_client):
    folder = resources.files("visitcheck.checklists") / "templates"
    loaded = json.loads((folder / "child-observation.v1.json").read_text(),
                        object_pairs_hook=list)
    served = json.loads(api_client("sn").get("/api/v1/bootstrap").get_data(as_text=True),
                        object_pairs_hook=list)
    templates = dict(served)["templates"]

    assert loaded in templates


def test_a_submitted_observation_with_red_behaviour_raises_it_on_the_server_and_reaches_the_lead(
        app, demo, api_client):
    sn = api_client("sn")
    school = demo.school_households[0]
    skye = person_id(app, school, "Skye Carter")

    checklist, result = _push(sn, _observation(school, skye))

    assert result["status"] == "applied", result
    assert ("red-behaviour", "urgent") in _stored_rules(app, checklist)
    (red,) = [f for f in _pulled_flags(sn, checklist) if f["rule"] == "red-behaviour"]
    assert red["severity"] == "urgent"
    assert red["subject"] == skye
    assert red["reason"] == "Skye Carter: red traffic-light sexual behaviour."

    lead = web_client(app, "lead")
    queue = lead.get("/review").get_data(as_text=True)
    table = queue.split('id="queue-heading"', 1)[1]
    row = table.split(f'href="/review/{checklist}"', 1)[1].split("</tr>", 1)[0]
    assert "(Child observation)" in row
    assert '<span class="flag-severity">Urgent:</span> Red behaviour' in row

    page = lead.get(f"/review/{checklist}").get_data(as_text=True)
    assert "<h1>Child observation: 27 Damson Street" in page
    for shown in ("Skye Carter", "School", "Ms Shah, class teacher", OBSERVED,
                  "Uncle says it is our special game", "Red: act now", "Red behaviour"):
        assert shown in page, shown


def test_the_leads_page_names_an_earlier_observation_as_one(app, demo, api_client):
    sn = api_client("sn")
    school = demo.school_households[0]
    skye = person_id(app, school, "Skye Carter")
    observation, _ = _push(sn, _observation(school, skye, light="green"))
    visit, result = _push(sn, {**_observation(school, skye), "template": "home-visit",
                               "answers": complete_visit(demo.children[school])})
    assert result["status"] == "applied", result

    page = web_client(app, "lead").get(f"/review/{visit}").get_data(as_text=True)

    earlier = page.split('id="earlier-heading"', 1)[1].split("</section>", 1)[0]
    assert f'href="/review/{observation}">Child observation, Friday 20 November 2026' in earlier


def test_an_observation_must_name_a_child_of_the_household(app, demo, api_client):
    sn = api_client("sn")
    school = demo.school_households[0]
    not_here = demo.children[demo.households[0]][0]

    _, result = _push(sn, _observation(school, not_here))

    assert result["status"] == "rejected"
    fields = {e["field"]: e["message"] for e in result["error"]["errors"]}
    assert fields == {"visit.child": "is not a child of this household"}


def test_a_submitted_observation_needs_the_child_the_time_the_setting_and_what_was_seen(
        app, demo, api_client):
    sn = api_client("sn")
    payload = _observation(demo.school_households[0], "x")
    payload["answers"] = {"behaviour": {"traffic_light": "amber"}}

    _, result = _push(sn, payload)

    assert result["status"] == "rejected"
    assert {e["field"] for e in result["error"]["errors"]} == {
        "visit.child", "visit.visit_at", "visit.setting", "visit.reported_by",
        "behaviour.observed"}


def test_an_amber_observation_after_an_amber_home_visit_raises_amber_pattern_for_the_child(
        app, demo, api_client):
    sn = api_client("sn")
    school = demo.school_households[0]
    children = demo.children[school]
    jayden = person_id(app, school, "Jayden Carter")
    visit = complete_visit(children)
    visit["behaviour"] = {"children": {jayden: {"traffic_light": "amber"}}}
    _, first = _push(sn, {**_observation(school, jayden), "template": "home-visit",
                          "answers": visit})
    assert first["status"] == "applied", first

    checklist, result = _push(sn, _observation(school, jayden, light="amber"))

    assert result["status"] == "applied", result
    pattern = [f for f in _pulled_flags(sn, checklist) if f["rule"] == "amber-pattern"]
    assert [(f["subject"], f["severity"]) for f in pattern] == [(jayden, "review")]
    assert "Jayden Carter: amber traffic-light behaviour recorded 2 times" in pattern[0]["reason"]


def test_online_contact_recorded_in_an_observation_raises_online_contact(app, demo, api_client):
    sn = api_client("sn")
    school = demo.school_households[0]
    skye = person_id(app, school, "Skye Carter")

    checklist, result = _push(sn, _observation(
        school, skye, light="green", adults={"online_contact": ["person_of_concern"],
                                             "online_contact_detail": "Messages on a game"}))

    assert result["status"] == "applied", result
    assert [(f["rule"], f["subject"]) for f in _pulled_flags(sn, checklist)] == [
        ("online-contact", skye)]

