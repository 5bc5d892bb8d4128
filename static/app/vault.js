// The encrypted vault: a random AES-256-GCM data key wrapped with a key
// derived from the user's offline passphrase (PBKDF2-HMAC-SHA256). Only the
// unwrapped, non-extractable key is ever held, in memory, while unlocked.
// Every personal record is stored as {id, kind, iv, ciphertext} with
// additional data `${kind}|${id}`, so records cannot be swapped.

import { utf8Encode, utf8Decode } from "./b64.js";
import {
  getMeta, getMetaMany, setMeta, getRecord, getRecordsByKind, writeBatch,
  countRecords, deleteDatabase,
} from "./db.js";

const VAULT_FORMAT = 1;
export const MIN_PASSPHRASE_LENGTH = 8;
const DEFAULT_ITERATIONS = 600000;
const DEFAULT_MAX_FAILURES = 10;

let dataKey = null;
const lockListeners = new Set();

export class VaultLockedError extends Error {
  constructor() {
    super("The vault is locked.");
    this.name = "VaultLockedError";
  }
}

/**
 * This browser cannot keep the vault (no usable IndexedDB, a DataCloneError
 * as in WebKit's private mode, WebCrypto refusing a key operation): the app
 * must not hold data offline here, and never falls back to storing it in clear.
 */
export class OfflineStorageUnavailable extends Error {
  constructor(cause) {
    super("This browser cannot keep an encrypted vault.");
    this.name = "OfflineStorageUnavailable";
    this.cause = cause;
  }
}

export class UnlockError extends Error {
  /** reason: "wrong" | "wiped" | "no-vault" | "wait"; waitMs for "wait". */
  constructor(reason, { failures = 0, remaining = null, waitMs = 0 } = {}) {
    super(reason);
    this.name = "UnlockError";
    this.reason = reason;
    this.failures = failures;
    this.remaining = remaining;
    this.waitMs = waitMs;
  }
}

function randomBytes(length) {
  return crypto.getRandomValues(new Uint8Array(length));
}

function sameBytes(a, b) {
  if (!a || !b) return false;
  const x = new Uint8Array(a.buffer || a, a.byteOffset || 0, a.byteLength);
  const y = new Uint8Array(b.buffer || b, b.byteOffset || 0, b.byteLength);
  return x.length === y.length && x.every((value, i) => value === y[i]);
}

function notify() {
  for (const listener of lockListeners) {
    try { listener(isUnlocked()); } catch (error) { console.error(error); }
  }
}

