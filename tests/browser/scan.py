"""Dump every client-side store a page's origin can hold, as text, to look for
personal data left in clear: IndexedDB (every database, store, key and value,
binary decoded as latin-1, UTF-8 and UTF-16LE), Cache Storage (every request
URL and response body), localStorage, sessionStorage and cookies."""

from __future__ import annotations

from playwright.sync_api import Page

DUMP_ORIGIN_STORAGE = r"""
async () => {
  const out = [];
  const decoders = ["latin1", "utf-8", "utf-16le"].map((label) => new TextDecoder(label));
  const seen = new WeakSet();
  function binary(bytes) {
    for (const decoder of decoders) out.push(decoder.decode(bytes));
  }
  function walk(value) {
    if (value === null || value === undefined) return;
    if (typeof value === "string") { out.push(value); return; }
    if (typeof value !== "object") { out.push(String(value)); return; }
    if (seen.has(value)) return;
    seen.add(value);
    if (value instanceof ArrayBuffer) { binary(new Uint8Array(value)); return; }
    if (ArrayBuffer.isView(value)) {
      binary(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)); return;
    }
    if (value instanceof Blob) { out.push("[blob]"); return; }
    if (value instanceof CryptoKey) {
      out.push(`[CryptoKey ${value.type} extractable=${value.extractable}]`);
      return;
    }
    if (value instanceof Map) { for (const [k, v] of value) { walk(k); walk(v); } return; }
    if (value instanceof Set) { for (const v of value) walk(v); return; }
    if (value instanceof Date) { out.push(value.toISOString()); return; }
    for (const key of Object.keys(value)) { out.push(key); walk(value[key]); }
  }
  function req(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  const report = { databases: [], caches: [], text: "" };
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open(info.name);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const stores = [...db.objectStoreNames];
    report.databases.push({ name: info.name, stores });
    out.push(info.name);
    for (const name of stores) {
      const tx = db.transaction(name, "readonly");
      const store = tx.objectStore(name);
      const [keys, values] = await Promise.all([req(store.getAllKeys()), req(store.getAll())]);
      out.push(name);
      walk(keys);
      walk(values);
    }
    db.close();
  }
  for (const cacheName of await caches.keys()) {
    const cache = await caches.open(cacheName);
    const requests = await cache.keys();
    report.caches.push({ name: cacheName, count: requests.length });
    out.push(cacheName);
    for (const request of requests) {
      out.push(request.url);
      const response = await cache.match(request);
      if (!response) continue;
      for (const [k, v] of response.headers) out.push(`${k}: ${v}`);
      binary(new Uint8Array(await response.arrayBuffer()));
    }
  }
  for (const storage of [localStorage, sessionStorage]) {
    for (let i = 0; i < storage.length; i += 1) {
      const key = storage.key(i);
      out.push(key, storage.getItem(key));
    }
  }
  out.push(document.cookie, location.href, document.referrer);
  report.text = out.join("\n");
  return report;
}
"""


def dump_origin_storage(page: Page) -> dict:
    """{"databases": [...], "caches": [...], "text": everything as one string}."""
    return page.evaluate(DUMP_ORIGIN_STORAGE)
