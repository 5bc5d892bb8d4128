"""A revoked device's session is refused with or without the X-Visitcheck-Device
header (issue 12): the session remembers the device it registered, and every
API call checks that device as well as the one the header names."""

from __future__ import annotations

import pytest

from tests.factories import make_household, make_team, make_user, signed_in
from tests.sealing import checklist_payload, sealed_op
from visitcheck.api import DEVICE_HEADER


@pytest.fixture
def health_visitor(app) -> str:
    """A health visitor in a team of her own: these tests need no one else."""
    return make_user(app, team=make_team(app), role="health_visitor")


def _revoke(app, device_id: str, mode: str):
    result = app.test_cli_runner().invoke(args=["devices", "revoke", device_id, "--mode", mode])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("path", ["/api/v1/sync/pull", "/api/v1/bootstrap"])
def test_a_retired_device_is_refused_when_it_omits_the_header(app, health_visitor, path):
    hv = signed_in(app, health_visitor)
    _revoke(app, hv.device_id, "retire")

    answer = hv.client.get(path)  # the raw client: no device header

    assert answer.status_code == 410
    assert answer.get_json()["mode"] == "retire"
    assert answer.get_json()["wipe"] is True


def test_a_retired_device_without_the_header_still_pushes_its_outbox(app, health_visitor):
    hv = signed_in(app, health_visitor)
    household = make_household(hv, "1 Device Lane", children=[{"name": "Kit"}])["id"]
    op = sealed_op(hv.bootstrap, checklist_payload(household))
    _revoke(app, hv.device_id, "retire")

    push = hv.client.post("/api/v1/sync/push", json={"device_id": hv.device_id, "ops": [op]},
                          headers={"X-CSRFToken": hv.csrf})

    assert push.status_code == 200
    assert push.get_json()["results"][0]["status"] == "applied"


def test_a_retired_devices_session_cannot_name_another_device(app, health_visitor):
    hv = signed_in(app, health_visitor)
    other = signed_in(app, health_visitor).device_id  # a device the user really has elsewhere
    _revoke(app, hv.device_id, "retire")

    pull = hv.client.get("/api/v1/sync/pull", headers={DEVICE_HEADER: other})
    register = hv.client.post("/api/v1/devices",
                              json={"device_id": "0f0f0f0f-0000-4000-8000-000000000000"},
                              headers={"X-CSRFToken": hv.csrf})

    assert pull.status_code == 410
    assert register.status_code == 410


def test_a_lost_devices_session_is_ended_with_or_without_the_header(app, health_visitor):
    hv = signed_in(app, health_visitor)
    _revoke(app, hv.device_id, "lost")

    assert hv.client.get("/api/v1/sync/pull").status_code == 401
    assert hv.client.get("/api/v1/sync/pull",
                         headers={DEVICE_HEADER: hv.device_id}).status_code == 410


def test_signing_in_again_after_a_retirement_starts_clean(app, health_visitor):
    retired = signed_in(app, health_visitor)
    _revoke(app, retired.device_id, "retire")

    fresh = signed_in(app, health_visitor)  # a new sign-in registers a new device

    assert fresh.client.get("/api/v1/sync/pull").status_code == 200
