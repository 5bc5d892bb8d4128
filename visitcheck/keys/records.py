"""Encryption at rest: a fresh AES-256-GCM data key per record, wrapped by a master key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import DecryptionFailed
from .keyring import Keyring

NONCE_BYTES = 12
TAG_BYTES = 16
# A record's ciphertext is its plaintext's length plus this (AES-GCM keeps lengths).
RECORD_OVERHEAD = NONCE_BYTES + TAG_BYTES


@dataclass(frozen=True)
class EncryptedRecord:
    key_id: str  # the master key that wraps the data key
    wrapped_key: bytes  # nonce || AES-GCM(master, data key)
    ciphertext: bytes  # nonce || AES-GCM(data key, plaintext)


def _wrap_aad(key_id: str) -> bytes:
    return b"visitcheck/dek|" + key_id.encode()


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


@lru_cache(maxsize=16)
def _master_cipher(master: bytes) -> AESGCM:
    """One cipher object per master key, made once: it unwraps every record's data key
    (a catch-up pull opens tens of thousands of records)."""
    return AESGCM(master)


def _open(key: bytes | AESGCM, blob: bytes, aad: bytes) -> bytes:
    cipher = key if isinstance(key, AESGCM) else AESGCM(key)
    try:
        return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):
        raise DecryptionFailed("record does not decrypt") from None


def encrypt_record(plaintext: bytes, *, aad: bytes, keyring: Keyring) -> EncryptedRecord:
    """`aad` names the record (table and id) so a ciphertext cannot be moved to another row."""
    data_key = AESGCM.generate_key(bit_length=256)
    key_id = keyring.current_master_id
    return EncryptedRecord(
        key_id=key_id,
        wrapped_key=_seal(keyring.current_master_key, data_key, _wrap_aad(key_id)),
        ciphertext=_seal(data_key, plaintext, aad),
    )


def decrypt_record(record: EncryptedRecord, *, aad: bytes, keyring: Keyring) -> bytes:
    master = _master_cipher(keyring.master_key(record.key_id))
    data_key = _open(master, record.wrapped_key, _wrap_aad(record.key_id))
    return _open(data_key, record.ciphertext, aad)


def rewrap_record(record: EncryptedRecord, *, keyring: Keyring) -> EncryptedRecord:
    """Wrap the same data key under the current master key; the ciphertext is untouched."""
    if record.key_id == keyring.current_master_id:
        return record
    master = keyring.master_key(record.key_id)
    data_key = _open(master, record.wrapped_key, _wrap_aad(record.key_id))
    key_id = keyring.current_master_id
    return EncryptedRecord(
        key_id=key_id,
        wrapped_key=_seal(keyring.current_master_key, data_key, _wrap_aad(key_id)),
        ciphertext=record.ciphertext,
    )
