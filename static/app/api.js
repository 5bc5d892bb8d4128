// The JSON API client: same-origin cookies, the CSRF token from bootstrap
// in X-CSRFToken on every non-GET call, problem+json errors as ApiError.
// Responses are never cached (the service worker passes /api/* through).

const TIMEOUT_MS = 20000;
let csrfToken = null;
// Every call names this device (X-Visitcheck-Device), so a revoked device
// learns to wipe on its next contact, even once its session has ended.
let deviceId = null;

/** The server could not be reached (offline, DNS, reset, timeout). */
export class NetworkError extends Error {
  constructor(cause) {
    super("The server could not be reached.");
    this.name = "NetworkError";
    this.cause = cause;
  }
}

/** The server answered with an error status; problem is the problem+json body if any. */
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem || {};
  }

  get signedOut() {
    return this.status === 401;
  }

  /** 410 with wipe: true — the device was revoked as lost or stolen. */
  get wipe() {
    return this.status === 410 && this.problem.wipe === true;
  }

  get csrfFailed() {
    const type = String(this.problem.type || "");
    const text = `${this.problem.title || ""} ${this.problem.detail || ""}`.toLowerCase();
    return (this.status === 400 || this.status === 403) && (type.includes("csrf") || text.includes("csrf"));
  }

  /** Worth retrying later (server trouble or rate limit). */
  get transient() {
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

export function setCsrfToken(token) {
  csrfToken = token || null;
}

export function hasCsrfToken() {
  return csrfToken !== null;
}

/** The device id sent in X-Visitcheck-Device on every call (null: none yet). */
export function setDeviceId(id) {
  deviceId = id || null;
}

async function request(method, path, body) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (deviceId) headers["X-Visitcheck-Device"] = deviceId;
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    if (csrfToken) headers["X-CSRFToken"] = csrfToken;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
      signal: controller.signal,
    });
  } catch (error) {
    throw new NetworkError(error);
  } finally {
    clearTimeout(timer);
  }
  if (response.type === "opaqueredirect") {
    // An API call redirected to the sign-in page means the session is gone.
    throw new ApiError(401, { title: "Not signed in" });
  }
  const type = response.headers.get("Content-Type") || "";
  let payload = null;
  if (type.includes("json")) {
    try {
      payload = await response.json();
    } catch {
      payload = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, payload);
  return payload;
}

/** GET /api/v1/bootstrap; also remembers the CSRF token. */
export async function fetchBootstrap() {
  const data = await request("GET", "/api/v1/bootstrap");
  setCsrfToken(data.csrf_token);
  return data;
}

/** POST /api/v1/devices (idempotent). */
export function registerDevice({ deviceId, label }) {
  return request("POST", "/api/v1/devices", { device_id: deviceId, label });
}

/** POST /api/v1/sync/push → {results: [...]} */
export function pushOps({ deviceId, ops }) {
  return request("POST", "/api/v1/sync/push", { device_id: deviceId, ops });
}

/** GET /api/v1/sync/pull → {changes, cursor, more} */
export function pullChanges({ cursor, limit = 200 }) {
  const query = new URLSearchParams({ cursor: String(cursor), limit: String(limit) });
  return request("GET", `/api/v1/sync/pull?${query}`);
}