async function deriveWrappingKey(passphrase, salt, iterations) {
  const material = await crypto.subtle.importKey(
    "raw", utf8Encode(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["wrapKey", "unwrapKey"],
  );
}

function unwrapDataKey(wrapped, wrappingKey, wrapIv, { extractable = false } = {}) {
  return crypto.subtle.unwrapKey(
    "raw", wrapped, wrappingKey, { name: "AES-GCM", iv: wrapIv },
    { name: "AES-GCM", length: 256 }, extractable, ["encrypt", "decrypt"]);
}

/** Called with true/false whenever the vault is unlocked or locked. */
export function onLockChange(listener) {
  lockListeners.add(listener);
  return () => lockListeners.delete(listener);
}

export function isUnlocked() {
  return dataKey !== null;
}

/** {exists, userId, deviceId} read from meta (no key needed). */
export async function vaultInfo() {
  const meta = await getMetaMany(["vault_format", "wrapped_key", "user_id", "device_id"]);
  return {
    exists: Boolean(meta.vault_format && meta.wrapped_key),
    userId: meta.user_id || null,
    deviceId: meta.device_id || null,
  };
}

/**
 * Create a new vault for userId, replacing any existing one, and leave it
 * unlocked. Returns the new device id.
 */
export async function createVault({ passphrase, userId, iterations = DEFAULT_ITERATIONS, maxFailures = DEFAULT_MAX_FAILURES }) {
  if (typeof passphrase !== "string" || passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new RangeError(`The passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters.`);
  }
  const rounds = Number.isInteger(iterations) && iterations >= 100000 ? iterations : DEFAULT_ITERATIONS;
  let key;
  let deviceId;
  try {
    const salt = randomBytes(16);
    const wrapIv = randomBytes(12);
    const wrappingKey = await deriveWrappingKey(passphrase, salt, rounds);
    // Extractable only for the instant it takes to wrap it.
    const freshKey = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
    const wrapped = await crypto.subtle.wrapKey("raw", freshKey, wrappingKey, { name: "AES-GCM", iv: wrapIv });
    key = await unwrapDataKey(wrapped, wrappingKey, wrapIv);
    deviceId = crypto.randomUUID();

    await wipeVault({ notifyListeners: false });
    await writeBatch({
      meta: {
        vault_format: VAULT_FORMAT,
        kdf: "PBKDF2-HMAC-SHA256",
        salt,
        iterations: rounds,
        wrap_iv: wrapIv,
        wrapped_key: wrapped,
        user_id: userId,
        device_id: deviceId,
        unlock_failures: 0,
        max_unlock_failures: maxFailures,
        created_at: new Date().toISOString(),
      },
    });
    // Read it back: what the browser stored must open again, or it is no vault.
    const stored = await getMetaMany(["salt", "wrap_iv", "wrapped_key"]);
    if (!sameBytes(stored.salt, salt)) throw new Error("the stored salt differs from the one written");
    await unwrapDataKey(stored.wrapped_key, wrappingKey, stored.wrap_iv);
  } catch (error) {
    try { await wipeVault({ notifyListeners: false }); } catch { /* nothing was kept */ }
    throw new OfflineStorageUnavailable(error);
  }
  dataKey = key;
  notify();
  return deviceId;
}

function failureDelayMs(failures) {
  // No delay for the first 3 slips, then 2 s, 4 s, 8 s ... capped at 60 s.
  if (failures < 3) return 0;
  return Math.min(60000, 1000 * 2 ** (failures - 2));
}

/**
 * Check a passphrase against the stored wrapped key, counting wrong ones:
 * growing delays, and a wipe after max_unlock_failures. Returns the data key
 * (extractable only when asked, for re-wrapping) and the meta read.
 * Throws UnlockError("wrong" | "wait" | "wiped" | "no-vault").
 */
async function checkPassphrase(passphrase, { extractable = false } = {}) {
  const meta = await getMetaMany([
    "vault_format", "salt", "iterations", "wrap_iv", "wrapped_key",
    "unlock_failures", "max_unlock_failures", "last_failure_at",
  ]);
  if (!meta.vault_format || !meta.wrapped_key) throw new UnlockError("no-vault");
  const failures = meta.unlock_failures || 0;
  const maxFailures = meta.max_unlock_failures || DEFAULT_MAX_FAILURES;
  const waitUntil = (meta.last_failure_at || 0) + failureDelayMs(failures);
  if (Date.now() < waitUntil) {
    throw new UnlockError("wait", { failures, waitMs: waitUntil - Date.now(), remaining: maxFailures - failures });
  }
  const wrappingKey = await deriveWrappingKey(passphrase, meta.salt, meta.iterations);
  let key;
  try {
    key = await unwrapDataKey(meta.wrapped_key, wrappingKey, meta.wrap_iv, { extractable });
  } catch {
    const count = failures + 1;
    if (count >= maxFailures) {
      await wipeVault();
      throw new UnlockError("wiped", { failures: count, remaining: 0 });
    }
    await setMeta({ unlock_failures: count, last_failure_at: Date.now() });
    throw new UnlockError("wrong", {
      failures: count, remaining: maxFailures - count, waitMs: failureDelayMs(count),
    });
  }
  if (failures) await setMeta({ unlock_failures: 0, last_failure_at: 0 });
  return { key, meta };
}

/**
 * Unlock with the passphrase. Throws UnlockError("wrong" | "wait" | "wiped" | "no-vault").
 * After max_unlock_failures wrong attempts the local vault is wiped.
 */
export async function unlockVault(passphrase) {
  const { key } = await checkPassphrase(passphrase);
  dataKey = key;
  notify();
}

/**
 * Change the offline passphrase while unlocked: the same data key is
 * re-wrapped under a key derived from the new passphrase (fresh salt and IV),
 * so no record is re-encrypted. A wrong current passphrase counts like a
 * wrong unlock. Throws RangeError for a short new passphrase, UnlockError.
 */
export async function changePassphrase({ current, next }) {
  requireKey();
  if (typeof next !== "string" || next.length < MIN_PASSPHRASE_LENGTH) {
    throw new RangeError(`The passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters.`);
  }
  // Extractable only inside this function, for the instant it takes to wrap it again.
  const { key: raw, meta } = await checkPassphrase(current, { extractable: true });
  const salt = randomBytes(16);
  const wrapIv = randomBytes(12);
  const wrappingKey = await deriveWrappingKey(next, salt, meta.iterations);
  const wrapped = await crypto.subtle.wrapKey("raw", raw, wrappingKey, { name: "AES-GCM", iv: wrapIv });
  // Check the new wrapping opens before it replaces the old one.
  await unwrapDataKey(wrapped, wrappingKey, wrapIv);
  await setMeta({ salt, wrap_iv: wrapIv, wrapped_key: wrapped, unlock_failures: 0, last_failure_at: 0 });
}

/** Drop the key from memory. */
export function lockVault() {
  if (dataKey === null) return;
  dataKey = null;
  notify();
}

/** Delete the whole local vault (key, records, meta). */
export async function wipeVault({ notifyListeners = true } = {}) {
  const wasUnlocked = dataKey !== null;
  dataKey = null;
  await deleteDatabase();
  if (notifyListeners && wasUnlocked) notify();
}

function requireKey() {
  if (dataKey === null) throw new VaultLockedError();
  return dataKey;
}

/** Encrypt a value (any JSON) into a record {id, kind, iv, ciphertext}. */
export async function encryptRecord(kind, id, value) {
  const key = requireKey();
  const iv = randomBytes(12);
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8Encode(`${kind}|${id}`) },
    key,
    utf8Encode(JSON.stringify(value)),
  );
  return { id, kind, iv, ciphertext };
}

