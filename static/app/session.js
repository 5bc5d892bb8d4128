// The signed-in session as the shell knows it: the bootstrap answer (user,
// policy, sealing key, templates), held in memory while unlocked and kept
// encrypted in the vault (kind "bootstrap") for offline starts.

import { fetchBootstrap, registerDevice, setCsrfToken, setDeviceId } from "./api.js";
import { isUnlocked, readSecret, writeSecrets, vaultInfo } from "./vault.js";

const BOOTSTRAP_ID = "current";
let current = null;
let registeredDevice = null;

/** The vault belongs to another user than the one signed in on the server. */
export class WrongUserError extends Error {
  constructor() {
    super("You are signed in on the server as a different user from the owner of this device's vault.");
    this.name = "WrongUserError";
  }
}

export function currentBootstrap() {
  return current;
}

/** The template a checklist was made with (null if this device does not have it);
 *  without a version, the first the bootstrap lists. */
export function findTemplate(name, version) {
  const templates = current?.templates || [];
  return templates.find((t) => t.template === name && (version === undefined || t.version === version)) || null;
}

export function clearSession() {
  current = null;
  registeredDevice = null;
  setCsrfToken(null);
  setDeviceId(null);
}

/** Remember an answer fetched before the vault existed (kept in memory only). */
export function adoptBootstrap(data) {
  current = data;
}

/** After unlocking: take the stored bootstrap unless a fresher one is in memory. */
export async function loadStoredBootstrap() {
  const stored = await readSecret("bootstrap", BOOTSTRAP_ID);
  if (!current && stored) current = stored;
  return current;
}

/** Store the in-memory bootstrap in the vault (minus the short-lived CSRF token). */
export async function saveBootstrap() {
  if (!current || !isUnlocked()) return;
  const { csrf_token: _ignored, ...rest } = current;
  await writeSecrets({
    put: [{ kind: "bootstrap", id: BOOTSTRAP_ID, value: rest }],
    meta: { max_unlock_failures: current.policy?.max_unlock_failures ?? 10 },
  });
}

function deviceLabel() {
  const platform = navigator.userAgentData?.platform || navigator.platform || "device";
  const mobile = navigator.userAgentData?.mobile ? "mobile" : "browser";
  return `visitcheck on ${platform} (${mobile})`;
}

/**
 * Online: fetch bootstrap (fresh CSRF token), check it is the vault's owner,
 * store it, and register this device. Throws NetworkError / ApiError / WrongUserError.
 */
export async function refreshSession() {
  const info = await vaultInfo();
  if (info.exists && info.deviceId) setDeviceId(info.deviceId);
  const data = await fetchBootstrap();
  if (info.exists && info.userId && info.userId !== data.user.id) {
    setCsrfToken(null);
    throw new WrongUserError();
  }
  current = data;
  if (isUnlocked()) await saveBootstrap();
  await ensureDeviceRegistered();
  return data;
}

/** Register this device once per page life (the server treats repeats as no-ops). Needs a CSRF token. */
export async function ensureDeviceRegistered() {
  const info = await vaultInfo();
  if (info.exists && info.deviceId) setDeviceId(info.deviceId);
  if (!info.exists || !info.deviceId || registeredDevice === info.deviceId) return;
  await registerDevice({ deviceId: info.deviceId, label: deviceLabel() });
  registeredDevice = info.deviceId;
}
