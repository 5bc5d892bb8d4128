"""Who has seen this child (audit access) and subject access (export person)."""

from __future__ import annotations

import json
import stat

from sqlalchemy import select

from tests.factories import make_checklist
from visitcheck.audit.models import AuditEvent
from visitcheck.extensions import db


def test_audit_access_lists_reads_and_writes_of_a_child_with_device_and_is_audited(
        app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    child = demo.children[household][0]
    hv.pull()
    make_checklist(hv, household, demo.children[household])
    other_child = demo.children[demo.school_households[0]][0]

    result = app.test_cli_runner().invoke(args=["audit", "access", "--person", child])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    pulls = [line for line in lines if "sync.pull" in line]
    writes = [line for line in lines if "sync.applied" in line]
    assert pulls
    assert all("hv" in line and hv.device_id in line for line in pulls)
    assert any("checklist:" in line for line in writes)
    assert other_child not in result.output
    with app.app_context():
        asked = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "audit.access_read")).one()
    assert asked.object_id == child


def test_audit_access_does_not_list_another_familys_records(app, demo, api_client):
    sn = api_client("sn")
    sn.pull()
    child = demo.children[demo.households[0]][0]

    result = app.test_cli_runner().invoke(args=["audit", "access", "--person", child])

    assert result.exit_code == 0, result.output
    assert "sync.pull" not in result.output


def test_export_person_writes_readable_json_and_html_and_is_audited(app, demo, api_client,
                                                                    tmp_path):
    hv = api_client("hv")
    household = demo.households[0]
    child = demo.children[household][0]
    checklist = make_checklist(hv, household, demo.children[household])

    result = app.test_cli_runner().invoke(args=["export", "person", child,
                                                "--out", str(tmp_path)])

    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / f"subject-access-{child}.json").read_text())
    html = (tmp_path / f"subject-access-{child}.html").read_text()
    assert data["person"]["id"] == child
    assert data["person"]["names"] == ["Mia Lawson"]
    assert data["households"][0]["address"] == "14 Alder Row, Northfield NF3 2QP"
    assert [c["id"] for c in data["checklists"]] == [checklist]
    assert any(r["action"] == "sync.applied" for r in data["who_has_accessed_their_records"])
    assert "Mia Lawson" in html
    assert "14 Alder Row" in html
    for suffix in (".json", ".html"):
        mode = (tmp_path / f"subject-access-{child}{suffix}").stat().st_mode
        assert stat.S_IMODE(mode) == 0o600
    with app.app_context():
        exported = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "export.person")).one()
    assert exported.object_id == child
    assert f"checklist:{checklist}" in exported.subjects


def test_export_person_refuses_an_unknown_id(app, demo):
    result = app.test_cli_runner().invoke(
        args=["export", "person", "0b6f0a2e-1b1c-4c5e-9d3e-000000000009"])

    assert result.exit_code != 0
    assert "no person" in result.output
