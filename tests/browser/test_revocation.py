"""Revoking a device (DESIGN.md §6): a lost one wipes its vault on its next call;
a retired one sends its outbox first, then wipes. The revocation goes through
the CLI an administrator would use."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db

from .pages import SLOW, TabletApp

pytestmark = pytest.mark.browser


DEVICE_ID = """
async () => (await import("/static/app/vault.js")).readMeta("device_id")
"""

DATABASES = "async () => (await indexedDB.databases()).map((d) => d.name)"


def revoke(live_server, device_id: str, mode: str) -> None:
    result = live_server.app.test_cli_runner().invoke(
        args=["devices", "revoke", device_id, "--mode", mode])
    assert result.exit_code == 0, result.output


def expect_wiped(app: TabletApp, text: str) -> None:
    expect(app.page.locator("#message-title")).to_have_text("This device was signed out",
                                                           timeout=SLOW)
    expect(app.page.locator("#message-text")).to_contain_text(text)
    assert "visitcheck" not in app.page.evaluate(DATABASES)
    expect(app.page.locator("#households")).to_be_empty()


def test_lost_device_wipes_its_vault_on_its_next_call(live_server, tablet):
    device_id = tablet.page.evaluate(DEVICE_ID)
    revoke(live_server, device_id, "lost")

    with tablet.page.expect_response("**/api/v1/**") as answer:
        tablet.sync_now()
    assert answer.value.status == 410
    assert answer.value.request.headers["x-visitcheck-device"] == device_id
    expect_wiped(tablet, "revoked this device")


def test_lost_device_wipes_its_vault_when_the_app_starts(live_server, tablet):
    device_id = tablet.page.evaluate(DEVICE_ID)
    tablet.go_offline()
    tablet.start_new_visit(0).save_draft()
    revoke(live_server, device_id, "lost")

    tablet.go_online()
    tablet.page.goto("about:blank")
    tablet.open()
    expect_wiped(tablet, "revoked this device")
    with live_server.app.app_context():
        # Lost means lost: nothing more is accepted from it.
        assert db.session.scalar(select(func.count()).select_from(Checklist)) == 0


def test_retired_device_pushes_its_outbox_then_wipes(live_server, tablet):
    device_id = tablet.page.evaluate(DEVICE_ID)
    tablet.go_offline()
    tablet.start_new_visit(0).save_draft()
    expect(tablet.status).to_contain_text("1 visit waiting")
    revoke(live_server, device_id, "retire")

    pushes = []
    tablet.page.on("response", lambda r: pushes.append(r.status)
                   if r.url.endswith("/sync/push") else None)
    tablet.go_online()
    expect_wiped(tablet, "retired this device")
    assert pushes == [200]
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Checklist)) == 1
