"""Retention purge and legal holds (issue 13): the fixture family of the issue, the
purge run as an operator runs it, checked table by table."""

from __future__ import annotations

import json
import re
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import Column, ForeignKey, Integer, Table, select

from tests.factories import (
    born_years_ago,
    link,
    make_checklist,
    make_concern,
    make_household,
    make_person,
    push,
)
from tests.sealing import checklist_payload, sealed_op
from visitcheck.audit.models import AuditEvent
from visitcheck.auth.models import User
from visitcheck.checklists.models import Checklist
from visitcheck.database import Base, utcnow
from visitcheck.extensions import db, keyring
from visitcheck.keys import decrypt_fields, encrypt_fields
from visitcheck.people.models import CaseloadAssignment, Concern, Household, HouseholdMember, Person
from visitcheck.retention import service as retention
from visitcheck.retention.models import LegalHold, RetentionReport
from visitcheck.review import decisions as review
from visitcheck.review.models import ReviewDecision
from visitcheck.sharing.models import Alert
from visitcheck.sync.models import SyncConflict, SyncOp

# Every table that holds a child's records, and the column naming each row.
TABLES = {
    "persons": (Person, Person.uuid),
    "households": (Household, Household.uuid),
    "household_members": (HouseholdMember, HouseholdMember.uuid),
    "concerns": (Concern, Concern.uuid),
    "checklists": (Checklist, Checklist.uuid),
    "review_decisions": (ReviewDecision, ReviewDecision.uuid),
    "alerts": (Alert, Alert.uuid),
    "caseload_assignments": (CaseloadAssignment, CaseloadAssignment.household_id),
    "sync_ops": (SyncOp, SyncOp.op_id),
    "sync_conflicts": (SyncConflict, SyncConflict.op_id),
}


def _snapshot(app) -> dict[str, set]:
    with app.app_context():
        out = {name: set(db.session.scalars(select(column)))
               for name, (_, column) in TABLES.items()}
        out["caseload_assignments"] = set(db.session.execute(select(
            CaseloadAssignment.user_id, CaseloadAssignment.household_id)).all())
        return out


def _ids(app, model, public_ids) -> set:
    with app.app_context():
        return set(db.session.scalars(select(model.id).where(model.uuid.in_(public_ids))))


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["retention", *args])


@pytest.fixture
def family(app, demo, api_client):
    """The issue's fixture family, made through the API by hv."""
    today = utcnow().date()
    hv = api_client("hv")
    past = make_household(hv, "1 Purge Row", adults=["Parent A"], children=[
        {"name": "One day past 25", "date_of_birth": born_years_ago(today, 25, days=-1)}])
    short = make_household(hv, "2 Keep Row", adults=["Parent B"], children=[
        {"name": "One day short of 25", "date_of_birth": born_years_ago(today, 25, days=1)}])
    leaver_born = born_years_ago(today, 25, days=-100)
    leaver = make_household(hv, "3 Care Leaver Court", children=[{
        "name": "Left care at 17", "date_of_birth": leaver_born,
        "care_ended_on": (retention.anniversary(
            date.fromisoformat(leaver_born), 17)
            + timedelta(days=30)).isoformat()}])
    held = make_household(hv, "4 Held House", adults=["Parent D"], children=[
        {"name": "Thirty", "date_of_birth": born_years_ago(today, 30)}])
    estimated = make_household(hv, "5 Estimate Lane", children=[
        {"name": "About 26", "estimated_age": 26}])
    unknown = make_household(hv, "6 Unknown Way", children=[{"name": "Age not known"}])
    # A person of concern who visits both the purged and the kept family.
    poc = make_person(hv, "Person of concern", is_child=False)
    poc_links = [link(hv, past["id"], poc, "visits_regularly"),
                 link(hv, short["id"], poc, "visits_regularly")]
    concern = make_concern(hv, poc, {past["children"][0]: "regular_unsupervised",
                                     short["children"][0]: "supervised"})
    past_checklist = make_checklist(hv, past["id"], past["children"])
    short_checklist = make_checklist(hv, short["id"], short["children"])
    # A stale edit of the purged family's checklist: a conflict on record.
    conflict = hv.push([sealed_op(
        hv.bootstrap, checklist_payload(past["id"]), entity_id=past_checklist)])
    assert conflict.get_json()["results"][0]["status"] == "conflict"
    with app.app_context():
        lead = db.session.scalars(select(User).where(User.username == "lead")).one()
        review.decide(db.session, lead=lead, public_id=past_checklist, decision="approve",
                      keyring=keyring())
        db.session.commit()
    return {"today": today, "hv": hv, "past": past, "short": short, "leaver": leaver,
            "held": held, "estimated": estimated, "unknown": unknown, "poc": poc,
            "poc_links": poc_links, "concern": concern, "past_checklist": past_checklist,
            "short_checklist": short_checklist}