/** Decrypt a record made by encryptRecord; throws if it was tampered with or moved. */
export async function decryptRecord(record) {
  const key = requireKey();
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: record.iv, additionalData: utf8Encode(`${record.kind}|${record.id}`) },
    key,
    record.ciphertext,
  );
  return JSON.parse(utf8Decode(new Uint8Array(plain)));
}

/** One decrypted value, or undefined. */
export async function readSecret(kind, id) {
  const record = await getRecord(kind, id);
  return record ? decryptRecord(record) : undefined;
}

/** Every decrypted value of a kind (records that fail to decrypt are skipped). */
export async function readAllSecrets(kind) {
  requireKey();
  const records = await getRecordsByKind(kind);
  const values = [];
  for (const record of records) {
    try {
      values.push(await decryptRecord(record));
    } catch (error) {
      console.error(`record ${kind} could not be decrypted`, error);
    }
  }
  return values;
}

/**
 * Encrypt, then write atomically: put [{kind, id, value}], remove [[kind, id]],
 * meta {key: non-personal value}.
 */
export async function writeSecrets({ put = [], remove = [], meta = {} } = {}) {
  const records = [];
  for (const item of put) records.push(await encryptRecord(item.kind, item.id, item.value));
  await writeBatch({ put: records, remove, meta });
}

/** Count records of a kind without decrypting (for the status line while locked). */
export function countSecrets(kind) {
  return countRecords(kind);
}

/** A non-personal meta value. */
export function readMeta(key) {
  return getMeta(key);
}
