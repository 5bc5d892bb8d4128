"""Key operations the rest of the server calls: sealing keys, opening envelopes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from ..database import DbSession, new_uuid, utcnow
from .errors import DecryptionFailed, KeyUnavailable, SealedEnvelopeInvalid
from .fields import EncryptedFields, decrypt_fields, encrypt_fields, rewrap_fields
from .keyring import Keyring, b64url_encode
from .models import ServerKey
from .sealing import ALGORITHM, envelope_kid, open_sealed, public_key_bytes

SEALING = "sealing"


@dataclass(frozen=True)
class SealingPublicKey:
    kid: str
    public_key: bytes

    def as_json(self) -> dict[str, str]:
        return {"kid": self.kid, "alg": ALGORITHM, "public_key": b64url_encode(self.public_key)}


def _sealing_kid(public_key: bytes) -> str:
    return "seal-" + hashlib.sha256(public_key).hexdigest()[:16]


def create_sealing_key(session: DbSession, *, keyring: Keyring) -> SealingPublicKey:
    """A new P-256 key pair; the newest unretired one is handed to devices."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    public = public_key_bytes(private_key)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    row = ServerKey(uuid=new_uuid(), kid=_sealing_kid(public), purpose=SEALING, public_key=public)
    encrypt_fields(row, {"private_key_pem": pem}, keyring=keyring)
    session.add(row)
    session.flush()
    keyring.sealing_private_keys[row.kid] = private_key
    return SealingPublicKey(row.kid, public)


def current_sealing_key(session: DbSession) -> SealingPublicKey:
    row = session.scalars(
        select(ServerKey)
        .where(ServerKey.purpose == SEALING, ServerKey.retired_at.is_(None))
        .order_by(ServerKey.created_at.desc(), ServerKey.id.desc())
        .limit(1)
    ).first()
    if row is None:
        raise KeyUnavailable("no sealing key: run `flask --app visitcheck init-db`")
    return SealingPublicKey(row.kid, row.public_key)


def ensure_sealing_key(session: DbSession, *, keyring: Keyring) -> SealingPublicKey:
    try:
        return current_sealing_key(session)
    except KeyUnavailable:
        return create_sealing_key(session, keyring=keyring)


def retire_sealing_keys(session: DbSession) -> int:
    """Stop handing out the current keys; they keep opening what was sealed to them."""
    rows = session.scalars(
        select(ServerKey).where(ServerKey.purpose == SEALING, ServerKey.retired_at.is_(None))
    ).all()
    for row in rows:
        row.retired_at = utcnow()
    return len(rows)


def _private_key(session: DbSession, kid: str, *, keyring: Keyring) -> ec.EllipticCurvePrivateKey:
    cached = keyring.sealing_private_keys.get(kid)
    if cached is not None:
        return cached  # type: ignore[return-value]
    row = session.scalars(
        select(ServerKey).where(ServerKey.kid == kid, ServerKey.purpose == SEALING)
    ).first()
    if row is None:
        raise SealedEnvelopeInvalid(f"unknown sealing key {kid!r}")
    pem = decrypt_fields(row, keyring=keyring)["private_key_pem"]
    private_key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(private_key, ec.EllipticCurvePrivateKey)  # noqa: S101 - we wrote it
    keyring.sealing_private_keys[kid] = private_key
    return private_key


def open_envelope(session: DbSession, envelope: Any, *, aad: bytes, keyring: Keyring) -> bytes:
    """Open a device's sealed envelope with the private key its kid names."""
    private_key = _private_key(session, envelope_kid(envelope), keyring=keyring)
    return open_sealed(envelope, aad=aad, private_key=private_key)


# --- rotation ------------------------------------------------------------------

REWRAP_BATCH = 500


def rewrap_all(
    session: DbSession, *, keyring: Keyring, models: Sequence[type[EncryptedFields]]
) -> dict[str, int]:
    """Re-wrap every row's data key under the current master key, in batches.

    Safe while the app serves: a row is readable under its old key until its
    new wrapping commits, and the ciphertext itself never changes.
    Returns rows re-wrapped per table.
    """
    counts: dict[str, int] = {}
    for model in models:
        done = 0
        while True:
            rows = session.scalars(
                select(model).where(model.key_id != keyring.current_master_id)
                .order_by(model.id).limit(REWRAP_BATCH)
            ).all()
            if not rows:
                break
            for row in rows:
                rewrap_fields(row, keyring=keyring)
            session.flush()
            session.commit()  # batch by batch: a long rotation holds no long lock
            done += len(rows)
        counts[model.__tablename__] = done
    return counts


def key_usage(
    session: DbSession, *, models: Sequence[type[EncryptedFields]]
) -> dict[str, dict[str, int]]:
    """Rows per table per master key id."""
    from sqlalchemy import func

    usage: dict[str, dict[str, int]] = {}
    for model in models:
        rows = session.execute(
            select(model.key_id, func.count()).group_by(model.key_id)
        ).all()
        usage[model.__tablename__] = {key_id: count for key_id, count in rows}
    return usage


def sealing_keys(session: DbSession) -> list[ServerKey]:
    return list(session.scalars(
        select(ServerKey).where(ServerKey.purpose == SEALING).order_by(ServerKey.created_at)))


def rotate_sealing_key(session: DbSession, *, keyring: Keyring) -> SealingPublicKey:
    """Retire the current sealing key (it still opens what was sealed to it) and make a new one."""
    retire_sealing_keys(session)
    return create_sealing_key(session, keyring=keyring)


def check_keyring_opens_database(session: DbSession, *, keyring: Keyring,
                                 models: Sequence[type[EncryptedFields]]) -> None:
    """Raise KeyUnavailable or DecryptionFailed unless `keyring` opens what is stored:
    every master key id in use is held, and the stored sealing keys decrypt. Run at
    start-up, so a wrong key stops the app rather than failing every later read."""
    held = list(keyring.master_keys)
    for model in models:
        missing = session.scalars(
            select(model.key_id).where(model.key_id.not_in(held)).limit(1)).first()
        if missing is not None:
            raise KeyUnavailable(f"{model.__tablename__} are wrapped under master key "
                                 f"{missing}, which was not given")
    for row in session.scalars(select(ServerKey).order_by(ServerKey.id)):
        try:
            decrypt_fields(row, keyring=keyring)
        except DecryptionFailed:
            raise DecryptionFailed(f"sealing key {row.kid} does not decrypt under master "
                                   f"key {row.key_id}") from None
