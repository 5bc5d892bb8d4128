"""What the audit trail learns from Flask: the keyring that chains it, and where a
request came from. Kept here so the audit service itself never sees a request."""

from __future__ import annotations

from flask import Flask, current_app, has_app_context, has_request_context, request

from ..keys import Keyring
from . import chain, service

DEVICE_HEADER = "X-Visitcheck-Device"


def _keyring() -> Keyring | None:
    return current_app.extensions["visitcheck.keyring"] if has_app_context() else None


def _request_context() -> tuple[str | None, str | None]:
    if not has_request_context():
        return None, None
    device = request.headers.get(DEVICE_HEADER)
    return request.remote_addr, device[:36] if device else None


def init_app(app: Flask) -> None:
    chain.use_keyring_provider(_keyring)
    service.use_request_context(_request_context)
