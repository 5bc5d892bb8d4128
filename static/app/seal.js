// Sealing an op's payload to the server (DESIGN.md §6), WebCrypto only:
// ephemeral ECDH P-256 with the server's public key, HKDF-SHA256 over the
// shared x-coordinate (salt = the 65 ephemeral public key bytes,
// info = "visitcheck sealed v1"), AES-256-GCM with the op's identity as
// additional data. Once sealed, the device cannot read it back.

import { toBase64url, fromBase64url, utf8Encode } from "./b64.js";

const HKDF_INFO = "visitcheck sealed v1";

/** The additional data bound to a sealed op. */
export function sealedAad({ type, entityId, opId, baseRev }) {
  if (!Number.isInteger(baseRev) || baseRev < 0) throw new RangeError("baseRev must be a non-negative integer");
  return utf8Encode(`visitcheck/v1|${type}|${entityId}|${opId}|${baseRev}`);
}

async function importServerKey(publicKey) {
  const raw = typeof publicKey === "string" ? fromBase64url(publicKey) : new Uint8Array(publicKey);
  if (raw.length !== 65 || raw[0] !== 0x04) throw new TypeError("server public key must be a 65-byte uncompressed P-256 point");
  return crypto.subtle.importKey("raw", raw, { name: "ECDH", namedCurve: "P-256" }, false, []);
}

/**
 * Seal a plaintext (an object, serialised as UTF-8 JSON, or a string/bytes)
 * to the server key. Returns the envelope {v, kid, epk, iv, ct}.
 *
 * `ephemeral` (an ECDH P-256 CryptoKeyPair) and `iv` (12 bytes) are for the
 * test vectors only; the app never passes them, so both are fresh each time.
 */
export async function sealEnvelope({ kid, publicKey, type, entityId, opId, baseRev, plaintext, ephemeral = null, iv = null }) {
  const serverKey = await importServerKey(publicKey);
  if (!ephemeral) {
    ephemeral = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  }
  if (iv === null) iv = crypto.getRandomValues(new Uint8Array(12));
  else if (iv.length !== 12) throw new RangeError("iv must be 12 bytes");
  const epk = new Uint8Array(await crypto.subtle.exportKey("raw", ephemeral.publicKey));
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: serverKey }, ephemeral.privateKey, 256);
  const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const aesKey = await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: epk, info: utf8Encode(HKDF_INFO) },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt"],
  );
  let bytes;
  if (plaintext instanceof Uint8Array) bytes = plaintext;
  else if (typeof plaintext === "string") bytes = utf8Encode(plaintext);
  else bytes = utf8Encode(JSON.stringify(plaintext));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: sealedAad({ type, entityId, opId, baseRev }) },
    aesKey,
    bytes,
  );
  return { v: 1, kid, epk: toBase64url(epk), iv: toBase64url(iv), ct: toBase64url(ct) };
}
