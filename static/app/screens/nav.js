// The ways from one screen to another. A screen that leads to another calls
// nav.renderList(), nav.openExisting(id), ... rather than importing the screen
// that owns it, so no two screens import each other and each can be imported
// (and tried) on its own. main.js connects these to the screens' own functions
// when the app starts; until then each throws, naming itself.

const notConnected = (name) => () => {
  throw new Error(`nav.${name} is not connected: main.js start() connects the screens`);
};

export const nav = {
  // unlock.js
  showUnlock: notConnected("showUnlock"),
  showSetPassphrase: notConnected("showSetPassphrase"),
  stopIdleLock: notConnected("stopIdleLock"),
  // caseload.js: draw Today, the attention list and the households again.
  renderList: notConnected("renderList"),
  // visit.js
  openNew: notConnected("openNew"),
  openExisting: notConnected("openExisting"),
  showVisit: notConnected("showVisit"),
  closeVisit: notConnected("closeVisit"),
  saveOpenDraftQuietly: notConnected("saveOpenDraftQuietly"),
  // people.js
  showPeople: notConnected("showPeople"),
  // signout.js: an administrator revoked or retired this device (sync.js tells).
  onRevoked: notConnected("onRevoked"),
};

/** Connect nav to the screens (main.js); a name nav does not have is a mistake. */
export function connect(handlers) {
  for (const [name, handler] of Object.entries(handlers)) {
    if (!(name in nav)) throw new Error(`nav has no ${name}`);
    nav[name] = handler;
  }
}
