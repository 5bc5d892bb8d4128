"""Server-side sessions: a cookie is worth something only while the server holds its
session open. Sign-out ends it for every worker, so does the idle limit and the
absolute limit; a tablet's sync session is bound to the device it registered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.review_support import csrf_token, web_client
from visitcheck.auth.models import UserSession
from visitcheck.database import utcnow
from visitcheck.devices import service as devices
from visitcheck.devices.service import RevokeMode
from visitcheck.extensions import db


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie("session", value)
    return client


def _age_sessions(app, *, idle: timedelta = timedelta(0), age: timedelta = timedelta(0)):
    """Make every open session as if last used `idle` ago and signed in `age` ago."""
    with app.app_context():
        now = utcnow()
        for record in db.session.scalars(select(UserSession)):
            record.last_seen_at = now - idle
            record.created_at = now - max(age, idle)
        db.session.commit()


def test_a_cookie_copied_before_sign_out_stops_working(app, demo):
    client = web_client(app, "hv")
    copied = _cookie(client)
    assert _with_cookie(app, copied).get("/api/v1/bootstrap").status_code == 200

    signed_out = client.post("/logout", data={"csrf_token": csrf_token(client)})

    assert signed_out.status_code == 302
    thief = _with_cookie(app, copied)
    assert thief.get("/api/v1/bootstrap").status_code == 401
    assert thief.get("/api/v1/sync/pull?cursor=0").status_code == 401
    page = thief.get("/review")
    assert page.status_code == 302
    assert "/login" in page.headers["Location"]


def test_a_lead_cookie_copied_before_sign_out_no_longer_opens_the_review_queue(app, demo):
    lead = web_client(app, "lead")
    copied = _cookie(lead)
    assert _with_cookie(app, copied).get("/review").status_code == 200

    lead.post("/logout", data={"csrf_token": csrf_token(lead)})

    again = _with_cookie(app, copied).get("/review")
    assert again.status_code == 302
    assert "/login" in again.headers["Location"]


def test_sign_out_on_one_worker_ends_the_session_on_every_worker(app, demo, another_app):
    client = web_client(app, "hv")
    copied = _cookie(client)
    other_worker = another_app()
    assert _with_cookie(other_worker, copied).get("/api/v1/bootstrap").status_code == 200

    client.post("/logout", data={"csrf_token": csrf_token(client)})

    assert _with_cookie(other_worker, copied).get("/api/v1/bootstrap").status_code == 401


def test_a_web_session_ends_after_thirty_minutes_unused(app, demo):
    client = web_client(app, "lead")
    _age_sessions(app, idle=timedelta(minutes=29))
    assert client.get("/api/v1/bootstrap").status_code == 200

    _age_sessions(app, idle=timedelta(minutes=31))

    assert client.get("/api/v1/bootstrap").status_code == 401
    with app.app_context():
        ended = db.session.scalars(select(UserSession)).one()
        assert (ended.end_reason, ended.ended_at is not None) == ("idle", True)


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(app, demo):
    client = web_client(app, "lead")
    _age_sessions(app, age=timedelta(hours=11, minutes=59))
    assert client.get("/api/v1/bootstrap").status_code == 200

    _age_sessions(app, age=timedelta(hours=12, minutes=1))

    assert client.get("/api/v1/bootstrap").status_code == 401


def test_use_keeps_a_session_open_past_the_idle_limit(app, demo):
    client = web_client(app, "lead")
    _age_sessions(app, idle=timedelta(minutes=20), age=timedelta(minutes=20))
    assert client.get("/api/v1/bootstrap").status_code == 200  # brings last use up to date

    with app.app_context():
        record = db.session.scalars(select(UserSession)).one()
        record.last_seen_at -= timedelta(minutes=20)  # 20 minutes since that use, not 40
        db.session.commit()

    assert client.get("/api/v1/bootstrap").status_code == 200


def test_the_tablets_sync_session_outlasts_a_morning_offline_but_not_a_day(
        app, api_client):
    hv = api_client("hv")  # registers a device: this is its sync session
    _age_sessions(app, idle=timedelta(hours=4))
    assert hv.pull().status_code == 200

    _age_sessions(app, idle=timedelta(hours=8, minutes=1))

    assert hv.pull().status_code == 401


def _revoke(app, device_id: str, mode: RevokeMode) -> None:
    with app.app_context():
        devices.revoke(db.session, device_id=device_id, mode=mode)
        db.session.commit()


@pytest.mark.parametrize("mode", [RevokeMode.RETIRE, RevokeMode.LOST])
def test_a_revoked_device_is_refused_without_its_header(app, api_client, mode):
    hv = api_client("hv")
    _revoke(app, hv.device_id, mode)

    # The same session, without naming the device.
    answer = hv.client.get("/api/v1/sync/pull?cursor=0")

    assert answer.status_code in (401, 410)
    assert "changes" not in answer.get_data(as_text=True)
    if mode == RevokeMode.RETIRE:
        assert answer.status_code == 410
        assert answer.get_json()["wipe"] is True


def test_a_retired_devices_session_may_still_push_its_outbox(app, api_client, demo):
    from tests.sealing import checklist_payload, sealed_op

    hv = api_client("hv")
    _revoke(app, hv.device_id, RevokeMode.RETIRE)
    op = sealed_op(hv.bootstrap, checklist_payload(demo.households[0]))

    answer = hv.client.post("/api/v1/sync/push", json={"device_id": hv.device_id,
                                                       "ops": [op]},
                            headers={"X-CSRFToken": hv.csrf})

    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["results"][0]["status"] == "applied"


def test_signing_in_again_starts_a_new_session_and_leaves_the_old_cookie_ended(app, demo):
    client = web_client(app, "hv")
    first = _cookie(client)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    again = web_client(app, "hv")

    assert _with_cookie(app, _cookie(again)).get("/api/v1/bootstrap").status_code == 200
    assert _with_cookie(app, first).get("/api/v1/bootstrap").status_code == 401


def test_sessions_older_than_a_month_are_deleted_when_their_user_signs_in_again(app, demo):
    web_client(app, "hv")
    web_client(app, "sn")
    _age_sessions(app, age=timedelta(days=31))

    web_client(app, "hv")

    with app.app_context():
        ages = sorted((utcnow() - r.created_at).days
                      for r in db.session.scalars(select(UserSession)))
    # hv's old session is gone; sn's stays until sn signs in again.
    assert ages == [0, 31]
