/* visitcheck service worker, served at /sw.js with scope "/".
 *
 * The server replaces the two tokens below: the shell version (a hash of the
 * shell files) and the JSON list of shell URLs to precache. Only the shell
 * (HTML, JS, CSS, icons, manifest, offline page) ever goes into Cache
 * Storage; /api/* is never cached: personal data lives only encrypted in
 * IndexedDB.
 */

const SHELL_VERSION = "__SHELL_VERSION__";
const SHELL_FILES = __SHELL_FILES__;
const CACHE_PREFIX = "visitcheck-shell-";
const CACHE_NAME = CACHE_PREFIX + SHELL_VERSION;
const APP_URL = "/app";
const OFFLINE_URL = "/offline";

const SHELL_PATHS = new Set(SHELL_FILES.map((url) => new URL(url, self.location.origin).pathname));

// A redirected response cannot answer a navigation; keep only its body and headers.
async function cleanResponse(response) {
  if (!response.redirected) return response;
  const body = await response.blob();
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

// A URL under /static/<version>/ names one content for good, so the copy the page
// has just loaded is the right one; the pages and plain URLs are fetched afresh.
const VERSIONED_PREFIX = `/static/${SHELL_VERSION}/`;

async function precache() {
  const cache = await caches.open(CACHE_NAME);
  await Promise.all(SHELL_FILES.map(async (url) => {
    const mode = url.startsWith(VERSIONED_PREFIX) ? "default" : "reload";
    const response = await fetch(new Request(url, { cache: mode, credentials: "same-origin" }));
    if (!response.ok) throw new Error(`precache of ${url} failed: ${response.status}`);
    await cache.put(url, await cleanResponse(response));
  }));
}

self.addEventListener("install", (event) => {
  // The versioned shell files come straight from this version's cache, without
  // starting this worker or running its fetch handler (the static routing API,
  // Chromium 123+; elsewhere the fetch handler below does the same). A miss goes
  // to the network.
  // The same for opening the app (see shellNavigation). The API is never the
  // worker's business (see the fetch handler): straight to the network.
  if (event.addRoutes) {
    event.addRoutes([
      { condition: { urlPattern: { pathname: `${VERSIONED_PREFIX}*` }, requestMethod: "GET" },
        source: { cacheName: CACHE_NAME } },
      { condition: { urlPattern: { pathname: APP_URL }, requestMode: "navigate" },
        source: { cacheName: CACHE_NAME } },
      { condition: { urlPattern: { pathname: "/api/*" } }, source: "network" },
    ]);
  }
  // No skipWaiting here: a new version waits until the page asks for it.
  event.waitUntil(precache());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name !== CACHE_NAME)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

// Background Sync (Chromium): the page registers this tag while ops wait.
// The worker holds no key and cannot read the encrypted outbox, so it only
// asks the open pages to flush; with no page open, the next start flushes.
const OUTBOX_SYNC_TAG = "visitcheck-outbox";

self.addEventListener("sync", (event) => {
  if (event.tag !== OUTBOX_SYNC_TAG) return;
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const page of pages) page.postMessage({ type: "visitcheck-flush" });
  })());
});

// Navigations to the shell: this version's page from the cache, so that opening
// the app waits on nothing (no network, no server, no lie-fi) and the page always
// matches the files cached with it. A new version of the page comes with a new
// version of the worker (its hash covers app.html and the page's headers), which
// waits for "Update now". The network only if the page is missing from the cache.
async function shellNavigation(request) {
  const cache = await caches.open(CACHE_NAME);
  const cached = await cache.match(APP_URL, { ignoreVary: true });
  if (cached) return cached;
  try {
    return await fetch(request);
  } catch {
    return offlinePage();
  }
}

// Shell files: from the versioned cache, the network if missing.
async function shellFile(request) {
  const cache = await caches.open(CACHE_NAME);
  const cached = await cache.match(request, { ignoreVary: true });
  return cached || fetch(request);
}

// Other navigations (server pages): network, the offline page if that fails.
async function otherNavigation(request) {
  try {
    return await fetch(request);
  } catch {
    return offlinePage();
  }
}

async function offlinePage() {
  const cache = await caches.open(CACHE_NAME);
  const cached = await cache.match(OFFLINE_URL, { ignoreVary: true });
  return cached || new Response("You are offline.", {
    status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return; // sign-in, sign-out, pushes: straight to the network
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  // API: network only, never cached (the browser handles it as if we were not here).
  if (url.pathname.startsWith("/api/")) return;

  if (request.mode === "navigate") {
    if (url.pathname === APP_URL || url.pathname === `${APP_URL}/`) {
      event.respondWith(shellNavigation(request));
    } else {
      event.respondWith(otherNavigation(request));
    }
    return;
  }

  if (url.pathname.startsWith("/static/") && SHELL_PATHS.has(url.pathname)) {
    event.respondWith(shellFile(request));
  }
  // Anything else: the network, untouched.
});
