"""Master keys: where they come from and which one is current.

The keyring is the one object the rest of the code asks for key material;
tests build their own. Nothing here imports Flask.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .errors import KeyUnavailable

MASTER_KEY_BYTES = 32
MASTER_KEY_FILE = "master.key"


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or "=" in text:
        raise ValueError("base64url text without padding expected")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def master_key_id(key: bytes) -> str:
    """A short public name for a master key, derived from it, safe to store and log."""
    return "mk-" + hashlib.sha256(b"visitcheck master key id|" + key).hexdigest()[:16]


@dataclass
class Keyring:
    """Master keys by id; the first one given is current, the others only unwrap."""

    master_keys: dict[str, bytes]
    current_master_id: str
    # Private sealing keys already decrypted, by kid (filled by keys.service).
    sealing_private_keys: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_keys(cls, keys: list[bytes]) -> Keyring:
        if not keys:
            raise KeyUnavailable("no master key")
        for key in keys:
            if len(key) != MASTER_KEY_BYTES:
                raise KeyUnavailable("a master key must be 32 bytes")
        by_id = {master_key_id(k): k for k in keys}
        return cls(master_keys=by_id, current_master_id=master_key_id(keys[0]))

    @property
    def current_master_key(self) -> bytes:
        return self.master_keys[self.current_master_id]

    def master_key(self, key_id: str) -> bytes:
        try:
            return self.master_keys[key_id]
        except KeyError:
            raise KeyUnavailable(f"master key {key_id} is not in the keyring") from None


def parse_master_keys(text: str) -> list[bytes]:
    """Comma- or line-separated base64url keys, current first."""
    parts = [p.strip() for p in text.replace("\n", ",").split(",")]
    return [b64url_decode(p) for p in parts if p and not p.startswith("#")]


def load_keyring(*, env_value: str | None, instance_path: Path) -> Keyring:
    """From VISITCHECK_MASTER_KEY when set, else from instance/master.key (created 0600)."""
    if env_value:
        return Keyring.from_keys(parse_master_keys(env_value))
    path = instance_path / MASTER_KEY_FILE
    if not path.exists():
        write_new_key_file(path)
    return Keyring.from_keys(parse_master_keys(path.read_text()))


def add_master_key_to_file(instance_path: Path) -> str:
    """Put a new master key first in instance/master.key, keeping the old ones after it
    (they still unwrap until `keys rotate` has re-wrapped everything). Returns its id."""
    path = instance_path / MASTER_KEY_FILE
    old = path.read_text() if path.exists() else ""
    key = secrets.token_bytes(MASTER_KEY_BYTES)
    temporary = path.with_suffix(".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(b64url_encode(key) + "\n" + old)
    os.replace(temporary, path)
    return master_key_id(key)


def write_new_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(MASTER_KEY_BYTES)
    # O_EXCL: two workers starting at once must not both write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(b64url_encode(key) + "\n")
