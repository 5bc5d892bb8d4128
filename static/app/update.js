// Service worker registration and the "Update now" flow: a new shell waits
// until the user asks for it; the page saves any open draft first, then
// tells the waiting worker to take over and reloads once it has.

let registration = null;
let userAsked = false;

/**
 * Register /sw.js with scope "/". onUpdateReady() is called when a new
 * version is installed and waiting (now or later).
 */
export async function registerServiceWorker({ onUpdateReady } = {}) {
  if (!("serviceWorker" in navigator)) return null;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (userAsked) window.location.reload();
  });
  try {
    registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  } catch (error) {
    console.warn("service worker registration failed", error);
    return null;
  }
  const announce = () => {
    if (registration.waiting && navigator.serviceWorker.controller && onUpdateReady) onUpdateReady();
  };
  announce();
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    if (!worker) return;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed") announce();
    });
  });
  return registration;
}

/** Activate the waiting version (call only after saving any open draft). */
export function applyUpdate() {
  if (!registration || !registration.waiting) return false;
  userAsked = true;
  registration.waiting.postMessage({ type: "SKIP_WAITING" });
  return true;
}
