"""The offline vault: passphrase rules, unlock, lock, and sign-out wiping it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .pages import PASSPHRASE, SLOW, TabletApp

pytestmark = pytest.mark.browser


DATABASES = "async () => (await indexedDB.databases()).map((d) => d.name)"
META_KEYS = """
async () => {
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open("visitcheck");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const keys = await new Promise((resolve) => {
    const request = db.transaction("meta").objectStore("meta").getAllKeys();
    request.onsuccess = () => resolve(request.result);
  });
  db.close();
  return keys.sort();
}
"""


@pytest.fixture
def tablet(live_server, page) -> TabletApp:
    return TabletApp(page, live_server.url)


def test_passphrases_that_differ_are_refused_next_to_the_field(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE, confirm="something else")

    expect(tablet.page.locator("#passphrase-confirm-error")).to_contain_text("not the same")
    expect(tablet.page.locator("#passphrase")).to_be_visible()


def test_short_passphrase_is_refused(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase("short", confirm="short")

    expect(tablet.page.locator("#passphrase-error")).to_contain_text("at least 8")


def test_meta_store_holds_only_non_personal_items(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.wait_until_synced()

    keys = tablet.page.evaluate(META_KEYS)

    assert set(keys) <= {
        "vault_format",
        "kdf",
        "salt",
        "iterations",
        "wrap_iv",
        "wrapped_key",
        "user_id",
        "device_id",
        "unlock_failures",
        "max_unlock_failures",
        "last_failure_at",
        "created_at",
        "outbox_seq",
        "pull_cursor",
        "last_sync_at",
        # The push backoff: how many failures in a row and when the next try may be.
        "sync_backoff",
    }


def test_wrong_passphrase_is_refused_with_a_clear_message(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.lock()

    tablet.unlock("not my passphrase")

    expect(tablet.page.locator("#unlock-error")).to_contain_text("passphrase is not right")
    tablet.unlock(PASSPHRASE).expect_caseload()


def test_lock_drops_the_caseload_from_the_page(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    address = tablet.household_address(0)

    tablet.lock()

    assert address not in tablet.page.content()
    expect(tablet.page.get_by_role("button", name="Lock", exact=True)).to_be_hidden()


def test_reopening_the_app_online_asks_to_unlock_not_to_set_up_again(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()

    tablet.open()

    expect(tablet.page.locator("#unlock-passphrase")).to_be_visible(timeout=SLOW)


def test_sign_out_wipes_the_vault_and_ends_the_session(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.wait_until_synced()

    tablet.sign_out()

    tablet.page.wait_for_url(re.compile(r"/login"))
    assert "visitcheck" not in tablet.page.evaluate(DATABASES)
    tablet.page.goto(f"{tablet.base_url}/app")
    tablet.page.wait_for_url(re.compile(r"/login"), timeout=SLOW)


def test_sign_out_with_unsynced_work_asks_first(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.go_offline()
    tablet.start_new_visit(0).save_draft()

    tablet.sign_out()

    expect(tablet.page.locator("#signout-confirm")).to_contain_text(
        "1 item has not reached the server"
    )
    tablet.page.get_by_role("button", name="Cancel").click()
    expect(tablet.page.locator("#signout-confirm")).to_be_hidden()


def test_without_a_vault_an_offline_start_asks_to_sign_in_online_first(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).wait_for_service_worker()
    expect(tablet.page.locator("#passphrase")).to_be_visible()

    tablet.go_offline().reload()

    expect(tablet.page.get_by_role("heading", name="Sign in online first")).to_be_visible()


def test_inactivity_locks_the_app(tablet, demo):
    tablet.page.clock.install()
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()

    tablet.page.clock.fast_forward("05:30")

    expect(tablet.page.locator("#unlock-passphrase")).to_be_visible()
    expect(tablet.page.locator("#unlock-notice")).to_contain_text("inactive")


def test_a_device_revoked_as_lost_wipes_its_vault_on_contact(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.page.route(
        "**/api/v1/sync/push",
        lambda route: route.fulfill(
            status=410,
            content_type="application/problem+json",
            body='{"type": "https://visitcheck.example/problems/device-revoked", '
            '"title": "This device was revoked", "status": 410, "wipe": true}',
        ),
    )

    # The save sends at once, and the 410 may wipe the screen before "Draft saved" can
    # be read: only the wipe is waited for.
    tablet.start_new_visit(0).save_button.click()

    expect(tablet.page.get_by_role("heading", name="This device was signed out")).to_be_visible()
    assert "visitcheck" not in tablet.page.evaluate(DATABASES)
