"""An offline start loads only the passphrase step's modules; the caseload, the
visit form and the people editors load afterwards, from the service worker's
precache (docs/performance.md, "Fourth pass")."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .pages import PASSPHRASE, TabletApp

pytestmark = pytest.mark.browser

# Runs before the page's scripts: the app modules requested by the time the
# passphrase step shows (the unlock screen no longer hidden).
RECORD_START = """
(() => {
  const modules = () => performance.getEntriesByType("resource")
    .map((entry) => entry.name).filter((name) => name.includes("/app/"))
    .map((name) => name.split("/app/")[1]);
  new MutationObserver((_, observer) => {
    const unlock = document.getElementById("screen-unlock");
    if (unlock && !unlock.hidden) {
      window.__startModules = modules();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, childList: true, attributes: true,
                         attributeFilter: ["hidden"] });
})();
"""


def _installed(page, url: str, demo) -> TabletApp:
    """hv signed in, the vault set up, the caseload synced and the service worker in
    control: what an offline start needs to have happened once."""
    app = TabletApp(page, url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    return app.wait_for_service_worker().wait_for_households()


def test_an_offline_start_loads_the_passphrase_step_alone_and_a_visit_loads_after(
    live_server, demo, page
):
    app = _installed(page, live_server.url, demo)
    page.context.add_init_script(RECORD_START)

    app.go_offline().reload()
    expect(page.locator("#unlock-passphrase")).to_be_visible()
    started = set(page.evaluate("() => window.__startModules"))

    assert {"main.js", "screens/boot.js", "screens/unlock.js", "vault.js"} <= started
    assert not started & {"screens/visit.js", "form.js", "screens/caseload.js",
                          "screens/people.js", "people.js", "conflict.js",
                          "sync.js", "sync/push.js", "sync/pull.js", "export.js"}

    app.unlock(PASSPHRASE).expect_caseload()
    app.start_new_visit(0)
    expect(page.locator("#checklist-body fieldset").first).to_be_visible()
    loaded = set(page.evaluate("""() => performance.getEntriesByType("resource")
      .map((entry) => entry.name).filter((name) => name.includes("/app/"))
      .map((name) => name.split("/app/")[1])"""))
    assert {"screens/visit.js", "form.js", "screens/caseload.js", "sync.js"} <= loaded


def test_an_offline_start_asks_the_server_nothing_before_the_passphrase_step(
    live_server, demo, page
):
    # The browser knows it is offline (navigator.onLine false): boot does not try
    # the bootstrap, and says the device is offline all the same.
    app = _installed(page, live_server.url, demo)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    app.go_offline().reload()
    expect(page.locator("#unlock-passphrase")).to_be_visible()
    expect(page.locator("#unlock-notice")).to_contain_text("You are offline")

    assert [url for url in asked if "/api/" in url] == []
    assert any(url.endswith("/app") for url in asked)


# Runs before the page's scripts: who asked first to open the local database.
RECORD_OPEN = """
(() => {
  const open = indexedDB.open.bind(indexedDB);
  window.__opens = [];
  indexedDB.open = (...args) => {
    window.__opens.push(String(new Error().stack));
    return open(...args);
  };
})();
"""


def test_a_start_opens_the_database_before_the_start_modules_run(live_server, demo, page):
    # The page's own small module (app/open-db.js, loaded async) opens the database
    # while the passphrase step's modules are still loading; boot then reads the
    # vault through that same connection.
    app = _installed(page, live_server.url, demo)
    page.context.add_init_script(RECORD_OPEN)

    app.go_offline().reload()
    expect(page.locator("#unlock-passphrase")).to_be_visible()
    opens = page.evaluate("() => window.__opens")

    assert len(opens) == 1, opens
    assert "/app/open-db.js" in opens[0], opens[0]
    app.unlock(PASSPHRASE).expect_caseload()
