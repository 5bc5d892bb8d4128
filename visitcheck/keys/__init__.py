"""Server-side cryptography. Imports nothing from Flask: a sealed box with a few named doors."""

from .errors import DecryptionFailed, KeyUnavailable, SealedEnvelopeInvalid
from .fields import (
    EncryptedFields,
    decrypt_fields,
    decrypt_stored,
    encrypt_fields,
    encrypted_columns,
    rewrap_fields,
)
from .keyring import Keyring, b64url_decode, b64url_encode, load_keyring
from .records import RECORD_OVERHEAD
from .sealing import ALGORITHM, open_sealed, seal, sealed_aad

__all__ = [
    "ALGORITHM",
    "DecryptionFailed",
    "EncryptedFields",
    "KeyUnavailable",
    "Keyring",
    "RECORD_OVERHEAD",
    "SealedEnvelopeInvalid",
    "b64url_decode",
    "b64url_encode",
    "decrypt_fields",
    "decrypt_stored",
    "encrypt_fields",
    "encrypted_columns",
    "load_keyring",
    "open_sealed",
    "rewrap_fields",
    "seal",
    "sealed_aad",
]
