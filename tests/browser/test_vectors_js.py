"""The sealed-envelope test vectors checked by the browser's own code: seal.js
(WebCrypto, in Chromium) reproduces every envelope byte for byte given the
fixed ephemeral key and iv, and the negative vectors do not open."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

VECTORS = json.loads(
    (Path(__file__).parent.parent / "vectors" / "sealed-envelope.json").read_text("utf-8")
)

SEAL_VECTORS = """
async (doc) => {
  const { sealEnvelope, sealedAad } = await import("/static/app/seal.js");
  const { fromBase64url, utf8Decode } = await import("/static/app/b64.js");
  const ecdh = { name: "ECDH", namedCurve: "P-256" };
  const out = [];
  for (const v of doc.vectors) {
    const { d: _d, ...publicJwk } = v.ephemeral_private_jwk;
    const ephemeral = {
      privateKey: await crypto.subtle.importKey(
        "jwk", v.ephemeral_private_jwk, ecdh, false, ["deriveBits"]),
      publicKey: await crypto.subtle.importKey("jwk", publicJwk, ecdh, true, []),
    };
    const args = { kid: doc.kid, publicKey: doc.recipient_public_key, type: v.type,
                   entityId: v.entity_id, opId: v.op_id, baseRev: v.base_rev,
                   ephemeral, iv: fromBase64url(v.iv) };
    const fromText = await sealEnvelope({ ...args, plaintext: v.plaintext });
    // The app seals objects: JSON.stringify of the parsed text gives the same bytes.
    const fromObject = await sealEnvelope({ ...args, plaintext: JSON.parse(v.plaintext) });
    const aad = utf8Decode(sealedAad({
      type: v.type, entityId: v.entity_id, opId: v.op_id, baseRev: v.base_rev }));
    out.push({ name: v.name, fromText, fromObject, aad });
  }
  return out;
}
"""

# Opening is the server's job; this is a second, independent WebCrypto reading
# of the format (the app itself never opens an envelope).
OPEN_IN_PAGE = """
async ({ jwk, envelope, aad }) => {
  const { fromBase64url, utf8Encode, utf8Decode } = await import("/static/app/b64.js");
  const ecdh = { name: "ECDH", namedCurve: "P-256" };
  const mine = await crypto.subtle.importKey("jwk", jwk, ecdh, false, ["deriveBits"]);
  const epk = fromBase64url(envelope.epk);
  const sender = await crypto.subtle.importKey("raw", epk, ecdh, false, []);
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: sender }, mine, 256);
  const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: epk, info: utf8Encode("visitcheck sealed v1") },
    ikm, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64url(envelope.iv), additionalData: utf8Encode(aad) },
      key, fromBase64url(envelope.ct));
    return { opened: true, plaintext: utf8Decode(new Uint8Array(plain)) };
  } catch (error) {
    return { opened: false, error: error.name };
  }
}
"""


@pytest.fixture
def origin_page(live_server, page):
    # Any page of the app's origin will do: the modules load under its CSP.
    page.goto(f"{live_server.url}/offline")
    return page


def test_seal_js_reproduces_every_vector_envelope(origin_page):
    results = origin_page.evaluate(SEAL_VECTORS, VECTORS)
    expected = {v["name"]: v for v in VECTORS["vectors"]}
    assert [r["name"] for r in results] == list(expected)
    for result in results:
        vector = expected[result["name"]]
        assert result["aad"] == vector["aad"]
        assert result["fromText"] == vector["envelope"], result["name"]
        assert result["fromObject"] == vector["envelope"], result["name"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_vector_envelopes_open_with_webcrypto(origin_page, vector):
    result = origin_page.evaluate(OPEN_IN_PAGE, {
        "jwk": VECTORS["recipient_private_jwk"], "envelope": vector["envelope"],
        "aad": vector["aad"]})
    assert result == {"opened": True, "plaintext": vector["plaintext"]}


@pytest.mark.parametrize("vector", VECTORS["negative"], ids=lambda v: v["name"])
def test_negative_vectors_do_not_open_with_webcrypto(origin_page, vector):
    result = origin_page.evaluate(OPEN_IN_PAGE, {
        "jwk": VECTORS["recipient_private_jwk"], "envelope": vector["envelope"],
        "aad": vector["aad"]})
    assert result == {"opened": False, "error": "OperationError"}


def test_seal_js_refuses_an_iv_of_the_wrong_length(origin_page):
    message = origin_page.evaluate("""
      async (key) => {
        const { sealEnvelope } = await import("/static/app/seal.js");
        try {
          await sealEnvelope({ kid: "k", publicKey: key, type: "checklist.put",
            entityId: "e", opId: "o", baseRev: 0, plaintext: {}, iv: new Uint8Array(8) });
          return "sealed";
        } catch (error) { return error.message; }
      }""", VECTORS["recipient_public_key"])
    assert message == "iv must be 12 bytes"
