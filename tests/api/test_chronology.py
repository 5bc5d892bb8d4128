"""Issue 16 item 2: the child's chronology, built from what the app holds, and the
significant events practitioners add (`chronology_event.put`)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from sqlalchemy import select

from tests.review_support import (
    apply,
    csrf_token,
    new_id,
    other_team,
    pull_all,
    record_concern,
    submit_answers,
    web_client,
)
from tests.sealing import complete_visit, sealed_op
from visitcheck.audit import service as audit
from visitcheck.audit.models import AuditEvent
from visitcheck.chronology.models import ChronologyEvent
from visitcheck.extensions import db
from visitcheck.review.models import ReviewDecision

ROW = re.compile(r'<tr class="entry kind-(\w+)" data-kind="\w+">(.*?)</tr>', re.S)


def _visit(children: list[str], child: str, *, at: str, note: str, seen_alone: str = "yes",
           traffic_light: str | None = None) -> dict:
    answers = complete_visit(children, note)
    answers["visit"]["visit_at"] = at
    answers["visit"]["children"][child] = {"seen": True, "seen_alone": seen_alone}
    if traffic_light:
        answers["behaviour"] = {"children": {child: {
            "traffic_light": traffic_light, "sexual_behaviour": "Explicit drawing at school"}}}
    return answers


def _event(child: str, household: str, **extra) -> dict:
    return {"child_id": child, "household_id": household, "occurred_on": "2026-11-05",
            "fact_or_opinion": "fact", "source": "Mrs Patel, class teacher",
            "agency": "Riverside Primary", "event": "Ava came to school hungry three days running",
            "impact": "Tired and unable to concentrate", "action": "Breakfast club offered",
            "positive": False, **extra}


def _rows(page: str) -> list[tuple[str, str]]:
    return [(kind, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cells)).strip())
            for kind, cells in ROW.findall(page)]


def _story(app, demo, api_client):
    """hv's two visits to Ava's household, a concern that raises an alert, the lead's
    decision on the second visit: Ava's chronology has every kind, in date order."""
    hv = api_client("hv")
    household = demo.households[1]
    children = demo.children[household]
    ava = children[0]
    first = submit_answers(hv, household, _visit(children, ava, at="2026-10-02T09:15",
                                                 note="Mother and Ava"))
    second = submit_answers(hv, household, _visit(
        children, ava, at="2026-11-12T14:00", note="Mother, Craig and Ava",
        seen_alone="no_prevented", traffic_light="amber"))
    record_concern(app, hv, demo)
    lead = web_client(app, "lead")
    answer = lead.post(f"/review/{second}/decision", data={
        "csrf_token": csrf_token(lead), "rev": "1", "decision": "escalate",
        "procedure": "strategy_discussion", "comment": "Strategy discussion on Monday"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return hv, lead, household, ava, first, second


def test_the_chronology_lists_visits_alert_and_decision_in_date_order_with_sources(
        app, demo, api_client):
    hv, lead, household, ava, first, second = _story(app, demo, api_client)
    event = apply(hv, "chronology_event.put", new_id(), _event(ava, household))
    assert event["status"] == "applied", event

    page = lead.get(f"/chronology/{ava}")
    assert page.status_code == 200
    rows = _rows(page.get_data(as_text=True))
    kinds = [kind for kind, _ in rows]
    # Visit 2 Oct, the event 5 Nov, visit 12 Nov (and its judgement), then the alert
    # and the decision, made today.
    assert kinds.index("visit") < kinds.index("event") < kinds.index("judgement")
    assert kinds.count("visit") == 2
    # After the second visit's entries, what was made today: the alert, the decision,
    # and the flags the later concern raised on the first visit (dated when raised).
    later = kinds[kinds.index("judgement") + 1:]
    assert {"alert", "decision"} <= set(later) <= {"alert", "decision", "flag"}
    assert kinds[-1] in ("alert", "decision", "flag")
    text = dict(enumerate(rows))
    visits = [cells for kind, cells in rows if kind == "visit"]
    assert "Friday 2 October 2026" in visits[0]
    assert "seen alone" in visits[0]
    assert "Thursday 12 November 2026" in visits[1]
    assert "prevented" in visits[1]
    assert all("Asha Patel" in v for v in visits)
    assert all("Home visit" in v for v in visits)
    judgement = next(cells for kind, cells in rows if kind == "judgement")
    assert "opinion" in judgement
    assert "AMBER" in judgement
    assert "Gather information and discuss" in judgement
    decision = next(cells for kind, cells in rows if kind == "decision")
    assert "escalated (strategy discussion)" in decision
    assert "Strategy discussion on Monday" in decision
    alert = next(cells for kind, cells in rows if kind == "alert")
    assert "Craig Whitfield" in alert
    assert "A neighbour" not in alert  # the concern's source is not the chronology's
    significant = next(cells for kind, cells in rows if kind == "event")
    assert "Mrs Patel, class teacher (Riverside Primary)" in significant
    assert "fact" in significant
    assert "Breakfast club offered" in significant
    # The lead's links open the records.
    body = page.get_data(as_text=True)
    assert f'href="/review/{first}"' in body
    assert f'href="/review/{second}"' in body
    assert text  # the rows were read
    # The lead reaches it from the visit's page.
    review = lead.get(f"/review/{second}").get_data(as_text=True)
    assert f'href="/chronology/{ava}"' in review


def test_flags_are_those_raised_at_the_time_not_those_todays_facts_would_raise(
        app, demo, api_client):
    _, lead, _, ava, _, _ = _story(app, demo, api_client)
    rows = _rows(lead.get(f"/chronology/{ava}").get_data(as_text=True))
    october = [cells for kind, cells in rows
               if kind == "flag" and cells.startswith("Friday 2 October")]
    # The concern about Craig was recorded after the first visit: its flags were
    # not raised on that visit, and the chronology does not say they were; it dates
    # them when the team's records raised them, and says so.
    assert october
    assert not [c for c in october if "poc-contact" in c]
    poc = [cells for kind, cells in rows if kind == "flag" and "poc-contact" in cells]
    assert poc
    assert all("raised after the visit of" in c for c in poc)
    assert not [c for c in poc if c.startswith(("Friday 2 October", "Thursday 12 November"))]
    november = [cells for kind, cells in rows if kind == "flag" and "12 November" in cells]
    assert [c for c in november if "child-not-seen-alone" in c and "prevented" in c]


def test_the_period_and_kind_filters_narrow_the_chronology(app, demo, api_client):
    _, lead, _, ava, _, _ = _story(app, demo, api_client)
    october = _rows(lead.get(f"/chronology/{ava}?date_from=2026-10-01&date_to=2026-10-31")
                    .get_data(as_text=True))
    assert {kind for kind, _ in october} == {"visit", "flag"}
    assert all("2 October 2026" in cells for _, cells in october)
    decisions = _rows(lead.get(f"/chronology/{ava}?kind=decision&kind=alert")
                      .get_data(as_text=True))
    assert sorted(kind for kind, _ in decisions) == ["alert", "decision"]
    refused = lead.get(f"/chronology/{ava}?date_from=not-a-date")
    assert refused.status_code == 400
    assert lead.get(f"/chronology/{ava}?kind=gossip").status_code == 400


def test_the_print_view_is_the_multi_agency_columns_without_the_filters(app, demo, api_client):
    _, lead, _, ava, _, _ = _story(app, demo, api_client)
    page = lead.get(f"/chronology/{ava}?kind=visit&print=1").get_data(as_text=True)
    assert 'class="chronology printing"' in page
    headings = re.findall(r'<th scope="col">([^<]+)</th>', page)
    assert headings == ["Date", "Source", "Event", "Impact on the child", "Action or analysis"]
    assert {kind for kind, _ in _rows(page)} == {"visit"}
    # Printing from the screen drops the page's chrome too (the print stylesheet).
    with lead.get("/static/css/chronology.css") as css:
        assert "@media print" in css.get_data(as_text=True)


def test_the_chronology_is_refused_to_another_team_and_to_a_practitioner_without_the_household(
        app, demo, api_client):
    _, _, household, ava, _, _ = _story(app, demo, api_client)
    southbank = other_team(app)
    from tests.review_support import OTHER_PASSWORD

    assert web_client(app, "lead2", OTHER_PASSWORD).get(
        f"/chronology/{ava}").status_code == 403
    assert web_client(app, "sn").get(f"/chronology/{ava}").status_code == 403
    # The practitioner holding the household reads it; the lead cannot read another
    # team's child either.
    assert web_client(app, "hv").get(f"/chronology/{ava}").status_code == 200
    assert web_client(app, "lead").get(
        f"/chronology/{southbank['child']}").status_code == 403
    # An adult has no chronology here.
    assert web_client(app, "lead").get(
        f"/chronology/{southbank['adult']}").status_code in (403, 404)
    assert household


def test_every_opening_of_a_chronology_is_audited(app, demo, api_client):
    _, lead, _, ava, _, _ = _story(app, demo, api_client)
    lead.get(f"/chronology/{ava}")
    lead.get(f"/chronology/{ava}?kind=visit")
    web_client(app, "sn").get(f"/chronology/{ava}")  # refused: not an opening
    with app.app_context():
        opened = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "chronology.open", AuditEvent.object_id == ava)).all()
        assert [e.actor_username for e in opened] == ["lead", "lead"]


