"""Devices: registration by the browser, and (later) revocation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..database import utcnow
from .models import Device

MAX_LABEL = 200


class DeviceOwnedByAnother(Exception):
    """The device id is registered to another user."""


def device_for_user(session: Session, *, user: User, device_id: str) -> Device | None:
    device = session.scalars(select(Device).where(Device.device_id == device_id)).first()
    if device is None or device.user_id != user.id:
        return None
    return device


def register(session: Session, *, user: User, device_id: str, label: str) -> tuple[Device, bool]:
    """Idempotent: (device, created)."""
    device = session.scalars(select(Device).where(Device.device_id == device_id)).first()
    if device is not None:
        if device.user_id != user.id:
            raise DeviceOwnedByAnother()
        device.last_seen_at = utcnow()
        return device, False
    device = Device(device_id=device_id, user_id=user.id, label=label[:MAX_LABEL] or "device")
    session.add(device)
    session.flush()
    return device, True
