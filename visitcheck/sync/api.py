"""The device protocol: bootstrap, push and pull (DESIGN.md §6)."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError, OperationalError

from ..api import api_login_required, bp, device_revoked, json_body, problem
from ..audit import service as audit
from ..checklists import service as checklists
from ..devices.service import DeviceRevoked
from ..extensions import db, keyring, limiter
from ..keys.service import current_sealing_key
from ..rules import service as flags
from . import service
from .service import MAX_OPS, DeviceNotRegistered

# A lost answer or a lock timeout is retried this many times before giving up on an op.
OP_ATTEMPTS = 3


def _user_key() -> str:
    return "user:" + (current_user.get_id() if current_user.is_authenticated else "anonymous")


@bp.get("/bootstrap")
@api_login_required
def bootstrap():
    config = current_app.config["VISITCHECK"]
    return {
        "user": {"id": current_user.uuid, "name": current_user.name, "role": current_user.role},
        "csrf_token": generate_csrf(),
        "policy": {
            "idle_lock_seconds": config.idle_lock_seconds,
            "max_unlock_failures": config.max_unlock_failures,
            "pbkdf2_iterations": config.pbkdf2_iterations,
        },
        "sealing_key": current_sealing_key(db.session).as_json(),
        "templates": checklists.all_templates(db.session),
    }


def _apply_in_own_transaction(device_id: str, op) -> dict:
    """One op, one transaction: its effect and its recorded answer commit together."""
    for attempt in range(OP_ATTEMPTS):
        try:
            answer = service.apply_op(db.session, user=current_user, device_id=device_id,
                                      op=op, keyring=keyring())
            db.session.commit()
            return answer
        except (IntegrityError, OperationalError):
            # A copy of the op committed by a concurrent request, or a lock timeout.
            db.session.rollback()
            if attempt == OP_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _apply_all(device_id: str, ops: list) -> list[dict]:
    """All ops in one transaction (one commit, one turn of the feed lock); if
    anything unexpected happens, roll it all back and take them one by one."""
    try:
        answers = service.apply_ops(db.session, user=current_user, device_id=device_id,
                                    ops=ops, keyring=keyring())
        db.session.commit()
        return answers
    except (IntegrityError, OperationalError):
        db.session.rollback()
        return [_apply_in_own_transaction(device_id, op) for op in ops]


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
    device_id = body["device_id"]
    db.session.rollback()
    results = _apply_all(device_id, body["ops"])
    _evaluate_flags(body["ops"], results)
    return {"results": results}


def _evaluate_flags(ops: list, results: list[dict]) -> None:
    """The server's rules over the checklists this push submitted, now that the ops
    have committed and the feed lock is free: they only read, so pushes from other
    devices go on meanwhile. The answers stand whatever happens here; a checklist
    whose flags could not be evaluated stays due for the lead's queue to evaluate."""
    stored = [op["entity_id"] for op, result in zip(ops, results, strict=True)
              if result["status"] == "applied" and op["type"] == "checklist.put"]
    try:
        flags.evaluate_due_flags(db.session, checklist_ids=stored, keyring=keyring())
        marked = flags.take_marked(db.session)
        if marked:  # the open checklists whose facts this push changed
            flags.evaluate_due_flags(db.session, row_ids=marked, keyring=keyring(),
                                     limit=flags.PUSH_EVALUATES_OTHERS)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the push committed; the device must get its answers
        db.session.rollback()
        current_app.logger.exception("server flags left due after a push")


@bp.get("/sync/pull")
@api_login_required
def pull():
    try:
        cursor = int(request.args.get("cursor", "0"))
        limit = int(request.args.get("limit", "100"))
    except ValueError:
        return problem(400, "invalid-request", "cursor and limit must be whole numbers")
    if cursor < 0 or limit < 1:
        return problem(400, "invalid-request", "cursor must be >= 0 and limit >= 1")
    answer = service.pull(db.session, user=current_user, cursor=cursor, limit=limit,
                          keyring=keyring())
    if answer["changes"]:
        audit.record(db.session, action="sync.pull", actor=current_user,
                     ip=request.remote_addr,
                     detail={"cursor": cursor, "entities": [
                         f"{c['type']}:{c['entity_id']}" for c in answer["changes"]]})
        db.session.commit()
    return answer
