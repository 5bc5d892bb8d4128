"""Make tests/vectors/sealed-envelope.json: fixed test vectors for the sealed envelope.

Run once (`.venv/bin/python tests/vectors/make_vectors.py`) and check the result
in; the Python tests (tests/unit/test_vectors.py) and the browser tests
(tests/browser/test_vectors_js.py) both check their code against the file.

The envelope is built here from the primitives of DESIGN.md §6 directly, not
with visitcheck.keys.sealing, so the vectors are an independent statement of
the format: ECDH P-256 (x-coordinate) -> HKDF-SHA256 (salt = the 65 epk bytes,
info = "visitcheck sealed v1", 32 bytes) -> AES-256-GCM, additional data
`visitcheck/v1|{type}|{entity_id}|{op_id}|{base_rev}`.

The private keys are derived from fixed labels, so running the script again
gives the same file. They are test keys: never use them for anything else.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

OUT = Path(__file__).with_name("sealed-envelope.json")
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
KID = "test-vector-key-1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def fixed_key(label: str) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % P256_ORDER
    return ec.derive_private_key(scalar, ec.SECP256R1())


def point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)


def jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    numbers = key.private_numbers()
    pub = numbers.public_numbers
    return {"kty": "EC", "crv": "P-256", "x": b64url(pub.x.to_bytes(32, "big")),
            "y": b64url(pub.y.to_bytes(32, "big")),
            "d": b64url(numbers.private_value.to_bytes(32, "big"))}


def pkcs8(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(key.private_bytes(serialization.Encoding.DER,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))


def aad(op_type: str, entity_id: str, op_id: str, base_rev: int) -> str:
    return f"visitcheck/v1|{op_type}|{entity_id}|{op_id}|{base_rev}"


def envelope(recipient: ec.EllipticCurvePrivateKey, ephemeral: ec.EllipticCurvePrivateKey,
             iv: bytes, plaintext: bytes, additional: bytes) -> dict:
    epk = point(ephemeral)
    shared_x = ephemeral.exchange(ec.ECDH(), recipient.public_key())
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk,
               info=b"visitcheck sealed v1").derive(shared_x)
    ct = AESGCM(key).encrypt(iv, plaintext, additional)
    return {"v": 1, "kid": KID, "epk": b64url(epk), "iv": b64url(iv), "ct": b64url(ct)}


def plaintext_json(value: dict) -> str:
    # Compact JSON, as JSON.stringify writes it, so the browser seals the same bytes.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


CASES = [
    {
        "name": "checklist-draft",
        "ephemeral": "visitcheck vector ephemeral 1",
        "iv": "000102030405060708090a0b",
        "type": "checklist.put",
        "entity_id": "3f6c2a9e-8b1d-4c7a-9e2f-5d4b3a291c10",
        "op_id": "a1b2c3d4-e5f6-4789-8abc-def012345678",
        "base_rev": 0,
        "plaintext": {
            "template": "home-visit", "template_version": 1,
            "household_id": "7d9e1f20-3a4b-4c5d-8e6f-708192a3b4c5", "status": "draft",
            "answers": {"visit": {"no_access": False, "present": "Mother — café ✓ 👶"}},
            "saved_at": "2026-11-20T10:30:00.000Z",
        },
    },
    {
        "name": "household-edit",
        "ephemeral": "visitcheck vector ephemeral 2",
        "iv": "ffeeddccbbaa998877665544",
        "type": "household.put",
        "entity_id": "7d9e1f20-3a4b-4c5d-8e6f-708192a3b4c5",
        "op_id": "0f0e0d0c-0b0a-4908-8706-050403020100",
        "base_rev": 3,
        "plaintext": {"address": "14 Alder Row, Northfield NF3 2QP", "professionals": []},
    },
    {
        "name": "alert-ack",
        "ephemeral": "visitcheck vector ephemeral 3",
        "iv": "5a5a5a5a5a5a5a5a5a5a5a5a",
        "type": "alert.ack",
        "entity_id": "c0ffee00-1234-4567-89ab-cdef01234567",
        "op_id": "deadbeef-0000-4000-8000-000000000001",
        "base_rev": 1,
        "plaintext": {"alert_id": "c0ffee00-1234-4567-89ab-cdef01234567",
                      "acknowledged_at": "2026-11-21T08:15:00.000Z"},
    },
]


def flip_last_byte(text: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    raw[-1] ^= 0x01
    return b64url(bytes(raw))


def main() -> None:
    recipient = fixed_key("visitcheck vector recipient")
    vectors = []
    for case in CASES:
        ephemeral = fixed_key(case["ephemeral"])
        text = plaintext_json(case["plaintext"])
        ad = aad(case["type"], case["entity_id"], case["op_id"], case["base_rev"])
        vectors.append({
            "name": case["name"],
            "ephemeral_private_jwk": jwk(ephemeral),
            "ephemeral_private_pkcs8": pkcs8(ephemeral),
            "iv": b64url(bytes.fromhex(case["iv"])),
            "type": case["type"], "entity_id": case["entity_id"], "op_id": case["op_id"],
            "base_rev": case["base_rev"],
            "aad": ad,
            "plaintext": text,
            "envelope": envelope(recipient, ephemeral, bytes.fromhex(case["iv"]),
                                 text.encode(), ad.encode()),
        })
    good = vectors[0]
    negatives = [
        {"name": "tampered-ct", "reason": "the last byte of the tag is flipped",
         "aad": good["aad"], "envelope": {**good["envelope"],
                                          "ct": flip_last_byte(good["envelope"]["ct"])}},
        {"name": "tampered-iv", "reason": "the iv is not the one sealed with",
         "aad": good["aad"], "envelope": {**good["envelope"],
                                          "iv": flip_last_byte(good["envelope"]["iv"])}},
        {"name": "wrong-aad-op-id", "reason": "the envelope is moved to another op",
         "aad": aad(good["type"], good["entity_id"],
                    "a1b2c3d4-e5f6-4789-8abc-def012345679", good["base_rev"]),
         "envelope": good["envelope"]},
        {"name": "wrong-aad-base-rev", "reason": "the envelope is replayed on another revision",
         "aad": aad(good["type"], good["entity_id"], good["op_id"], 1),
         "envelope": good["envelope"]},
        {"name": "wrong-aad-type", "reason": "the envelope is moved to another op type",
         "aad": aad("household.put", good["entity_id"], good["op_id"], good["base_rev"]),
         "envelope": good["envelope"]},
        {"name": "other-epk", "reason": "the ephemeral key is swapped for another vector's",
         "aad": good["aad"], "envelope": {**good["envelope"],
                                          "epk": vectors[1]["envelope"]["epk"]}},
    ]
    document = {
        "description": "Sealed envelope test vectors (DESIGN.md §6). Made by make_vectors.py; "
                       "test keys only.",
        "alg": "ECDH-P256+HKDF-SHA256+A256GCM",
        "hkdf_info": "visitcheck sealed v1",
        "kid": KID,
        "recipient_private_jwk": jwk(recipient),
        "recipient_private_pkcs8": pkcs8(recipient),
        "recipient_public_key": b64url(point(recipient)),
        "vectors": vectors,
        "negative": negatives,
    }
    OUT.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
