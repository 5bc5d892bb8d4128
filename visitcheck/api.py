"""The JSON API at /api/v1 (DESIGN.md §6), built by `create_api_blueprint`: the
capabilities' blueprints (devices, sync) nested inside one `api` blueprint that
answers problem+json and refuses revoked devices before any of their routes.

This module sits above the capabilities it nests; what their routes share (problem
answers, sign-in and JSON-body checks) is in `api_edge.py`, below them all, so no
import goes back up (tests/unit/test_import_cycles.py)."""

from __future__ import annotations

from flask import Blueprint, request

from .api_edge import (
    DEVICE_HEADER,
    URL_PREFIX,
    StrictJSONProvider,
    problem,
    refuse_if_revoked,
)
from .database import is_uuid
from .devices import api as devices_api
from .sync import api as sync_api

__all__ = ["DEVICE_HEADER", "URL_PREFIX", "create_api_blueprint"]


def create_api_blueprint() -> Blueprint:
    """A fresh `api` blueprint per app, holding the capabilities' blueprints (their
    endpoints are `api.devices.*` and `api.sync.*`)."""
    bp = Blueprint("api", __name__, url_prefix=URL_PREFIX)
    bp.record_once(_strict_json_answers)
    bp.before_request(refuse_revoked_devices)
    bp.register_blueprint(devices_api.bp)
    bp.register_blueprint(sync_api.bp)
    return bp


def _strict_json_answers(state) -> None:
    # Set up with the API because the API is what clients parse; pages use it too.
    state.app.json = StrictJSONProvider(state.app)


def refuse_revoked_devices():
    header = request.headers.get(DEVICE_HEADER)
    if header is not None and not is_uuid(header):
        return problem(400, "invalid-device-header", f"{DEVICE_HEADER} must be a lowercase UUID",
                       "send the id this device registered with POST /api/v1/devices")
    if header is None:
        # The device a session registered is checked with the session itself, header
        # or not (auth.views.check_session_first): a revocation cannot be got round.
        return None
    return refuse_if_revoked(header)
