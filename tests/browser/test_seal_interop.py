"""The browser's sealing (WebCrypto) and the server's opening (cryptography)
agree on the envelope of DESIGN.md §6."""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect

from visitcheck.extensions import db, keyring
from visitcheck.keys import sealed_aad
from visitcheck.keys.service import open_envelope

from .pages import TabletApp

pytestmark = pytest.mark.browser

SEAL_IN_PAGE = """
async ({entityId, opId, baseRev, plaintext}) => {
  const { sealEnvelope } = await import("/static/app/seal.js");
  const bootstrap = await (await fetch("/api/v1/bootstrap", {credentials: "same-origin"})).json();
  const { kid, public_key } = bootstrap.sealing_key;
  const sealed = await sealEnvelope({ kid, publicKey: public_key, type: "checklist.put",
                                      entityId, opId, baseRev, plaintext });
  return { sealed, csrf: bootstrap.csrf_token };
}
"""

PUSH_IN_PAGE = """
async ({csrf, deviceId, ops}) => {
  const headers = { "Content-Type": "application/json", "X-CSRFToken": csrf };
  const post = (path, body) => fetch(path, { method: "POST", credentials: "same-origin",
    headers, body: JSON.stringify(body) });
  const device = await post("/api/v1/devices", { device_id: deviceId, label: "interop test" });
  const push = await post("/api/v1/sync/push", { device_id: deviceId, ops });
  return { device: device.status, status: push.status, body: await push.json() };
}
"""


def signed_in_shell(page, base_url, demo) -> None:
    """Sign in and let the shell finish its own start (its bootstrap call) first, so
    the test's requests do not race it for the session's CSRF token."""
    TabletApp(page, base_url).sign_in("hv", demo.PASSWORD)
    expect(page.locator("#passphrase")).to_be_visible()


def _plaintext(household_id: str) -> dict:
    return {
        "template": "home-visit",
        "template_version": 1,
        "household_id": household_id,
        "status": "draft",
        "answers": {"visit": {"no_access": False, "present": "Mother — café ✓"}},
        "saved_at": "2026-11-20T10:30:00.000Z",
    }


def _seal_in_page(page, demo, *, entity_id: str, op_id: str, base_rev: int) -> dict:
    """{sealed, csrf}: a draft for the first household, sealed by the app's seal.js."""
    return page.evaluate(SEAL_IN_PAGE, {
        "entityId": entity_id, "opId": op_id, "baseRev": base_rev,
        "plaintext": _plaintext(demo.households[0])})


def _open_in_python(live_server, sealed: dict, *, entity_id: str, op_id: str,
                    base_rev: int) -> bytes:
    with live_server.app.app_context():
        return open_envelope(db.session, sealed,
                             aad=sealed_aad("checklist.put", entity_id, op_id, base_rev),
                             keyring=keyring())


def test_envelope_sealed_in_chromium_opens_in_python(live_server, demo, page):
    signed_in_shell(page, live_server.url, demo)
    entity_id, op_id = str(uuid.uuid4()), str(uuid.uuid4())

    sealed = _seal_in_page(page, demo, entity_id=entity_id, op_id=op_id, base_rev=7)["sealed"]

    assert set(sealed) == {"v", "kid", "epk", "iv", "ct"}
    opened = _open_in_python(live_server, sealed, entity_id=entity_id, op_id=op_id, base_rev=7)
    assert json.loads(opened.decode("utf-8")) == _plaintext(demo.households[0])


def test_envelope_sealed_in_chromium_does_not_open_for_another_op(live_server, demo, page):
    signed_in_shell(page, live_server.url, demo)
    entity_id, op_id = str(uuid.uuid4()), str(uuid.uuid4())
    sealed = _seal_in_page(page, demo, entity_id=entity_id, op_id=op_id, base_rev=0)["sealed"]
    with pytest.raises(Exception, match="tampered|misaddressed"):
        _open_in_python(live_server, sealed, entity_id=entity_id, op_id=str(uuid.uuid4()),
                        base_rev=0)


def test_envelope_sealed_in_chromium_is_applied_by_sync_push(live_server, demo, page):
    signed_in_shell(page, live_server.url, demo)
    entity_id, op_id = str(uuid.uuid4()), str(uuid.uuid4())
    sealed = _seal_in_page(page, demo, entity_id=entity_id, op_id=op_id, base_rev=0)
    op = {
        "op_id": op_id,
        "type": "checklist.put",
        "entity_id": entity_id,
        "base_rev": 0,
        "sealed": sealed["sealed"],
    }

    answer = page.evaluate(
        PUSH_IN_PAGE, {"csrf": sealed["csrf"], "deviceId": str(uuid.uuid4()), "ops": [op]}
    )

    assert answer["device"] in (200, 201)
    assert answer["status"] == 200, answer
    assert answer["body"]["results"] == [{"op_id": op_id, "status": "applied", "rev": 1}]
