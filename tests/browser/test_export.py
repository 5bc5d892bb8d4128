"""The last-resort export from the tablet: one opaque file sealed to the server, which an
administrator imports; importing twice, and the device syncing later, stores one copy."""

from __future__ import annotations

import json
import secrets

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db

from .pages import PASSPHRASE, SLOW, TabletApp

pytestmark = pytest.mark.browser


def _checklists(live_server) -> int:
    with live_server.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Checklist))


def test_unsynced_items_exported_to_a_file_import_once_however_often_they_arrive(
        live_server, demo, page, tmp_path):
    canary = f"CANARY-{secrets.token_hex(8)}"
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    app.wait_until_synced().go_offline()
    address = app.household_address(0)
    form = app.start_new_visit(0)
    form.fill_visit_section(present=f"Mother and {canary}")
    form.save_draft()
    app.back_to_list()

    download = app.export_unsynced()

    expect(page.locator("#export-message")).to_contain_text("Exported 1 unsynced item")
    assert download.suggested_filename.startswith("visitcheck-export-")
    file = tmp_path / download.suggested_filename
    download.save_as(file)
    text = file.read_text()
    assert canary not in text
    assert address not in text
    exported = json.loads(text)
    assert set(exported) == {"visitcheck_export", "export_id", "sealed"}
    assert set(exported["sealed"]) == {"v", "kid", "epk", "iv", "ct"}

    runner = live_server.app.test_cli_runner()
    first = runner.invoke(args=["sync", "import", str(file), "--username", "hv"])
    second = runner.invoke(args=["sync", "import", str(file), "--username", "hv"])

    assert first.exit_code == 0, first.output
    assert "1 applied, 0 duplicate" in first.output
    assert "0 applied, 1 duplicate" in second.output
    assert _checklists(live_server) == 1
    # The device comes back online and sends the same op: a duplicate, not a copy.
    app.go_online().wait_until_synced(timeout=SLOW)
    assert _checklists(live_server) == 1


def test_with_nothing_waiting_there_is_nothing_to_export(live_server, demo, page):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    app.wait_until_synced()

    page.get_by_role("button", name="Export unsynced items").click()

    expect(page.locator("#export-message")).to_contain_text("nothing to export")
