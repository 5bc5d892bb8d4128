"""One unit of work applies a push (sync/push.py): the API's push, the CLI import and
the administrator's import of the same ops end in the same state."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from tests.api.test_export_import import make_export
from tests.factories import (
    link,
    make_concern,
    make_household,
    make_person,
    make_team,
    make_user,
    new_id,
    signed_in,
)
from tests.review_support import csrf_token, web_client
from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.auth.models import User
from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db
from visitcheck.feed.models import Change
from visitcheck.people.models import Household
from visitcheck.rules.models import ChecklistFlag
from visitcheck.sync.models import SyncConflict, SyncOp


def _world(app, name: str):
    """A team of its own with one health visitor, a household of two children and an
    adult of concern in contact with them; -> (device, household, children)."""
    team = make_team(app, name)
    hv = signed_in(app, make_user(app, team=team))
    home = make_household(hv, "1 Same Street", children=[
        {"name": "Ann Same", "date_of_birth": "2024-01-01"},
        {"name": "Ben Same", "date_of_birth": "2022-01-01"}], adults=["Carl Same"])
    make_concern(hv, home["adults"][0], {child: "supervised" for child in home["children"]})
    return hv, home


def _ops(hv, home) -> tuple[list[dict], str]:
    """A submission the rules flag, a stale household edit (a conflict: the push's
    ops then run one savepoint each) and a malformed draft (rejected)."""
    checklist = new_id()
    ops = [
        sealed_op(hv.bootstrap, checklist_payload(home["id"], status="submitted",
                                                  answers=complete_visit(home["children"])),
                  entity_id=checklist),
        sealed_op(hv.bootstrap, {"address": "2 Other Street", "professionals": []},
                  entity_id=home["id"], base_rev=7, op_type="household.put"),
        sealed_op(hv.bootstrap, {"template": "no-such-template"}),
    ]
    return ops, checklist


def _state(app, hv, home, checklist: str, answers: list[dict]) -> dict:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.uuid == hv.bootstrap["user"]["id"])
                                  ).one()
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == checklist)).one()
        household = db.session.scalars(select(Household).where(Household.uuid == home["id"])
                                       ).one()
        return {
            "answers": [(a["status"], a.get("rev"), (a.get("error") or {}).get("type"))
                        for a in answers],
            "checklist": (row.status, row.rev, row.flags_due, row.flag_rank),
            "flags": sorted(db.session.execute(
                select(ChecklistFlag.rule, ChecklistFlag.severity)
                .where(ChecklistFlag.checklist_id == row.id)).all()),
            "household_rev": household.rev,
            "ops": db.session.scalar(select(func.count()).select_from(SyncOp)
                                     .where(SyncOp.user_id == user.id)),
            "conflicts": db.session.scalar(select(func.count()).select_from(SyncConflict)
                                           .where(SyncConflict.user_id == user.id)),
            "feed": [(c.type, c.rev) for c in db.session.scalars(
                select(Change).where(Change.team_id == user.team_id).order_by(Change.seq))],
        }


def test_an_import_and_a_push_of_the_same_ops_end_in_the_same_state(app, demo, tmp_path):
    states = {}
    # Through the API, as the device would.
    hv, home = _world(app, "Pushed")
    ops, checklist = _ops(hv, home)
    answers = hv.push(ops).get_json()["results"]
    states["push"] = _state(app, hv, home, checklist, answers)

    # Through the CLI import of the device's export file.
    hv, home = _world(app, "Imported by the CLI")
    ops, checklist = _ops(hv, home)
    file = tmp_path / "export.json"
    file.write_bytes(make_export(hv.bootstrap, ops, device_id=hv.device_id))
    result = app.test_cli_runner().invoke(args=[
        "sync", "import", str(file), "--username", hv.bootstrap["user"]["name"]])
    assert result.exit_code == 0, result.output
    answers = hv.push(ops).get_json()["results"]  # what the import answered, again
    assert [a["status"] for a in answers] == ["duplicate", "conflict", "rejected"]
    answers[0]["status"] = "applied"
    states["cli"] = _state(app, hv, home, checklist, answers)

    # Through the administrator's import page.
    hv, home = _world(app, "Imported on the admin page")
    ops, checklist = _ops(hv, home)
    admin = web_client(app, "admin")
    page = admin.post("/admin/import", data={
        "csrf_token": csrf_token(admin),
        "username": hv.bootstrap["user"]["name"],
        "file": (io.BytesIO(make_export(hv.bootstrap, ops, device_id=hv.device_id)),
                 "export.json")}, content_type="multipart/form-data")
    assert page.status_code == 200, page.get_data(as_text=True)
    answers = hv.push(ops).get_json()["results"]
    answers[0]["status"] = "applied"
    states["admin"] = _state(app, hv, home, checklist, answers)

    assert states["push"]["flags"], "the rules flag the submission"
    assert states["push"]["checklist"][2] is False  # evaluated once the push committed
    assert states["cli"] == states["push"]
    assert states["admin"] == states["push"]


def _s3_contact_submission(hv, home, *, with_contact: bool) -> tuple[list[dict], str]:
    """A submission whose S3 alone says the adult of concern has overnight contact with
    the first child (the concern on record names no contact)."""
    answers = complete_visit(home["children"])
    if with_contact:
        answers["risky_adults"] = {"concerns": {home["adults"][0]: {
            "basis": ["convicted_child_offence"], "source": "",
            "contact": {home["children"][0]: {"contact": "overnight"}}}}}
    checklist = new_id()
    return [sealed_op(hv.bootstrap, checklist_payload(home["id"], status="submitted",
                                                      answers=answers),
                      entity_id=checklist)], checklist


def _world_without_contact(app, name: str):
    team = make_team(app, name)
    hv = signed_in(app, make_user(app, team=team))
    home = make_household(hv, "3 Same Street", children=[
        {"name": "Dee Same", "date_of_birth": "2023-01-01"}])
    uncle = make_person(hv, "Eli Same", is_child=False)  # lives elsewhere: no contact known
    link(hv, home["id"], uncle, residence="lives_elsewhere")
    home["adults"].append(uncle)
    make_concern(hv, uncle, {}, basis=["convicted_child_offence"])
    return hv, home


def test_contact_recorded_only_in_s3_raises_the_same_flags_through_a_push_and_an_import(
        app, demo, tmp_path):
    raised = {}
    hv, home = _world_without_contact(app, "S3 quiet")
    ops, checklist = _s3_contact_submission(hv, home, with_contact=False)
    answers = hv.push(ops).get_json()["results"]
    raised["quiet"] = {rule for rule, _ in _state(app, hv, home, checklist, answers)["flags"]}

    hv, home = _world_without_contact(app, "S3 pushed")
    ops, checklist = _s3_contact_submission(hv, home, with_contact=True)
    answers = hv.push(ops).get_json()["results"]
    raised["push"] = _state(app, hv, home, checklist, answers)["flags"]

    hv, home = _world_without_contact(app, "S3 imported")
    ops, checklist = _s3_contact_submission(hv, home, with_contact=True)
    file = tmp_path / "s3-export.json"
    file.write_bytes(make_export(hv.bootstrap, ops, device_id=hv.device_id))
    result = app.test_cli_runner().invoke(args=[
        "sync", "import", str(file), "--username", hv.bootstrap["user"]["name"]])
    assert result.exit_code == 0, result.output
    raised["cli"] = _state(app, hv, home, checklist, [])["flags"]

    assert "poc-contact" not in raised["quiet"]
    assert "poc-contact" in {rule for rule, _ in raised["push"]}
    assert raised["cli"] == raised["push"]
