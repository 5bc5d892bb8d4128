"""Revoking a device: retire (push, then wipe) and lost (410 and wipe on contact)."""

from __future__ import annotations

from tests.factories import make_household, make_team, make_user, signed_in
from tests.sealing import checklist_payload, sealed_op

DEVICE_HEADER = "X-Visitcheck-Device"


def _health_visitor(app) -> str:
    """A health visitor in a team of her own: these tests need no one else."""
    return make_user(app, team=make_team(app), role="health_visitor")


def _visit_to_push(app, hv) -> dict:
    """A checklist op for a household on hv's caseload, sealed but not yet pushed."""
    household = make_household(hv, "1 Device Lane", children=[{"name": "Kit"}])["id"]
    return sealed_op(hv.bootstrap, checklist_payload(household))


def _revoke(app, device_id: str, mode: str):
    return app.test_cli_runner().invoke(args=["devices", "revoke", device_id, "--mode", mode])


def test_a_lost_device_is_refused_everywhere_and_told_to_wipe(app):
    hv = signed_in(app, _health_visitor(app))
    op = _visit_to_push(app, hv)

    result = _revoke(app, hv.device_id, "lost")
    push = hv.push([op])
    pull = hv.client.get("/api/v1/sync/pull", headers={DEVICE_HEADER: hv.device_id})

    assert result.exit_code == 0, result.output
    assert push.status_code == 410
    assert push.get_json()["type"].endswith("/device-revoked")
    assert push.get_json()["wipe"] is True
    assert pull.status_code == 410
    assert pull.get_json()["wipe"] is True


def test_losing_a_device_ends_its_users_sessions(app):
    hv = signed_in(app, _health_visitor(app))

    _revoke(app, hv.device_id, "lost")

    assert hv.client.get("/api/v1/bootstrap").status_code == 401


def test_a_retired_device_may_push_its_outbox_then_is_told_to_wipe(app):
    hv = signed_in(app, _health_visitor(app))
    op = _visit_to_push(app, hv)

    _revoke(app, hv.device_id, "retire")
    push = hv.push([op])
    pull = hv.client.get("/api/v1/sync/pull", headers={DEVICE_HEADER: hv.device_id})

    assert push.status_code == 200
    assert push.get_json()["results"][0]["status"] == "applied"
    assert pull.status_code == 410
    assert pull.get_json()["mode"] == "retire"


def test_other_devices_of_the_user_go_on_after_a_retirement(app):
    username = _health_visitor(app)
    retired = signed_in(app, username).device_id
    _revoke(app, retired, "retire")

    # Another tablet of hers: its own browser, its own session (the retired tablet's
    # session is bound to the retired device).
    other = signed_in(app, username)
    pull = other.client.get("/api/v1/sync/pull", headers={DEVICE_HEADER: other.device_id})

    assert pull.status_code == 200


def test_revoking_an_unknown_device_says_so(app):
    result = _revoke(app, "00000000-0000-4000-8000-000000000000", "lost")

    assert result.exit_code != 0
    assert "no device" in result.output


def test_a_retired_device_restarting_gets_a_token_to_push_its_outbox_with(app):
    hv = signed_in(app, _health_visitor(app))
    op = _visit_to_push(app, hv)
    _revoke(app, hv.device_id, "retire")

    answer = hv.get("/api/v1/bootstrap")
    hv.csrf = answer.get_json()["csrf_token"]

    assert answer.status_code == 410
    assert hv.push([op]).get_json()["results"][0]["status"] == "applied"
