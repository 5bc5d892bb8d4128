"""A concern's protected source (the identity of whoever reported a person of concern)
reaches only the person who recorded it and team leads: never through a conflict, a
pull, an import, a page, an alert or the family map. Only they may lift the
protection, and every read of the source and every change of protection is audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.api.test_export_import import make_export
from tests.review_support import (
    apply,
    concern_payload,
    csrf_token,
    hold_household,
    new_id,
    person_id,
    pull_all,
    submit_checklist,
    web_client,
)
from visitcheck.audit.models import AuditEvent
from visitcheck.extensions import db
from visitcheck.sharing.service import PROTECTED_SOURCE_TEXT

SOURCE = "canary-source-neighbour-at-29"


@pytest.fixture
def protected(app, demo, api_client) -> dict:
    """The school nurse records a concern about Leanne Carter with a protected source;
    the health visitor also holds the household, so she sees the concern, not the source."""
    sn = api_client("sn")
    school = demo.school_households[0]
    mother = person_id(app, school, "Leanne Carter")
    concern = new_id()
    payload = concern_payload(mother, demo.children[school][0], source=SOURCE,
                              protect_source=True)
    assert apply(sn, "concern.put", concern, payload)["status"] == "applied"
    hold_household(app, "hv", school)
    return {"sn": sn, "concern": concern, "payload": payload, "household": school,
            "mother": mother}


def _latest(api, concern: str) -> dict:
    return [c["data"] for c in pull_all(api) if c["entity_id"] == concern][-1]


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_stale_edit_by_someone_who_may_not_see_the_source_gets_a_conflict_without_it(
        app, api_client, protected):
    hv = api_client("hv")
    seen = _latest(hv, protected["concern"])
    assert SOURCE not in json.dumps(seen)
    # The recorder edits meanwhile: the health visitor's edit is now stale.
    assert apply(protected["sn"], "concern.put", protected["concern"],
                 {**protected["payload"], "orders": "Non-molestation order"},
                 base_rev=1)["status"] == "applied"

    edit = {k: v for k, v in seen.items() if k not in ("id", "rev")}
    result = apply(hv, "concern.put", protected["concern"], {**edit, "notes": "Seen"},
                   base_rev=1)

    assert result["status"] == "conflict"
    assert SOURCE not in json.dumps(result)
    assert result["current"]["source"] == PROTECTED_SOURCE_TEXT
    assert result["current"]["source_withheld"] is True
    assert result["current"]["orders"] == "Non-molestation order"


def test_a_stale_edit_by_the_recorder_gets_the_source_back_and_the_read_is_audited(
        app, protected):
    sn = protected["sn"]
    assert apply(sn, "concern.put", protected["concern"], protected["payload"],
                 base_rev=1)["status"] == "applied"

    result = apply(sn, "concern.put", protected["concern"], protected["payload"],
                   base_rev=1)

    assert result["status"] == "conflict"
    assert result["current"]["source"] == SOURCE
    reads = _events(app, "concern.source_read")
    assert [(e.object_id, json.loads(e.detail)["via"]) for e in reads][-1] == (
        protected["concern"], "conflict")


def test_a_practitioner_who_did_not_record_the_source_cannot_lift_its_protection(
        app, api_client, protected):
    hv = api_client("hv")
    seen = _latest(hv, protected["concern"])
    edit = {k: v for k, v in seen.items() if k not in ("id", "rev")}

    result = apply(hv, "concern.put", protected["concern"],
                   {**edit, "protect_source": False}, base_rev=1)

    assert result["status"] == "rejected"
    assert result["error"]["type"].endswith("/protected-source")
    assert [e["field"] for e in result["error"]["errors"]] == ["protect_source"]
    assert SOURCE not in json.dumps(pull_all(hv))
    assert _latest(protected["sn"], protected["concern"])["protect_source"] is True


@pytest.mark.parametrize("who", ["sn", "lead"])
def test_the_recorder_or_a_team_lead_may_lift_the_protection_and_it_is_audited(
        app, api_client, protected, who):
    if who == "lead":
        # A lead pushes edits only for households on their caseload.
        hold_household(app, "lead", protected["household"])
        editor = api_client("lead")
    else:
        editor = protected["sn"]

    result = apply(editor, "concern.put", protected["concern"],
                   {**protected["payload"], "protect_source": False}, base_rev=1)

    assert result["status"] == "applied"
    changes = _events(app, "concern.source_protection")
    assert changes[-1].object_id == protected["concern"]
    assert changes[-1].actor_username == who
    assert json.loads(changes[-1].detail) == {"from": True, "to": False}


def test_setting_the_protection_is_audited_when_the_concern_is_recorded(app, protected):
    changes = _events(app, "concern.source_protection")
    assert [(c.object_id, c.actor_username, json.loads(c.detail)) for c in changes] == [
        (protected["concern"], "sn", {"from": None, "to": True})]


@pytest.mark.parametrize("username", ["hv", "sn", "lead", "admin"])
def test_a_pull_gives_the_source_only_to_its_recorder_and_audits_that_read(
        app, api_client, protected, username):
    hold_household(app, "lead", protected["household"])
    client = protected["sn"] if username == "sn" else api_client(username)

    body = json.dumps(pull_all(client))

    may_see = username in ("sn", "lead")
    assert (SOURCE in body) is may_see
    reads = [e for e in _events(app, "concern.source_read") if e.actor_username == username]
    assert bool(reads) is may_see
    if may_see:
        assert json.loads(reads[-1].detail)["via"] == "pull"


def test_an_imported_export_with_a_stale_edit_does_not_reveal_the_source(
        app, api_client, protected, tmp_path):
    hv = api_client("hv")
    seen = _latest(hv, protected["concern"])
    assert apply(protected["sn"], "concern.put", protected["concern"], protected["payload"],
                 base_rev=1)["status"] == "applied"
    from tests.sealing import sealed_op

    edit = {k: v for k, v in seen.items() if k not in ("id", "rev")}
    op = sealed_op(hv.bootstrap, edit, entity_id=protected["concern"], base_rev=1,
                   op_type="concern.put")
    file = tmp_path / "export.json"
    file.write_bytes(make_export(hv.bootstrap, [op], device_id=hv.device_id))

    cli = app.test_cli_runner().invoke(args=["sync", "import", str(file), "--username", "hv"])
    admin = web_client(app, "admin")
    page = admin.post("/admin/import", data={
        "csrf_token": csrf_token(admin), "username": "hv",
        "file": (file.open("rb"), "export.json")}, content_type="multipart/form-data")

    assert cli.exit_code == 0, cli.output
    assert "1 conflict" in cli.output
    assert SOURCE not in cli.output
    assert page.status_code == 200, page.get_data(as_text=True)
    assert SOURCE not in page.get_data(as_text=True)


@pytest.mark.parametrize("username", ["hv", "sn", "lead", "admin"])
def test_pages_alerts_and_the_family_map_show_the_source_only_to_the_team_lead(
        app, demo, api_client, protected, username):
    checklist = submit_checklist(protected["sn"], protected["household"],
                                 demo.children[protected["household"]], note="Seen at school")
    client = web_client(app, username)
    pages = [f"/review/{checklist}", "/review", "/review/alerts",
             f"/map/{protected['household']}", "/admin/audit"]

    shown = {path: SOURCE in client.get(path).get_data(as_text=True) for path in pages}

    expected = {path: False for path in pages}
    if username == "lead":
        expected[f"/review/{checklist}"] = True
    assert shown == expected
    reads = [e for e in _events(app, "concern.source_read") if e.actor_username == username]
    assert bool(reads) is (username == "lead")
