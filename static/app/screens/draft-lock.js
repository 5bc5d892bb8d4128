// One tab edits a draft at a time (Web Locks, one lock per visit). Browsers
// without Web Locks edit everywhere, as before there were locks.

const lockName = (entityId) => `visitcheck-draft-${entityId}`;

/** Hold this draft's lock: resolves to its release function, or null if another tab holds it. */
export function acquireDraftLock(entityId) {
  if (!navigator.locks || !navigator.locks.request) return Promise.resolve(() => {});
  return new Promise((resolve) => {
    navigator.locks.request(lockName(entityId), { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      return new Promise((release) => resolve(release));
    });
  });
}

/** Once the tab holding this draft lets it go, call onFree (not after signal aborts). */
export function whenDraftFrees(entityId, signal, onFree) {
  if (!navigator.locks || !navigator.locks.request) return;
  navigator.locks.request(lockName(entityId), { signal }, () => undefined)
    .then(onFree)
    .catch((error) => { if (error.name !== "AbortError") console.error(error); });
}
