// Auto-lock after a period without interaction, and when the app comes back
// after being hidden for longer than that.

const ACTIVITY_EVENTS = ["pointerdown", "keydown", "input", "wheel", "touchstart"];

/** Start watching; onIdle() runs once when the limit passes. Returns stop(). */
export function startIdleLock({ seconds, onIdle }) {
  const limitMs = Math.max(30, Number(seconds) || 300) * 1000;
  let last = Date.now();
  let fired = false;
  const fire = () => {
    if (fired) return;
    fired = true;
    stop();
    onIdle();
  };
  const touch = () => {
    last = Date.now();
  };
  const check = () => {
    if (Date.now() - last >= limitMs) fire();
  };
  const onVisibility = () => {
    if (document.visibilityState === "visible") check();
  };
  for (const name of ACTIVITY_EVENTS) window.addEventListener(name, touch, { passive: true, capture: true });
  document.addEventListener("visibilitychange", onVisibility);
  const interval = setInterval(check, 5000);
  function stop() {
    clearInterval(interval);
    for (const name of ACTIVITY_EVENTS) window.removeEventListener(name, touch, { capture: true });
    document.removeEventListener("visibilitychange", onVisibility);
  }
  return stop;
}
