"""The sealed-envelope test vectors (tests/vectors/sealed-envelope.json) against
visitcheck.keys.sealing: the same file is checked by the browser's seal.js in
tests/browser/test_vectors_js.py, so both sides agree on every byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from visitcheck.keys import SealedEnvelopeInvalid, b64url_decode, open_sealed, seal, sealed_aad
from visitcheck.keys.sealing import public_key_bytes

VECTORS = json.loads(
    (Path(__file__).parent.parent / "vectors" / "sealed-envelope.json").read_text("utf-8")
)


def _private_key(pkcs8: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_der_private_key(b64url_decode(pkcs8), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _key_from_jwk(jwk: dict) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(b64url_decode(jwk["d"]), "big"),
                                 ec.SECP256R1())


RECIPIENT = _private_key(VECTORS["recipient_private_pkcs8"])


def _aad(vector: dict) -> bytes:
    return sealed_aad(vector["type"], vector["entity_id"], vector["op_id"], vector["base_rev"])


def test_the_recipient_key_forms_in_the_file_agree():
    from_jwk = _key_from_jwk(VECTORS["recipient_private_jwk"])
    assert public_key_bytes(from_jwk) == public_key_bytes(RECIPIENT)
    assert public_key_bytes(RECIPIENT) == b64url_decode(VECTORS["recipient_public_key"])


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_sealed_aad_is_the_vectors_additional_data(vector):
    assert _aad(vector) == vector["aad"].encode()


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_open_sealed_gives_the_vectors_plaintext(vector):
    opened = open_sealed(vector["envelope"], aad=_aad(vector), private_key=RECIPIENT)
    assert opened.decode("utf-8") == vector["plaintext"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_seal_with_the_fixed_ephemeral_key_and_iv_reproduces_the_envelope(vector):
    ephemeral = _private_key(vector["ephemeral_private_pkcs8"])
    assert public_key_bytes(_key_from_jwk(vector["ephemeral_private_jwk"])) == public_key_bytes(
        ephemeral)
    envelope = seal(vector["plaintext"].encode(), public_key=public_key_bytes(RECIPIENT),
                    kid=VECTORS["kid"], aad=_aad(vector), ephemeral_key=ephemeral,
                    iv=b64url_decode(vector["iv"]))
    assert envelope == vector["envelope"]


@pytest.mark.parametrize("vector", VECTORS["negative"], ids=lambda v: v["name"])
def test_negative_vectors_do_not_open(vector):
    with pytest.raises(SealedEnvelopeInvalid):
        open_sealed(vector["envelope"], aad=vector["aad"].encode(), private_key=RECIPIENT)


def test_seal_refuses_an_iv_of_the_wrong_length():
    with pytest.raises(ValueError, match="12 bytes"):
        seal(b"{}", public_key=public_key_bytes(RECIPIENT), kid="k", aad=b"a", iv=b"short")
