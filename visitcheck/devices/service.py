"""Devices: registration by the browser, and revocation (retire, or lost = remote wipe)."""

from __future__ import annotations

import enum

from sqlalchemy import select

from ..auth import service as auth
from ..auth.models import User
from ..database import DbSession, utcnow
from .models import Device

MAX_LABEL = 200


class RevokeMode(enum.StrEnum):
    # The device may still push its outbox, then is told to wipe.
    RETIRE = "retire"
    # Every call is refused with 410 and the device wipes its vault on contact.
    LOST = "lost"


class DeviceOwnedByAnother(Exception):
    """The device id is registered to another user."""


class UnknownDevice(Exception):
    pass


class DeviceRevoked(Exception):
    def __init__(self, mode: RevokeMode):
        super().__init__(mode.value)
        self.mode = mode


def device_by_id(session: DbSession, device_id: str) -> Device | None:
    return session.scalars(select(Device).where(Device.device_id == device_id)).first()


def device_for_user(session: DbSession, *, user: User, device_id: str) -> Device | None:
    device = device_by_id(session, device_id)
    if device is None or device.user_id != user.id:
        return None
    return device


def register(session: DbSession, *, user: User, device_id: str, label: str) -> tuple[Device, bool]:
    """Idempotent: (device, created). A revoked device cannot come back under the same id."""
    device = device_by_id(session, device_id)
    if device is not None:
        if device.user_id != user.id:
            raise DeviceOwnedByAnother()
        check_not_revoked(device, pushing=False)
        device.last_seen_at = utcnow()
        return device, False
    device = Device(device_id=device_id, user_id=user.id, label=label[:MAX_LABEL] or "device")
    session.add(device)
    session.flush()
    return device, True


def check_not_revoked(device: Device | None, *, pushing: bool) -> None:
    """Raise DeviceRevoked unless this call may go ahead.

    A retired device may still push (to empty its outbox); a lost one may do nothing.
    """
    if device is None or device.revoked_at is None:
        return
    if device.revoke_mode is None:
        raise ValueError(f"device {device.device_id} is revoked without a revoke mode")
    mode = RevokeMode(device.revoke_mode)
    if mode == RevokeMode.RETIRE and pushing:
        return
    raise DeviceRevoked(mode)


def revoke(session: DbSession, *, device_id: str, mode: RevokeMode) -> Device:
    device = device_by_id(session, device_id)
    if device is None:
        raise UnknownDevice(device_id)
    device.revoked_at = device.revoked_at or utcnow()
    device.revoke_mode = mode.value
    if mode == RevokeMode.LOST:
        # Whoever holds the tablet holds its session cookie too.
        auth.end_all_sessions(session.get_one(User, device.user_id))
    session.flush()
    return device


def devices_of(session: DbSession, *, user: User | None = None) -> list[Device]:
    query = select(Device).order_by(Device.registered_at)
    if user is not None:
        query = query.where(Device.user_id == user.id)
    return list(session.scalars(query))
