"""The device protocol: bootstrap, push and pull (DESIGN.md §6)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, json, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..api_edge import api_login_required, device_revoked, json_body, problem
from ..audit import service as audit
from ..checklists import service as checklists
from ..devices.service import DeviceRevoked
from ..extensions import db, keyring, limiter
from ..keys.service import current_sealing_key
from ..people import vocabulary
from ..rules import calendar as rules_calendar
from . import push as unit_of_work
from . import service
from .service import MAX_OPS, MAX_PULL_LIMIT, DeviceNotRegistered

# Nested in the `api` blueprint (api.create_api_blueprint), under /api/v1.
bp = Blueprint("sync", __name__)


def _user_key() -> str:
    return "user:" + (current_user.get_id() if current_user.is_authenticated else "anonymous")


@bp.get("/bootstrap")
@api_login_required
def bootstrap():
    config = current_app.config["VISITCHECK"]
    body = {
        "user": {"id": current_user.uuid, "name": current_user.name, "role": current_user.role},
        "csrf_token": generate_csrf(),
        "policy": {
            "idle_lock_seconds": config.idle_lock_seconds,
            "max_unlock_failures": config.max_unlock_failures,
            "pbkdf2_iterations": config.pbkdf2_iterations,
            "sync_backoff_max_seconds": config.sync_backoff_max_seconds,
        },
        "sealing_key": current_sealing_key(db.session).as_json(),
        "templates": checklists.all_templates(db.session),
        "calendar": rules_calendar.calendar(today=datetime.now(UTC).date()),
        # The people and concern choices the tablet's forms offer (people/vocabulary.json).
        "vocabulary": vocabulary.served(),
    }
    # Keys in the order stored (Flask sorts them by default): the templates the
    # tablet gets equal the ones loaded (docs/rules.md).
    return Response(json.dumps(body, sort_keys=False), mimetype="application/json")


@bp.post("/sync/push")
@api_login_required
@limiter.limit(lambda: current_app.config["VISITCHECK"].sync_rate_limit, key_func=_user_key)
def push():
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("ops"), list):
        return problem(400, "invalid-request", "Expected {device_id, ops: [...]}")
    if len(body["ops"]) > MAX_OPS:
        return problem(413, "too-many-ops", "Too many ops",
                       f"send at most {MAX_OPS} ops per request")
    try:
        service.check_push_device(db.session, user=current_user, device_id=body.get("device_id"))
    except DeviceNotRegistered:
        return problem(403, "device-not-registered", "Register this device first",
                       "POST /api/v1/devices with the device id before pushing")
    except DeviceRevoked as revoked:
        return device_revoked(revoked.mode.value)
    db.session.rollback()
    # One unit of work (sync/push.py): the admin and CLI imports apply ops the same way.
    results = unit_of_work.apply_push(db.session, user=current_user, device_id=body["device_id"],
                                      ops=body["ops"], keyring=keyring())
    return {"results": results}


# Change numbers are 64-bit integer columns: a cursor beyond them names no change.
MAX_QUERY_INT = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def _whole_number(text: str) -> int | None:
    """Plain ASCII digits within a 64-bit column, else None (int() also takes
    "+5", " 5 " and other scripts' digits, and numbers of any size)."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_QUERY_INT else None


def _compact_json(value: Any) -> str:
    """The API's JSON provider, compact (as it answers outside debug mode)."""
    return current_app.json.dumps(value, separators=(",", ":"))


@bp.get("/sync/pull")
@api_login_required
def pull():
    cursor = _whole_number(request.args.get("cursor", "0"))
    limit = _whole_number(request.args.get("limit", "100"))
    if cursor is None or limit is None or not 1 <= limit <= MAX_PULL_LIMIT:
        return problem(400, "invalid-request", "cursor and limit must be whole numbers",
                       f"cursor from 0 to {MAX_QUERY_INT}, limit from 1 to {MAX_PULL_LIMIT}")
    page = service.pull_encoded(db.session, user=current_user, cursor=cursor, limit=limit,
                                keyring=keyring(), encode=_compact_json)
    answer = page.answer
    if answer["changes"]:
        audit.record(db.session, action="sync.pull", actor=current_user,
                     ip=request.remote_addr,
                     detail={"cursor": cursor, "entities": [
                         f"{c['type']}:{c['entity_id']}" for c in answer["changes"]]},
                     subjects=[f"{c['type']}:{c['entity_id']}" for c in answer["changes"]])
        db.session.commit()
    # Encoded once, as the service cut the page (the same bytes as returning `answer`).
    return Response(page.body, mimetype="application/json")
