// What a start does not need, loaded with import() when first needed: the
// caseload (Today and the households), the visit form and the people editors,
// with everything they import (form, rules, conflict, chronology,
// follow-ups...); the sync loop (push, pull, queue), which runs only once
// unlocked; and the export to a file, which only an unlocked device offers.
// A start then fetches and compiles only the passphrase step's modules, those
// main.js imports statically (the page preloads exactly those);
// warm() loads the rest in idle time once the first screen shows, so opening a
// visit does not wait for them. The service worker precaches every module, so
// they load offline all the same.

const LOADERS = {
  caseload: () => import("./caseload.js"),
  visit: () => import("./visit.js"),
  people: () => import("./people.js"),
  entities: () => import("../entities.js"),
  sync: () => import("../sync.js"),
  export: () => import("../export.js"),
};

const loading = new Map();
const ready = new Map();

/** The module, loaded once (a failed load is tried again on the next call). */
export function later(name) {
  if (!(name in LOADERS)) throw new Error(`later has no ${name}`);
  if (!loading.has(name)) {
    const load = LOADERS[name]().then((module) => {
      ready.set(name, module);
      return module;
    }, (error) => {
      loading.delete(name);
      throw error;
    });
    loading.set(name, load);
  }
  return loading.get(name);
}

/** The module if it has loaded, else null: what no screen has opened yet has
 * nothing open to close, save or redraw. */
export function loaded(name) {
  return ready.get(name) ?? null;
}

/** Load every module here when the browser is idle (or within a second). */
export function warm() {
  const load = () => {
    for (const name of Object.keys(LOADERS)) later(name).catch((error) => console.error(error));
  };
  if (window.requestIdleCallback) window.requestIdleCallback(load, { timeout: 1000 });
  else setTimeout(load, 0);
}