def test_purge_deletes_exactly_the_records_past_retention_table_by_table(app, family):
    placed = _run(app, "hold", "add", "--household", family["held"]["id"],
                  "--reason", "Court order 2026/114")
    assert placed.exit_code == 0, placed.output
    before = _snapshot(app)
    past, estimated = family["past"], family["estimated"]
    gone_households = _ids(app, Household, [past["id"], estimated["id"]])
    with app.app_context():
        past_ops = set(db.session.scalars(select(SyncOp.op_id).where(SyncOp.entity_id.in_(
            [past["id"], estimated["id"], family["past_checklist"], *past["children"],
             *past["adults"], *past["memberships"], *estimated["children"],
             *estimated["memberships"], family["poc_links"][0]]))))
        gone_alerts = set(db.session.scalars(select(Alert.uuid).where(
            Alert.household_id.in_(gone_households))))
        gone_decisions = set(db.session.scalars(select(ReviewDecision.uuid).join(
            Checklist, Checklist.id == ReviewDecision.checklist_id).where(
            Checklist.uuid == family["past_checklist"])))
    assert gone_alerts
    assert gone_decisions
    assert past_ops

    result = _run(app, "purge", "--today", family["today"].isoformat())

    assert result.exit_code == 0, result.output
    after = _snapshot(app)
    removed = {table: before[table] - after[table] for table in TABLES}
    assert removed == {
        "persons": {*past["children"], *past["adults"], *estimated["children"]},
        "households": {past["id"], estimated["id"]},
        "household_members": {*past["memberships"], *estimated["memberships"],
                              family["poc_links"][0]},
        "concerns": set(),
        "checklists": {family["past_checklist"]},
        "review_decisions": gone_decisions,
        "alerts": gone_alerts,
        "caseload_assignments": {(u, h) for u, h in before["caseload_assignments"]
                                 if h in gone_households},
        "sync_ops": past_ops,
        "sync_conflicts": before["sync_conflicts"],
    }
    assert all(after[t] <= before[t] for t in TABLES)
    # The person of concern stays, with the kept family and the concern about them.
    assert family["poc"] in after["persons"]
    assert family["concern"] in after["concerns"]
    assert family["short_checklist"] in after["checklists"]
    # The concern no longer records contact with the purged child.
    with app.app_context():
        concern = db.session.scalars(select(Concern).where(
            Concern.uuid == family["concern"])).one()
        contact = decrypt_fields(concern, keyring=keyring())["contact"]
    assert contact == {family["short"]["children"][0]: "supervised"}


