"""POST /api/v1/devices: a browser registers the device id it made for its vault."""

from __future__ import annotations

from flask import Blueprint
from flask import session as cookie_session
from flask_login import current_user

from ..api_edge import api_login_required, device_revoked, json_body, problem
from ..auth import sessions
from ..database import is_uuid
from ..extensions import db
from . import service
from .service import DeviceOwnedByAnother, DeviceRevoked

# Nested in the `api` blueprint (api.create_api_blueprint), under /api/v1.
bp = Blueprint("devices", __name__)


@bp.post("/devices")
@api_login_required
def register_device():
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("device_id"), str):
        return problem(400, "invalid-request", "device_id is required",
                       errors=[{"field": "device_id", "message": "is required"}])
    if not is_uuid(body["device_id"]):
        return problem(400, "invalid-request", "device_id must be a lowercase UUID",
                       errors=[{"field": "device_id", "message": "must be a lowercase UUID"}])
    label = body.get("label", "")
    if not isinstance(label, str) or len(label) > service.MAX_LABEL:
        message = f"must be text of at most {service.MAX_LABEL} characters"
        return problem(400, "invalid-request", "label must be text",
                       errors=[{"field": "label", "message": message}])
    try:
        device, created = service.register(db.session, user=current_user,
                                           device_id=body["device_id"], label=label)
    except DeviceOwnedByAnother:
        return problem(409, "device-id-taken", "This device id belongs to another user")
    except DeviceRevoked as revoked:
        return device_revoked(revoked.mode.value)
    # From now on this is the device's sync session, refused once the device is revoked.
    sessions.bind_device(db.session, token=cookie_session.get(sessions.SESSION_TOKEN_KEY),
                         device_id=device.device_id)
    db.session.commit()
    return {"device_id": device.device_id, "label": device.label}, (201 if created else 200)
