// base64url without padding (RFC 4648 §5, as in JOSE), and UTF-8 helpers.

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Bytes (Uint8Array | ArrayBuffer) -> base64url string without "=" padding. */
export function toBase64url(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < view.length; i += chunk) {
    binary += String.fromCharCode.apply(null, view.subarray(i, i + chunk));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url string (padding optional) -> Uint8Array. Throws on bad input. */
export function fromBase64url(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*={0,2}$/.test(text)) {
    throw new TypeError("not a base64url string");
  }
  const plain = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  const padded = plain + "===".slice((plain.length + 3) % 4);
  const binary = atob(padded);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) out[i] = binary.charCodeAt(i);
  return out;
}

/** String -> UTF-8 bytes. */
export function utf8Encode(text) {
  return encoder.encode(text);
}

/** UTF-8 bytes -> string (throws on malformed input). */
export function utf8Decode(bytes) {
  return decoder.decode(bytes);
}
