"""The last-resort export (docs/sync-protocol.md, "Last-resort export").

A device that cannot sync saves its unsynced outbox as one file: the ops,
each already sealed to the server, gathered into a JSON document that is
itself sealed to the server as one envelope of type ``export``. An
administrator imports the file; importing applies the ops exactly as a push
from that device would (`push.apply_push`, the same unit of work), so importing twice, or the
device pushing the same ops later, is answered ``duplicate`` and stores
nothing twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from .. import strict_json
from ..audit import service as audit
from ..auth.models import Role, User
from ..database import DbSession, is_uuid
from ..devices import service as devices
from ..keys import Keyring, SealedEnvelopeInvalid, sealed_aad
from ..keys.service import open_envelope
from . import push

EXPORT_FORMAT = 1
EXPORT_KIND = "visitcheck-export"
EXPORT_TYPE = "export"
OUTER_KEYS = {"visitcheck_export", "export_id", "sealed"}
INNER_KEYS = {"v", "kind", "export_id", "user_id", "device_id", "created_at", "ops"}


class ExportInvalid(ValueError):
    """The file is not a visitcheck export, or it does not open on this server."""


class ExportForAnotherUser(ValueError):
    """The export was made on a device of another user than the one named."""


class ImportForbidden(Exception):
    """Only an administrator imports exports."""


class UnknownUser(ValueError):
    pass


@dataclass(frozen=True)
class ImportResult:
    export_id: str
    device_id: str
    username: str
    created_at: str
    answers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(answer["status"] for answer in self.answers)
        return {status: counted.get(status, 0)
                for status in ("applied", "duplicate", "conflict", "rejected")}


def export_aad(export_id: str) -> bytes:
    """The export envelope's additional data: an op of type "export" whose entity and
    op id are both the export id, at base revision 0."""
    return sealed_aad(EXPORT_TYPE, export_id, export_id, 0)


def open_export(session: DbSession, *, data: bytes, keyring: Keyring) -> dict[str, Any]:
    """Check the file's shape and open its envelope; returns the inner document."""
    try:
        outer = strict_json.loads(data)
    except ValueError:  # (strict_json.NotStrictJSON is one)
        raise ExportInvalid("the file is not JSON: is it a visitcheck export?") from None
    if not isinstance(outer, dict) or set(outer) != OUTER_KEYS \
            or outer["visitcheck_export"] != EXPORT_FORMAT:
        raise ExportInvalid("the file is not a visitcheck export (format 1)")
    export_id = outer["export_id"]
    if not is_uuid(export_id):
        raise ExportInvalid("the export id must be a lowercase UUID")
    try:
        plaintext = open_envelope(session, outer["sealed"], aad=export_aad(export_id),
                                  keyring=keyring)
        inner = strict_json.loads(plaintext)
    except SealedEnvelopeInvalid as error:
        raise ExportInvalid(f"the export does not open on this server: {error}") from None
    except ValueError:
        raise ExportInvalid("the sealed content is not JSON") from None
    if not isinstance(inner, dict) or set(inner) != INNER_KEYS or inner["v"] != EXPORT_FORMAT \
            or inner["kind"] != EXPORT_KIND:
        raise ExportInvalid("the sealed content is not a visitcheck export (format 1)")
    if inner["export_id"] != export_id:
        raise ExportInvalid("the sealed export id differs from the one outside")
    if not is_uuid(inner["user_id"]) or not is_uuid(inner["device_id"]):
        raise ExportInvalid("user_id and device_id must be lowercase UUIDs")
    if not isinstance(inner["ops"], list):
        raise ExportInvalid("ops must be a list")
    return inner


def import_export(
    session: DbSession, *, data: bytes, username: str, keyring: Keyring,
    actor: User | None = None, actor_username: str | None = None,
) -> ImportResult:
    """Apply an export's ops for `username`, as that user's device would push them.

    Commits, as a push does (sync/push.py). `actor` is the administrator on the web; the CLI passes
    `actor_username` instead. Raises ImportForbidden, UnknownUser, ExportInvalid,
    ExportForAnotherUser.
    """
    if actor is not None and actor.role != Role.ADMIN:
        raise ImportForbidden()
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise UnknownUser(f"no user {username!r}")
    content = open_export(session, data=data, keyring=keyring)
    if content["user_id"] != user.uuid:
        raise ExportForAnotherUser(
            f"this export was made by another user than {username!r}; nothing was imported")
    device = devices.device_by_id(session, content["device_id"])
    if device is not None and device.user_id != user.id:
        raise ExportInvalid("the export names a device registered to another user")
    results: list[ImportResult] = []

    def audited(answers: list[dict[str, Any]]) -> None:
        result = ImportResult(export_id=content["export_id"], device_id=content["device_id"],
                              username=user.username, created_at=str(content["created_at"]),
                              answers=answers)
        audit.record(session, action="sync.import", actor=actor, actor_username=actor_username,
                     object_type="user", object_id=user.uuid,
                     detail={"export_id": result.export_id, "device_id": result.device_id,
                             "ops": len(answers), **result.counts})
        results.append(result)

    # The push's unit of work (sync/push.py): the same transactions, fallback and
    # flags as the device's own push of these ops; the audit record commits with them.
    push.apply_push(session, user=user, device_id=content["device_id"], ops=content["ops"],
                    keyring=keyring, then=audited)
    return results[-1]
