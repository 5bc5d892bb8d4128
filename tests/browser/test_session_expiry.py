"""The tablet's server session may end while it works offline (idle or absolute limit,
docs/security.md "Sessions"): what waits in its outbox is kept, and sent once the
practitioner signs in again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from visitcheck.auth.models import UserSession
from visitcheck.checklists.models import Checklist
from visitcheck.database import utcnow
from visitcheck.extensions import db

from .pages import PASSPHRASE, SLOW

pytestmark = pytest.mark.browser


def _checklists(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Checklist))


def test_an_outbox_waits_through_an_expired_session_and_syncs_after_the_next_sign_in(
        live_server, demo, tablet):
    tablet.go_offline()
    tablet.start_new_visit(0).save_draft()
    expect(tablet.status).to_have_attribute("data-waiting", "1")
    # A day offline: the server ends the tablet's session on its next call.
    with live_server.app.app_context():
        for record in db.session.scalars(select(UserSession)):
            record.last_seen_at = record.created_at = utcnow() - timedelta(hours=13)
        db.session.commit()

    tablet.go_online()
    tablet.page.get_by_role("button", name="Sync now").click()

    expect(tablet.status).to_have_attribute("data-phase", "signed-out", timeout=SLOW)
    expect(tablet.status).to_have_attribute("data-waiting", "1")
    assert _checklists(live_server.app) == 0

    tablet.sign_in("hv", demo.PASSWORD).unlock(PASSPHRASE)

    tablet.wait_until_synced()
    assert _checklists(live_server.app) == 1
