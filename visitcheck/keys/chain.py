"""The audit chain's keyed hash: HMAC-SHA256 under a key derived from a master key.

The chain key is derived (HKDF-SHA256) from the master key current when an entry
is chained, and the entry records that master key's id. Rotating the master key
therefore never breaks older entries, as long as the old master key stays in the
keyring (it is kept there anyway until every data key is re-wrapped; keep it
after that too for `audit verify` to check the entries it chained).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .keyring import Keyring

CHAIN_INFO = b"visitcheck audit chain v1"


@lru_cache(maxsize=16)
def _derive(master: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=CHAIN_INFO).derive(master)


def _chain_key(keyring: Keyring, key_id: str) -> bytes:
    return _derive(keyring.master_key(key_id))  # KeyUnavailable when it has been dropped


def chain_mac(keyring: Keyring, *, key_id: str, previous: str, entry: bytes) -> str:
    """Hex HMAC-SHA256 over the previous entry's hash and this entry's canonical bytes."""
    return hmac.new(_chain_key(keyring, key_id), previous.encode() + b"|" + entry,
                    hashlib.sha256).hexdigest()


def same_mac(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
