"""Personal fields at rest: one encrypted JSON document per row.

A table with personal data mixes in `EncryptedFields`; the services write and
read it only through `encrypt_fields` / `decrypt_fields`, so there is one
place where plaintext meets the database.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .keyring import Keyring
from .records import EncryptedRecord, decrypt_record, encrypt_record, rewrap_record


class EncryptedFields:
    if TYPE_CHECKING:
        # Declared by every table that mixes this in; only named here for the type checker.
        __tablename__: str
        id: Mapped[int]
        uuid: Mapped[str]

    key_id: Mapped[str] = mapped_column(String(32), index=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_fields: Mapped[bytes] = mapped_column(LargeBinary)

    def record_aad(self) -> bytes:
        return record_aad(self.__tablename__, self.uuid)


def record_aad(table: str, public_id: str) -> bytes:
    """Binds the ciphertext to its row: table and public id."""
    return f"{table}|{public_id}".encode()


def encrypt_fields(row: EncryptedFields, data: dict[str, Any], *, keyring: Keyring) -> None:
    for column, value in encrypted_columns(row.__tablename__, row.uuid, data,
                                           keyring=keyring).items():
        setattr(row, column, value)


def encrypted_columns(table: str, public_id: str, data: dict[str, Any], *,
                      keyring: Keyring) -> dict[str, Any]:
    """The values of `key_id`, `wrapped_key` and `sealed_fields` for `data`, bound to
    the row's table and public id: what `encrypt_fields` sets on an ORM object, and
    what a row inserted as plain values (a push's couple of hundred flags) carries."""
    plaintext = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    record = encrypt_record(plaintext, aad=record_aad(table, public_id), keyring=keyring)
    return {"key_id": record.key_id, "wrapped_key": record.wrapped_key,
            "sealed_fields": record.ciphertext}


def decrypt_fields(row: EncryptedFields, *, keyring: Keyring) -> dict[str, Any]:
    record = EncryptedRecord(row.key_id, row.wrapped_key, row.sealed_fields)
    return json.loads(decrypt_record(record, aad=row.record_aad(), keyring=keyring))


def decrypt_stored(table: str, public_id: str, key_id: str, wrapped_key: bytes,
                   sealed_fields: bytes, *, keyring: Keyring) -> dict[str, Any]:
    """`decrypt_fields` for a row read as plain columns rather than an ORM object (a
    page of many rows, where building the objects costs more than the decryption):
    the same record, bound to the same table and public id."""
    record = EncryptedRecord(key_id, wrapped_key, sealed_fields)
    return json.loads(decrypt_record(record, aad=record_aad(table, public_id),
                                     keyring=keyring))


def rewrap_fields(row: EncryptedFields, *, keyring: Keyring) -> bool:
    """Re-wrap the row's data key under the current master key; True if it changed."""
    record = EncryptedRecord(row.key_id, row.wrapped_key, row.sealed_fields)
    new = rewrap_record(record, keyring=keyring)
    if new is record:
        return False
    row.key_id, row.wrapped_key = new.key_id, new.wrapped_key
    return True
