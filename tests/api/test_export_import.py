"""The last-resort export: a device's unsynced ops in one file sealed to the server,
imported by an administrator (CLI or /admin/import), idempotent like a push."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from tests.review_support import csrf_token, web_client
from tests.sealing import checklist_payload, sealed_op
from visitcheck.audit.models import AuditEvent
from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db
from visitcheck.keys import b64url_decode, b64url_encode, seal
from visitcheck.sync.export import export_aad
from visitcheck.sync.models import SyncOp


def make_export(bootstrap: dict, ops: list[dict], *, device_id: str, user_id: str | None = None,
                export_id: str | None = None) -> bytes:
    """What the tablet's export.js writes, built in Python."""
    export_id = export_id or str(uuid.uuid4())
    inner = {
        "v": 1, "kind": "visitcheck-export", "export_id": export_id,
        "user_id": user_id or bootstrap["user"]["id"], "device_id": device_id,
        "created_at": datetime.now(UTC).isoformat(), "ops": ops,
    }
    key = bootstrap["sealing_key"]
    envelope = seal(json.dumps(inner).encode(), public_key=b64url_decode(key["public_key"]),
                    kid=key["kid"], aad=export_aad(export_id))
    return json.dumps({"visitcheck_export": 1, "export_id": export_id,
                       "sealed": envelope}).encode()


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _two_ops(hv, demo) -> list[dict]:
    return [sealed_op(hv.bootstrap, checklist_payload(demo.households[0])),
            sealed_op(hv.bootstrap, checklist_payload(demo.households[1]))]


def test_an_export_imported_twice_through_the_cli_stores_one_copy_of_each_item(
        app, demo, api_client, tmp_path):
    hv = api_client("hv")
    ops = _two_ops(hv, demo)
    file = tmp_path / "visitcheck-export.json"
    file.write_bytes(make_export(hv.bootstrap, ops, device_id=hv.device_id))
    runner = app.test_cli_runner()

    first = runner.invoke(args=["sync", "import", str(file), "--username", "hv"])
    second = runner.invoke(args=["sync", "import", str(file), "--username", "hv"])

    assert first.exit_code == 0, first.output
    assert "2 applied, 0 duplicate, 0 conflict, 0 rejected" in first.output
    assert second.exit_code == 0, second.output
    assert "0 applied, 2 duplicate" in second.output
    assert _count(app, Checklist) == 2
    assert _count(app, SyncOp) == 2


def test_items_imported_from_an_export_are_duplicates_when_the_device_pushes_them_later(
        app, demo, api_client, tmp_path):
    hv = api_client("hv")
    ops = _two_ops(hv, demo)
    file = tmp_path / "export.json"
    file.write_bytes(make_export(hv.bootstrap, ops, device_id=hv.device_id))
    app.test_cli_runner().invoke(args=["sync", "import", str(file), "--username", "hv"])

    results = hv.push(ops).get_json()["results"]

    assert [r["status"] for r in results] == ["duplicate", "duplicate"]
    assert _count(app, Checklist) == 2


def test_an_administrator_imports_an_export_on_the_admin_page_and_it_is_audited(
        app, demo, api_client):
    hv = api_client("hv")
    data = make_export(hv.bootstrap, _two_ops(hv, demo), device_id=hv.device_id)
    admin = web_client(app, "admin")

    def upload():
        return admin.post("/admin/import", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(admin), "username": "hv",
            "file": (io.BytesIO(data), "visitcheck-export.json")})

    first = upload()
    second = upload()

    assert first.status_code == 200, first.get_data(as_text=True)
    assert "2 applied, 0 duplicate" in first.get_data(as_text=True)
    assert "0 applied, 2 duplicate" in second.get_data(as_text=True)
    assert _count(app, Checklist) == 2
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "sync.import")).all()
        assert [e.actor_username for e in events] == ["admin", "admin"]
        assert events[0].object_id == demo.users["hv"]


def test_only_administrators_reach_the_import_page(app, demo):
    lead = web_client(app, "lead")

    assert lead.get("/admin/import").status_code == 403


def test_an_export_named_for_another_user_is_refused_and_nothing_is_stored(
        app, demo, api_client, tmp_path):
    hv = api_client("hv")
    file = tmp_path / "export.json"
    file.write_bytes(make_export(hv.bootstrap, _two_ops(hv, demo), device_id=hv.device_id))

    result = app.test_cli_runner().invoke(args=["sync", "import", str(file), "--username", "sn"])

    assert result.exit_code != 0
    assert "another user" in result.output
    assert _count(app, Checklist) == 0


def test_a_tampered_export_does_not_open_and_nothing_is_stored(app, demo, api_client, tmp_path):
    hv = api_client("hv")
    exported = json.loads(make_export(hv.bootstrap, _two_ops(hv, demo), device_id=hv.device_id))
    ct = bytearray(b64url_decode(exported["sealed"]["ct"]))
    ct[10] ^= 0x01
    exported["sealed"]["ct"] = b64url_encode(bytes(ct))
    file = tmp_path / "export.json"
    file.write_text(json.dumps(exported))

    result = app.test_cli_runner().invoke(args=["sync", "import", str(file), "--username", "hv"])

    assert result.exit_code != 0
    assert "does not open" in result.output
    assert _count(app, Checklist) == 0


def test_an_export_envelope_under_another_export_id_does_not_open(app, demo, api_client,
                                                                  tmp_path):
    hv = api_client("hv")
    exported = json.loads(make_export(hv.bootstrap, _two_ops(hv, demo), device_id=hv.device_id))
    exported["export_id"] = str(uuid.uuid4())
    file = tmp_path / "export.json"
    file.write_text(json.dumps(exported))

    result = app.test_cli_runner().invoke(args=["sync", "import", str(file), "--username", "hv"])

    assert result.exit_code != 0
    assert _count(app, Checklist) == 0


def test_a_file_that_is_not_an_export_is_refused_clearly(app, demo, tmp_path):
    file = tmp_path / "notes.json"
    file.write_text('{"hello": "world"}')

    result = app.test_cli_runner().invoke(args=["sync", "import", str(file), "--username", "hv"])

    assert result.exit_code != 0
    assert "not a visitcheck export" in result.output


def test_a_hostile_file_on_the_import_page_is_refused_not_a_server_error(app, demo):
    # Deep nesting made json.loads raise RecursionError (a 500); NaN, a NUL or a
    # huge integer is not JSON a tablet writes (issue 12).
    admin = web_client(app, "admin")
    for content in (b'{"visitcheck_export": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                    b'{"visitcheck_export": NaN, "export_id": "x", "sealed": {}}',
                    b'{"visitcheck_export": 1, "export_id": "\\u0000", "sealed": {}}',
                    b'{"visitcheck_export": 1' + b"0" * 5000 + b"}"):
        response = admin.post("/admin/import", data={
            "csrf_token": csrf_token(admin), "username": "hv",
            "file": (io.BytesIO(content), "export.json")},
            content_type="multipart/form-data")

        assert response.status_code == 400, response.status_code
        assert "not JSON" in response.get_data(as_text=True)
