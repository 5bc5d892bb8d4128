"""Where the files the package serves and runs live. Its own module (not the package's
`__init__`) so that shell/ can find them without importing the app factory above it."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """static/, templates/, service_worker/, migrations/: inside the package in a
    wheel, at the repository's top level in a checkout."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name
