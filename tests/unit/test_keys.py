"""The key layer on its own: sealed envelopes, records at rest, the keyring."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from visitcheck.keys import (
    DecryptionFailed,
    Keyring,
    KeyUnavailable,
    SealedEnvelopeInvalid,
    b64url_decode,
    load_keyring,
    open_sealed,
    seal,
    sealed_aad,
)
from visitcheck.keys.records import decrypt_record, encrypt_record, rewrap_record
from visitcheck.keys.sealing import public_key_bytes

AAD = sealed_aad("checklist.put", "7d1c0c3e-9c5e-4d53-a3f0-2b6a4b1f1e11",
                 "0b0e3f5a-5f39-4a44-9b4f-3c8f0f7f0a01", 3)


@pytest.fixture
def recipient() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def test_sealed_aad_is_the_documented_string():
    assert AAD == (b"visitcheck/v1|checklist.put|7d1c0c3e-9c5e-4d53-a3f0-2b6a4b1f1e11|"
                   b"0b0e3f5a-5f39-4a44-9b4f-3c8f0f7f0a01|3")


def test_envelope_opens_with_the_same_additional_data(recipient):
    envelope = seal(b'{"a": 1}', public_key=public_key_bytes(recipient), kid="k1", aad=AAD)

    assert open_sealed(envelope, aad=AAD, private_key=recipient) == b'{"a": 1}'
    assert set(envelope) == {"v", "kid", "epk", "iv", "ct"}
    assert len(b64url_decode(envelope["epk"])) == 65
    assert len(b64url_decode(envelope["iv"])) == 12


def test_envelope_is_rejected_when_any_byte_of_the_additional_data_differs(recipient):
    envelope = seal(b"payload", public_key=public_key_bytes(recipient), kid="k1", aad=AAD)

    for index in range(len(AAD)):
        changed = bytearray(AAD)
        changed[index] ^= 0x01
        with pytest.raises(SealedEnvelopeInvalid):
            open_sealed(envelope, aad=bytes(changed), private_key=recipient)


def test_envelope_for_another_key_does_not_open(recipient):
    other = ec.generate_private_key(ec.SECP256R1())
    envelope = seal(b"payload", public_key=public_key_bytes(other), kid="k1", aad=AAD)

    with pytest.raises(SealedEnvelopeInvalid):
        open_sealed(envelope, aad=AAD, private_key=recipient)


@pytest.mark.parametrize("broken", [
    {"v": 2},
    {"epk": "AAAA"},
    {"iv": "not base64url!"},
    {"ct": "AA"},
    {"extra": "field"},
])
def test_malformed_envelopes_are_rejected(recipient, broken):
    envelope = seal(b"payload", public_key=public_key_bytes(recipient), kid="k1", aad=AAD)
    envelope.update(broken)

    with pytest.raises(SealedEnvelopeInvalid):
        open_sealed(envelope, aad=AAD, private_key=recipient)


def _keyring(*keys: bytes) -> Keyring:
    return Keyring.from_keys(list(keys))


def test_record_encryption_binds_the_record_identity():
    keyring = _keyring(os.urandom(32))
    record = encrypt_record(b"address", aad=b"households|one", keyring=keyring)

    assert decrypt_record(record, aad=b"households|one", keyring=keyring) == b"address"
    with pytest.raises(DecryptionFailed):
        decrypt_record(record, aad=b"households|two", keyring=keyring)
    assert b"address" not in record.ciphertext


def test_each_record_gets_its_own_data_key():
    keyring = _keyring(os.urandom(32))
    one = encrypt_record(b"same", aad=b"x", keyring=keyring)
    two = encrypt_record(b"same", aad=b"x", keyring=keyring)

    assert one.wrapped_key != two.wrapped_key
    assert one.ciphertext != two.ciphertext


def test_rewrap_moves_the_data_key_under_the_new_master_key_only():
    old_key, new_key = os.urandom(32), os.urandom(32)
    record = encrypt_record(b"secret", aad=b"r", keyring=_keyring(old_key))

    rotated = _keyring(new_key, old_key)
    rewrapped = rewrap_record(record, keyring=rotated)

    assert rewrapped.key_id == rotated.current_master_id != record.key_id
    assert rewrapped.ciphertext == record.ciphertext
    assert decrypt_record(rewrapped, aad=b"r", keyring=_keyring(new_key)) == b"secret"
    with pytest.raises(KeyUnavailable):
        decrypt_record(rewrapped, aad=b"r", keyring=_keyring(old_key))


def test_master_key_file_is_made_once_with_mode_0600(tmp_path):
    first = load_keyring(env_value=None, instance_path=tmp_path)
    second = load_keyring(env_value=None, instance_path=tmp_path)

    mode = stat.S_IMODE((tmp_path / "master.key").stat().st_mode)
    assert mode == 0o600
    assert first.current_master_id == second.current_master_id


def test_master_key_must_be_32_bytes():
    with pytest.raises(KeyUnavailable):
        load_keyring(env_value="AAAA", instance_path=None)