def test_a_significant_event_is_applied_once_stored_encrypted_and_pulled_by_the_household(
        app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[1]
    ava = demo.children[household][0]
    event_id = new_id()
    op = sealed_op(hv.bootstrap, _event(ava, household, positive=True,
                                        event="Ava sang in the school concert"),
                   entity_id=event_id, op_type="chronology_event.put")
    assert hv.push([op]).get_json()["results"][0]["status"] == "applied"
    again = hv.push([op]).get_json()["results"][0]
    assert again["status"] == "duplicate"
    assert again["rev"] == 1

    with app.app_context():
        rows = db.session.scalars(select(ChronologyEvent)).all()
        assert len(rows) == 1
        assert b"school concert" not in rows[0].sealed_fields
        assert b"Mrs Patel" not in rows[0].sealed_fields

    pulled = [c for c in pull_all(hv) if c["type"] == "chronology_event"]
    assert len(pulled) == 1
    data = pulled[0]["data"]
    assert data["id"] == event_id
    assert data["child_id"] == ava
    assert data["event"] == "Ava sang in the school concert"
    assert data["positive"] is True
    assert data["author"]
    assert data["rev"] == 1
    # The school nurse does not hold the household: she is not sent it.
    assert not [c for c in pull_all(api_client("sn")) if c["type"] == "chronology_event"]

    # Corrected from its revision; a stale correction is a conflict.
    fixed = apply(hv, "chronology_event.put", event_id,
                  _event(ava, household, event="Ava sang a solo in the concert"), base_rev=1)
    assert fixed == {**fixed, "status": "applied", "rev": 2}
    stale = apply(hv, "chronology_event.put", event_id, _event(ava, household), base_rev=1)
    assert stale["status"] == "conflict"
    assert stale["current"]["event"] == "Ava sang a solo in the concert"


def test_a_significant_event_is_refused_for_a_household_off_the_caseload_or_invalid(
        app, demo, api_client):
    sn = api_client("sn")
    household = demo.households[1]
    ava = demo.children[household][0]
    refused = apply(sn, "chronology_event.put", new_id(), _event(ava, household))
    assert refused["status"] == "rejected"
    hv = api_client("hv")
    future = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1).date().isoformat()
    invalid = apply(hv, "chronology_event.put", new_id(),
                    _event(ava, household, occurred_on=future, fact_or_opinion="rumour",
                           colour="red"))
    assert invalid["status"] == "rejected"
    fields = {e["field"] for e in invalid["error"]["errors"]}
    assert {"occurred_on", "fact_or_opinion", "colour"} <= fields
    other_child = demo.children[demo.households[0]][0]
    wrong_child = apply(hv, "chronology_event.put", new_id(),
                        _event(other_child, household))
    assert wrong_child["status"] == "rejected"
    with app.app_context():
        assert db.session.scalars(select(ChronologyEvent)).all() == []
        assert db.session.scalars(select(ReviewDecision)).all() == []


