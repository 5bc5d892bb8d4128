"""The vault hardened (issue 4): passphrase change and reset, sign-out that offers to
sync, storage that lasts, refusing to work where the vault cannot be stored, and
one editor per draft."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db

from .pages import PASSPHRASE, SLOW, TabletApp

pytestmark = pytest.mark.browser

NEW_PASSPHRASE = "a brand new passphrase"

DATABASES = "async () => (await indexedDB.databases()).map((d) => d.name)"

# Every stored record and the wrapped key, as base64 text, read straight from IndexedDB.
VAULT_SNAPSHOT = """
async () => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open("visitcheck");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const read = (store, method) => new Promise((resolve, reject) => {
    const request = db.transaction(store).objectStore(store)[method]();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const b64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer.buffer || buffer)));
  const records = await read("records", "getAll");
  const keys = await read("meta", "getAllKeys");
  const values = await read("meta", "getAll");
  db.close();
  const meta = Object.fromEntries(keys.map((k, i) => [k, values[i]]));
  return {
    records: Object.fromEntries(
      records.map((r) => [`${r.kind}|${r.id}`, b64(r.iv) + ":" + b64(r.ciphertext)])),
    wrappedKey: b64(meta.wrapped_key),
    salt: b64(meta.salt),
  };
}
"""

# Keep a handle on every IndexedDB connection the app opens, so a test can close
# them as the browser would.
CAPTURE_CONNECTIONS = """
(() => {
  const realOpen = IDBFactory.prototype.open;
  window.__connections = [];
  IDBFactory.prototype.open = function (...args) {
    const request = realOpen.apply(this, args);
    request.addEventListener("success", () => window.__connections.push(request.result));
    return request;
  };
})();
"""

# WebKit's private mode, roughly: binary values cannot be cloned into IndexedDB.
PUT_THROWS_DATA_CLONE_ERROR = """
(() => {
  const realPut = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (value, ...rest) {
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value) || value instanceof CryptoKey) {
      throw new DOMException("An object could not be cloned.", "DataCloneError");
    }
    return realPut.call(this, value, ...rest);
  };
})();
"""

WRAP_KEY_REFUSED = """
SubtleCrypto.prototype.wrapKey = function () {
  return Promise.reject(new DOMException("wrapKey is not supported here", "NotSupportedError"));
};
"""


@pytest.fixture
def tablet(live_server, page) -> TabletApp:
    return TabletApp(page, live_server.url)


def _checklists(live_server) -> int:
    with live_server.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Checklist))


def _draft_saved_offline(tablet: TabletApp, text: str) -> None:
    tablet.go_offline()
    form = tablet.start_new_visit(0)
    form.choose("visit.no_access", "false")
    tablet.page.get_by_label("Who was present").fill(text)
    form.save_draft()


# --- passphrase change and reset -------------------------------------------------


def test_changing_the_passphrase_rewraps_the_key_and_leaves_every_record_as_it_was(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.wait_until_synced()
    _draft_saved_offline(tablet, "Written before the change")
    tablet.back_to_list()
    before = tablet.page.evaluate(VAULT_SNAPSHOT)

    tablet.change_passphrase(PASSPHRASE, NEW_PASSPHRASE).expect_caseload()

    after = tablet.page.evaluate(VAULT_SNAPSHOT)
    assert after["records"] == before["records"]
    assert len(after["records"]) >= 3  # households, the draft, its outbox op ...
    assert after["wrappedKey"] != before["wrappedKey"]
    assert after["salt"] != before["salt"]
    tablet.lock().unlock(PASSPHRASE)
    expect(tablet.page.locator("#unlock-error")).to_contain_text("passphrase is not right")
    tablet.unlock(NEW_PASSPHRASE).expect_caseload()
    form = tablet.open_visit(0, 0)
    expect(form.field("visit.present")).to_have_value("Written before the change")


def test_changing_the_passphrase_needs_the_current_one(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()

    tablet.change_passphrase("not the current one", NEW_PASSPHRASE)

    expect(tablet.page.locator("#current-passphrase-error")).to_contain_text(
        "not your current passphrase")
    tablet.page.get_by_role("button", name="Cancel").click()
    tablet.lock().unlock(PASSPHRASE).expect_caseload()


def test_a_forgotten_passphrase_cannot_be_reset_offline(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.wait_until_synced()
    tablet.lock().go_offline()

    confirm = tablet.forget_passphrase()

    expect(tablet.page.locator("#unlock-error")).to_contain_text("needs a connection")
    expect(confirm).to_be_hidden()


def test_a_forgotten_passphrase_is_reset_online_after_warning_what_is_lost(
        tablet, demo, live_server):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.wait_until_synced()
    households = tablet.households().count()
    _draft_saved_offline(tablet, "Never synced")
    tablet.back_to_list().lock().go_online()

    confirm = tablet.forget_passphrase()

    expect(confirm).to_contain_text("1 item on this device has not reached the server")
    expect(confirm).to_contain_text("will be lost")
    tablet.page.get_by_role("button", name="Delete offline data and sign in again").click()
    tablet.page.wait_for_url(re.compile(r"/login"), timeout=SLOW)
    assert "visitcheck" not in tablet.page.evaluate(DATABASES)
    # Signing in again is the only way on: a new passphrase, then everything downloads again.
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(NEW_PASSPHRASE).wait_for_households()
    tablet.wait_until_synced()
    expect(tablet.households()).to_have_count(households)
    expect(tablet.page.locator("li.visit")).to_have_count(0)
    assert _checklists(live_server) == 0


# --- sign-out ------------------------------------------------------------------------


def test_sign_out_with_unsynced_work_can_sync_first_then_signs_out(tablet, demo, live_server):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.wait_until_synced()
    _draft_saved_offline(tablet, "Sent before signing out")
    tablet.back_to_list()

    tablet.sign_out()
    tablet.page.get_by_role("button", name="Sync first").click()
    expect(tablet.page.locator("#signout-confirm")).to_contain_text("You are offline")
    tablet.go_online()
    tablet.page.get_by_role("button", name="Sync first").click()

    tablet.page.wait_for_url(re.compile(r"/login"), timeout=SLOW)
    assert _checklists(live_server) == 1
    assert "visitcheck" not in tablet.page.evaluate(DATABASES)


# --- storage that lasts ---------------------------------------------------------------


def test_persistent_storage_is_requested_at_sign_in_and_use_is_shown(tablet, demo):
    tablet.page.add_init_script("""
      window.__persistCalls = 0;
      const realPersist = StorageManager.prototype.persist;
      StorageManager.prototype.persist = function () {
        window.__persistCalls += 1;
        return realPersist.call(this);
      };
    """)

    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()

    expect(tablet.page.locator("#storage-info")).to_contain_text(
        re.compile(r"Storage on this device: [\d.]+ [MG]B used of [\d.]+ [MG]B"))
    assert tablet.page.evaluate("window.__persistCalls") >= 1


@pytest.mark.parametrize("how", ["close", "versionchange", "silently"])
def test_a_database_connection_closed_under_the_app_is_reopened(tablet, demo, how):
    tablet.page.add_init_script(CAPTURE_CONNECTIONS)
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.wait_until_synced().go_offline()
    form = tablet.start_new_visit(0)
    form.choose("visit.no_access", "false")
    tablet.page.get_by_label("Who was present").fill("Saved after the close")

    closed = tablet.page.evaluate("""(how) => {
      for (const connection of window.__connections) {
        connection.close();
        if (how !== "silently") connection.dispatchEvent(new Event(how));
      }
      return window.__connections.length;
    }""", how)

    assert closed >= 1
    form.save_draft()
    tablet.back_to_list()
    expect(tablet.visits(0)).to_have_count(1)
    tablet.reload().unlock(PASSPHRASE).expect_caseload()
    expect(tablet.visits(0)).to_have_count(1)


@pytest.mark.parametrize("failure", [PUT_THROWS_DATA_CLONE_ERROR, WRAP_KEY_REFUSED],
                         ids=["DataCloneError", "wrapKey-refused"])
def test_a_browser_that_cannot_keep_the_vault_is_refused_offline_mode(tablet, demo, failure):
    tablet.page.add_init_script(failure)

    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE, confirm=PASSPHRASE)

    expect(tablet.page.get_by_role("heading", name="This browser cannot keep visits offline")
           ).to_be_visible(timeout=SLOW)
    expect(tablet.page.locator("#message-text")).to_contain_text("never keeps visits unencrypted")
    assert "visitcheck" not in tablet.page.evaluate(DATABASES)
    expect(tablet.page.get_by_role("heading", name="Your caseload")).to_be_hidden()


# --- one editor per draft ---------------------------------------------------------------


def test_a_draft_open_in_one_tab_is_read_only_in_another(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.wait_until_synced()
    form = tablet.start_new_visit(0)
    form.choose("visit.no_access", "false")
    tablet.page.get_by_label("Who was present").fill("Open in the first tab")
    form.save_draft()

    second = TabletApp(tablet.context.new_page(), tablet.base_url)
    second.open().unlock(PASSPHRASE).expect_caseload()
    other = second.open_visit(0, 0)

    expect(second.page.locator("#form-state")).to_contain_text(
        "being edited in another visitcheck tab or window on this device")
    expect(other.field("visit.present")).to_have_value("Open in the first tab")
    expect(other.field("visit.present")).to_be_disabled()
    expect(other.save_button).to_be_hidden()

    # The first tab saves again and lets go: the second opens it for editing by
    # itself, with what the first saved.
    tablet.page.get_by_label("Who was present").fill("Saved before the first tab let go")
    form.save_draft()
    tablet.back_to_list()
    expect(other.field("visit.present")).to_be_enabled()
    expect(other.field("visit.present")).to_have_value("Saved before the first tab let go")
    expect(other.save_button).to_be_visible()
    expect(second.page.locator("#form-state")).not_to_contain_text("another visitcheck tab")