def test_the_report_lists_the_children_and_ids_and_is_stored_without_names(app, family):
    _run(app, "hold", "add", "--household", family["held"]["id"], "--reason", "Inquiry")

    result = _run(app, "purge", "--today", family["today"].isoformat())

    assert result.exit_code == 0, result.output
    for child in (*family["past"]["children"], *family["estimated"]["children"],
                  *family["held"]["children"], *family["unknown"]["children"]):
        assert child in result.output
    assert "One day past" not in result.output
    assert "Purge Row" not in result.output
    with app.app_context():
        stored = db.session.scalars(select(RetentionReport)).one()
        report = json.loads(stored.report)
    assert set(report["children_due"]) == {*family["past"]["children"],
                                           *family["estimated"]["children"]}
    assert report["kept_under_hold"] == family["held"]["children"]
    assert report["undetermined"] == family["unknown"]["children"]
    assert set(report["deleted"]["households"]) == {family["past"]["id"],
                                                    family["estimated"]["id"]}
    assert report["counts"]["persons"] == 3
    assert report["concerns_trimmed"] == [family["concern"]]
    assert "One day past" not in stored.report
    assert "Parent A" not in stored.report


def test_the_dry_run_changes_nothing_and_prints_the_same_report(app, family):
    before = _snapshot(app)

    dry = _run(app, "purge", "--dry-run", "--today", family["today"].isoformat())

    assert dry.exit_code == 0, dry.output
    assert _snapshot(app) == before
    with app.app_context():
        assert db.session.scalars(select(RetentionReport)).all() == []
    real = _run(app, "purge", "--today", family["today"].isoformat())
    body = lambda out: out.split("\n", 1)[1].replace("Rows that would be deleted:", "Rows deleted:")  # noqa: E731
    assert body(dry.output) == body(real.output)


def test_a_second_purge_finds_nothing_more(app, family):
    _run(app, "purge", "--today", family["today"].isoformat())
    before = _snapshot(app)

    again = _run(app, "purge", "--today", family["today"].isoformat())

    assert again.exit_code == 0, again.output
    assert _snapshot(app) == before


def test_a_held_household_is_purged_only_once_its_hold_is_released(app, family):
    held = family["held"]
    placed = _run(app, "hold", "add", "--household", held["id"], "--reason", "Inquiry")
    hold_id = placed.output.split()[1]
    _run(app, "purge", "--today", family["today"].isoformat())
    assert held["children"][0] in _snapshot(app)["persons"]
    listed = _run(app, "hold", "list")
    assert hold_id in listed.output
    assert "Inquiry" in listed.output

    released = _run(app, "hold", "release", hold_id, "--reason", "Inquiry closed")
    assert released.exit_code == 0, released.output
    _run(app, "purge", "--today", family["today"].isoformat())

    after = _snapshot(app)
    assert held["id"] not in after["households"]
    assert not {*held["children"], *held["adults"]} & after["persons"]
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("retention.%")).order_by(AuditEvent.seq)))
        hold = db.session.scalars(select(LegalHold)).one()
    assert actions == ["retention.hold_place", "retention.purge", "retention.hold_release",
                       "retention.purge"]
    assert hold.release_reason == "Inquiry closed"


def test_a_person_on_hold_keeps_their_household(app, family):
    child = family["past"]["children"][0]
    _run(app, "hold", "add", "--person", child, "--reason", "Court case")

    _run(app, "purge", "--today", family["today"].isoformat())

    after = _snapshot(app)
    assert child in after["persons"]
    assert family["past"]["id"] in after["households"]


def test_hold_add_refuses_an_unknown_subject_and_needs_one_kind(app, demo):
    unknown = _run(app, "hold", "add", "--person", "0b6f0a2e-1b1c-4c5e-9d3e-000000000009",
                   "--reason", "x")
    both = _run(app, "hold", "add", "--person", "a", "--household", "b", "--reason", "x")

    assert unknown.exit_code != 0
    assert "no person" in unknown.output
    assert both.exit_code != 0


