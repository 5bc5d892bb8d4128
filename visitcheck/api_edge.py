"""The edge of the JSON API at /api/v1 (DESIGN.md §6): problem+json answers, sign-in
and JSON-body checks, the revoked-device answer. Imports no capability, so every
capability's routes (and the app's error handlers) can import it; the blueprint
itself is built in `api.py`."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Response, abort, json, request
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException

from . import strict_json
from .devices import service as devices
from .extensions import db
from .problems import Problem

URL_PREFIX = "/api/v1"


def problem(status: int, type_: str, title: str, detail: str = "", **extra: Any) -> Response:
    """An RFC 9457 problem document."""
    body = Problem(type_, title, detail).as_json(status)
    body.update(extra)
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def is_api_request() -> bool:
    return request.path.startswith(URL_PREFIX + "/")


def api_login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return problem(401, "unauthenticated", "Sign in first",
                           "sign in at /login; the API uses the session cookie")
        return view(*args, **kwargs)

    return wrapper


def json_body() -> Any:
    """The request's JSON, or None when it is not sent as JSON (the caller answers 400).

    A body sent as JSON that is not strict JSON (NaN, Infinity, huge integers, NUL
    characters, deep nesting: see strict_json) is answered 400 `invalid-json` here,
    before any view or service sees it."""
    if not request.is_json:
        return None
    try:
        return strict_json.loads(request.get_data(cache=True))
    except strict_json.NotStrictJSON as error:
        abort(problem(400, "invalid-json", "The body is not strict JSON", str(error)))


class StrictJSONProvider(DefaultJSONProvider):
    """Answers are strict JSON: a NaN or Infinity that slipped through is a server
    error here rather than an answer no client's JSON parser reads."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)


# Every call from the tablet app names its device, so a revoked one learns to wipe
# even when its session has been ended.
DEVICE_HEADER = "X-Visitcheck-Device"


def device_revoked(mode: str) -> Response:
    extra = {}
    if mode == "retire" and current_user.is_authenticated:
        # A retired device may still push its outbox: after a restart it holds no
        # CSRF token and bootstrap answers 410, so the token comes with the answer.
        extra["csrf_token"] = generate_csrf()
    return problem(410, "device-revoked", "This device has been revoked",
                   "delete everything visitcheck holds on this device", wipe=True, mode=mode,
                   **extra)


# The push's endpoint: a retired device may still push (devices.service.check_not_revoked).
PUSH_ENDPOINT = "api.sync.push"


def is_push_request() -> bool:
    return request.endpoint == PUSH_ENDPOINT


def refuse_if_revoked(device_id: str) -> Response | None:
    """The 410 answer for a call from a revoked device, or None: whether the device
    is named in the header (api.refuse_revoked_devices) or bound to the session
    (auth.views.check_session_first)."""
    try:
        devices.check_not_revoked(devices.device_by_id(db.session, device_id),
                                  pushing=is_push_request())
    except devices.DeviceRevoked as revoked:
        return device_revoked(revoked.mode.value)
    return None


def http_error_as_problem(error: HTTPException) -> Response:
    return problem(error.code or 500, error.name.lower().replace(" ", "-"), error.name,
                   error.description or "")