def _stored_checklist(app, *, household: str, author: str, template: str, answers: dict,
                      flags: str = "[]") -> str:
    """A checklist as the server stores it, put straight in the table: the
    child-observation template is being built on another branch, and the chronology
    must read its checklists the day it lands."""
    from visitcheck.auth.models import User
    from visitcheck.checklists.models import Checklist
    from visitcheck.extensions import keyring
    from visitcheck.keys import encrypt_fields
    from visitcheck.people import service as people

    with app.app_context():
        home = people.household_by_public_id(db.session, household)
        user = db.session.scalars(select(User).where(User.username == author)).one()
        checklist = Checklist(uuid=new_id(), author_id=user.id, team_id=user.team_id,
                              household_id=home.id, template=template, template_version=1,
                              status="submitted", rev=1, flag_summary=flags,
                              visit_at=answers["visit"]["visit_at"],
                              submitted_at=datetime.now(UTC))
        encrypt_fields(checklist, {"template": template, "template_version": 1,
                                   "household_id": household, "status": "submitted",
                                   "answers": answers, "saved_at": "2026-11-03T10:00:00Z"},
                       keyring=keyring())
        db.session.add(checklist)
        db.session.commit()
        return checklist.uuid


def test_an_observation_naming_the_child_and_a_no_access_visit_are_in_the_chronology(
        app, demo, api_client):
    household = demo.households[1]
    ava = demo.children[household][0]
    observation = _stored_checklist(app, household=household, author="hv",
                                    template="child-observation", answers={
        "visit": {"child": ava, "visit_at": "2026-11-03T10:00", "setting": "school"},
        "behaviour": {"observed": "Drawing of an adult", "traffic_light": "red",
                      "child_words": "Uncle says it is a secret",
                      "sexual_behaviour": "Explicit drawing"}})
    submit_answers(api_client("hv"), household, {"visit": {
        "visit_at": "2026-10-20T16:00", "visit_type": "targeted", "no_access": True}})
    rows = _rows(web_client(app, "lead").get(f"/chronology/{ava}").get_data(as_text=True))
    assert [kind for kind, _ in rows if kind != "flag"] == ["visit", "observation",
                                                            "judgement"]
    visit = next(cells for kind, cells in rows if kind == "visit")
    assert "No access" in visit
    seen = next(cells for kind, cells in rows if kind == "observation")
    assert "Child observation, Asha Patel" in seen
    assert "Observed (school): Drawing of an adult" in seen
    assert "Uncle says it is a secret" in seen
    assert "Act now." in next(cells for kind, cells in rows if kind == "judgement")
    assert observation