def test_the_next_pull_tells_the_device_which_records_were_deleted(app, family):
    hv = family["hv"]
    cursor = hv.pull(limit=500).get_json()["cursor"]

    _run(app, "purge", "--today", family["today"].isoformat())
    page = hv.pull(cursor=cursor, limit=500).get_json()

    deleted = {(c["type"], c["entity_id"]) for c in page["changes"]
               if c["data"].get("deleted") is True}
    past, estimated = family["past"], family["estimated"]
    assert {("household", past["id"]), ("household", estimated["id"]),
            ("person", past["children"][0]), ("person", past["adults"][0]),
            ("person", estimated["children"][0]),
            ("checklist", family["past_checklist"])} <= deleted
    assert all(c["data"] == {"id": c["entity_id"], "deleted": True}
               for c in page["changes"] if c["data"].get("deleted"))
    spec = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json")
                      .read_text())
    Draft202012Validator({"components": spec["components"],
                          **spec["components"]["schemas"]["Pull"]}).validate(page)
    # The person of concern stays, without the purged household.
    kept = [c for c in page["changes"] if c["entity_id"] == family["poc"]]
    assert kept
    assert [h["household_id"] for h in kept[-1]["data"]["households"]] == [
        family["short"]["id"]]


def test_care_ending_at_17_keeps_records_to_the_26th_birthday(app, family):
    leaver = family["leaver"]["children"][0]
    later = retention.anniversary(family["today"], 1)

    _run(app, "purge", "--today", family["today"].isoformat())
    assert leaver in _snapshot(app)["persons"]
    _run(app, "purge", "--today", later.isoformat())
    assert leaver not in _snapshot(app)["persons"]


def test_two_hosts_purging_at_once_delete_each_row_once(app, family, another_app):
    before = _snapshot(app)
    hosts = [app, another_app()]
    outputs: list[str] = []
    errors: list[BaseException] = []

    def run(host):
        try:
            result = _run(host, "purge", "--today", family["today"].isoformat())
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    with app.app_context():
        reports = [json.loads(r.report) for r in db.session.scalars(select(RetentionReport))]
    # One purge found the family; the other, serialised behind it, found nothing left.
    assert sorted(r["counts"]["persons"] for r in reports) == [0, 5]
    after = _snapshot(app)
    assert before["persons"] - after["persons"] == {
        *family["past"]["children"], *family["past"]["adults"],
        *family["estimated"]["children"], *family["held"]["children"],
        *family["held"]["adults"]}
    code = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert code.exit_code == 0, code.output


def _person_fields(app, person: str) -> dict:
    with app.app_context():
        row = db.session.scalars(select(Person).where(Person.uuid == person)).one()
        return decrypt_fields(row, keyring=keyring())


def test_an_edit_from_a_tablet_keeps_the_end_of_care_and_the_day_of_the_estimate(
        app, demo, api_client):
    hv = api_client("hv")
    person = make_person(hv, "Estimated", is_child=True, estimated_age=12,
                         care_ended_on="2026-01-10")
    first = _person_fields(app, person)
    assert first["estimated_age_on"] == utcnow().date().isoformat()
    with app.app_context():  # as if the estimate had been made in 2020
        row = db.session.scalars(select(Person).where(Person.uuid == person)).one()
        encrypt_fields(row, {**first, "estimated_age_on": "2020-01-01"}, keyring=keyring())
        db.session.commit()
    # The tablet's person.put carries neither field (entities.js personPayload).
    push(hv, "person.put", person, {"names": ["Estimated", "Est"], "aliases": [],
                                    "date_of_birth": None, "estimated_age": 12,
                                    "sex": "unknown", "is_child": True, "children": []},
         base_rev=1)

    kept = _person_fields(app, person)
    assert kept["care_ended_on"] == "2026-01-10"
    assert kept["estimated_age_on"] == "2020-01-01"
    push(hv, "person.put", person, {"names": ["Estimated"], "aliases": [],
                                    "date_of_birth": None, "estimated_age": 13,
                                    "sex": "unknown", "is_child": True, "children": []},
         base_rev=2)
    assert _person_fields(app, person)["estimated_age_on"] == utcnow().date().isoformat()



