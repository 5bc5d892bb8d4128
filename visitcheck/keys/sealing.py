"""Sealed envelopes (DESIGN.md §6): what a device encrypts to the server's public key.

ECDH P-256 with an ephemeral key, HKDF-SHA256, AES-256-GCM. The additional
data binds the ciphertext to the op that carries it.
"""

from __future__ import annotations

import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import SealedEnvelopeInvalid
from .keyring import b64url_decode, b64url_encode

ALGORITHM = "ECDH-P256+HKDF-SHA256+A256GCM"
ENVELOPE_VERSION = 1
HKDF_INFO = b"visitcheck sealed v1"
POINT_BYTES = 65
IV_BYTES = 12
TAG_BYTES = 16


def sealed_aad(op_type: str, entity_id: str, op_id: str, base_rev: int) -> bytes:
    return f"visitcheck/v1|{op_type}|{entity_id}|{op_id}|{int(base_rev)}".encode()


def public_key_bytes(private_key: ec.EllipticCurvePrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def _content_key(shared_x: bytes, epk: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=epk, info=HKDF_INFO).derive(shared_x)


def seal(
    plaintext: bytes,
    *,
    public_key: bytes,
    kid: str,
    aad: bytes,
    ephemeral_key: ec.EllipticCurvePrivateKey | None = None,
    iv: bytes | None = None,
) -> dict[str, Any]:
    """What a device does, in Python: for other clients, test vectors and benchmarks.

    `ephemeral_key` and `iv` are for test vectors only (a fixed envelope);
    real sealing always leaves them out, so both are fresh each time.
    """
    recipient = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key)
    ephemeral = ephemeral_key or ec.generate_private_key(ec.SECP256R1())
    epk = public_key_bytes(ephemeral)
    key = _content_key(ephemeral.exchange(ec.ECDH(), recipient), epk)
    if iv is None:
        iv = secrets.token_bytes(IV_BYTES)
    elif len(iv) != IV_BYTES:
        raise ValueError("iv must be 12 bytes")
    ct = AESGCM(key).encrypt(iv, plaintext, aad)
    return {
        "v": ENVELOPE_VERSION,
        "kid": kid,
        "epk": b64url_encode(epk),
        "iv": b64url_encode(iv),
        "ct": b64url_encode(ct),
    }


# Key ids are short printable ASCII (ours are base64url); anything else names no key
# and is refused before it reaches a query (a NUL byte made PostgreSQL raise).
MAX_KID_LENGTH = 64


def envelope_kid(envelope: Any) -> str:
    if not isinstance(envelope, dict) or not isinstance(envelope.get("kid"), str):
        raise SealedEnvelopeInvalid("envelope must be an object with a string kid")
    kid = envelope["kid"]
    if not 0 < len(kid) <= MAX_KID_LENGTH or not (kid.isascii() and kid.isprintable()):
        raise SealedEnvelopeInvalid(
            f"kid must be 1 to {MAX_KID_LENGTH} printable ASCII characters")
    return kid


def open_sealed(
    envelope: Any, *, aad: bytes, private_key: ec.EllipticCurvePrivateKey
) -> bytes:
    if not isinstance(envelope, dict) or envelope.get("v") != ENVELOPE_VERSION:
        raise SealedEnvelopeInvalid("unsupported envelope version")
    expected = {"v", "kid", "epk", "iv", "ct"}
    if set(envelope) != expected:
        raise SealedEnvelopeInvalid("envelope fields must be exactly v, kid, epk, iv, ct")
    try:
        epk = b64url_decode(envelope["epk"])
        iv = b64url_decode(envelope["iv"])
        ct = b64url_decode(envelope["ct"])
    except (ValueError, TypeError):
        raise SealedEnvelopeInvalid("envelope fields must be base64url") from None
    if len(epk) != POINT_BYTES or len(iv) != IV_BYTES or len(ct) < TAG_BYTES:
        raise SealedEnvelopeInvalid("envelope field has the wrong length")
    try:
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), epk)
    except ValueError:
        raise SealedEnvelopeInvalid("epk is not a P-256 point") from None
    key = _content_key(private_key.exchange(ec.ECDH(), sender), epk)
    try:
        return AESGCM(key).decrypt(iv, ct, aad)
    except InvalidTag:
        raise SealedEnvelopeInvalid("envelope does not open: tampered or misaddressed") from None