def test_an_opening_on_the_tablet_is_audited_once_when_it_syncs(app, demo, api_client):
    """The tablet opens chronologies offline: each opening travels as `chronology.open`
    (its own id, made on the device) and lands in the audit trail as the practitioner's
    opening, with the device and the time it happened; a retry records nothing more."""
    hv = api_client("hv")
    household = demo.households[1]
    ava = demo.children[household][0]
    opening = new_id()
    op = sealed_op(hv.bootstrap, {"child_id": ava, "opened_at": "2026-11-20T09:41:07.120Z"},
                   entity_id=opening, op_type="chronology.open")
    assert hv.push([op]).get_json()["results"][0] == {
        "op_id": op["op_id"], "status": "applied", "rev": 1}
    assert hv.push([op]).get_json()["results"][0]["status"] == "duplicate"

    with app.app_context():
        opened = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "chronology.open", AuditEvent.object_id == ava)).all()
        assert [(e.actor_username, e.device_id) for e in opened] == [("hv", hv.device_id)]
        detail = json.loads(opened[0].detail or "{}")
        assert detail == {"via": "tablet", "opened_at": "2026-11-20T09:41:07.120Z",
                          "opening_id": opening, "readable_at_sync": True}
        # `audit access` (the audit service) shows it among who touched Ava's records.
        rows = audit.access_log(db.session, person_id=ava, viewer_name="cli")
        assert ("hv", "chronology.open", f"person:{ava}", hv.device_id) in {
            (r.who, r.action, r.what, r.device_id) for r in rows}


def test_an_opening_that_is_not_one_is_rejected_and_records_nothing(app, demo, api_client):
    hv = api_client("hv")
    ava = demo.children[demo.households[1]][0]
    for payload, base_rev, field in (
            ({"child_id": ava}, 0, "opened_at"),
            ({"child_id": "Ava", "opened_at": "2026-11-20T09:41:07Z"}, 0, "child_id"),
            ({"child_id": ava, "opened_at": "yesterday"}, 0, "opened_at"),
            ({"child_id": ava, "opened_at": "2026-11-20T09:41:07"}, 0, "opened_at"),
            ({"child_id": ava, "opened_at": "2026-11-20T09:41:07Z", "note": "x"}, 0, "note"),
            ({"child_id": ava, "opened_at": "2026-11-20T09:41:07Z"}, 2, "base_rev")):
        answer = apply(hv, "chronology.open", new_id(), payload, base_rev=base_rev)
        assert answer["status"] == "rejected", payload
        assert field in {e["field"] for e in answer["error"]["errors"]}, answer
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "chronology.open")).all() == []


def test_a_member_recorded_from_a_device_is_the_same_household_change_pulled_and_on_the_page(
        app, demo, api_client):
    """The lead's page and the tablet build household changes from the same members:
    what the pull sends (who recorded each member, when) is what the page shows."""
    hv = api_client("hv")
    household = demo.households[1]
    ava = demo.children[household][0]
    jay = new_id()
    assert apply(hv, "person.put", jay, {
        "names": ["Jay Moss"], "aliases": [], "date_of_birth": None, "estimated_age": None,
        "sex": "male", "is_child": False, "children": []})["status"] == "applied"
    assert apply(hv, "membership.put", new_id(), {
        "household_id": household, "person_id": jay,
        "residence": "visits_regularly"})["status"] == "applied"

    pulled = [c["data"] for c in pull_all(hv)
              if c["type"] == "household" and c["entity_id"] == household][-1]
    members = {m["person_id"]: m for m in pulled["members"]}
    assert members[jay]["recorded_by"] == "Asha Patel"
    assert members[jay]["recorded_at"].endswith("Z")
    assert (members[ava]["recorded_by"], members[ava]["recorded_at"]) == ("", "")

    rows = _rows(web_client(app, "lead").get(f"/chronology/{ava}").get_data(as_text=True))
    changes = [text for kind, text in rows if kind == "household"]
    assert len(changes) == 1
    assert "Jay Moss recorded as a member of the household (visits regularly)." in changes[0]
    assert "Asha Patel" in changes[0]