def test_rows_of_other_capabilities_pointing_at_what_goes_go_too(app, family):
    # Another capability's table (a notification, stored flags) found by its foreign key.
    notes = Table("test_checklist_notes", Base.metadata,
                  Column("id", Integer, primary_key=True),
                  Column("checklist_id", ForeignKey("checklists.id"), nullable=False))
    try:
        with app.app_context():
            notes.create(db.engine)
            rows = dict(db.session.execute(select(Checklist.uuid, Checklist.id)).all())
            db.session.execute(notes.insert(), [
                {"checklist_id": rows[family["past_checklist"]]},
                {"checklist_id": rows[family["short_checklist"]]}])
            db.session.commit()

        result = _run(app, "purge", "--today", family["today"].isoformat())

        assert result.exit_code == 0, result.output
        assert re.search(r"test_checklist_notes\s+1\n", result.output)
        with app.app_context():
            left = list(db.session.scalars(select(notes.c.checklist_id)))
        assert left == [rows[family["short_checklist"]]]
    finally:
        with app.app_context():
            db.session.remove()
            notes.drop(db.engine)
        Base.metadata.remove(notes)


def test_a_person_who_stays_loses_their_details_about_a_purged_child(app, family):
    past_child, kept_child = family["past"]["children"][0], family["short"]["children"][0]
    push(family["hv"], "person.put", family["poc"], {
        "names": ["Person of concern"], "aliases": [], "date_of_birth": None,
        "estimated_age": None, "sex": "unknown", "is_child": False, "children": [
            {"child_id": past_child, "relationship": "uncle"},
            {"child_id": kept_child, "relationship": "uncle"}]}, base_rev=1)

    result = _run(app, "purge", "--today", family["today"].isoformat())

    assert result.exit_code == 0, result.output
    fields = _person_fields(app, family["poc"])
    assert fields["children"] == [{"child_id": kept_child, "relationship": "uncle"}]
    assert family["poc"] in result.output.split("Persons kept, their details")[1]


def test_devices_hear_of_follow_through_events_and_plans_deleted_with_a_purged_family(
        app, family):
    """Records later capabilities keep about a purged family (a follow-through record on
    its checklist, a significant event in the child's chronology, a planned visit) go
    with it, and the devices that hold them are told, as for the family's own records."""
    import uuid

    hv, past = family["hv"], family["past"]
    made = {}
    for op_type, payload in [
            ("checklist.followup", {"checklist_id": family["past_checklist"],
                                    "kind": "addendum", "text": "Late entry",
                                    "recorded_at": utcnow().isoformat()}),
            ("chronology_event.put", {
                "child_id": past["children"][0], "household_id": past["id"],
                "occurred_on": "2026-11-05", "fact_or_opinion": "fact", "source": "School",
                "agency": "Riverside Primary", "event": "Came to school hungry",
                "impact": "Tired", "action": "Breakfast club", "positive": False}),
            ("visit_plan.put", {"household_id": past["id"],
                                "planned_for": (family["today"] + timedelta(days=3)).isoformat(),
                                "time": "10:30", "purpose": "Check in", "cancelled": False})]:
        entity = str(uuid.uuid4())
        answer = hv.push([sealed_op(hv.bootstrap, payload, entity_id=entity,
                                    op_type=op_type)]).get_json()["results"][0]
        assert answer["status"] == "applied", answer
        made[op_type.split(".")[0].replace("checklist", "followup")] = entity
    cursor = hv.pull(limit=500).get_json()["cursor"]
    while True:
        page = hv.pull(cursor=cursor, limit=500).get_json()
        cursor = page["cursor"]
        if not page["more"]:
            break

    assert _run(app, "purge", "--today", family["today"].isoformat()).exit_code == 0
    page = hv.pull(cursor=cursor, limit=500).get_json()

    deleted = {(c["type"], c["entity_id"]) for c in page["changes"]
               if c["data"].get("deleted") is True}
    assert {("followup", made["followup"]), ("chronology_event", made["chronology_event"]),
            ("visit_plan", made["visit_plan"])} <= deleted
