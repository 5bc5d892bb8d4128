"""Locking and wiping under a short server policy: 30 seconds idle, 3 wrong passphrases."""

from __future__ import annotations

import dataclasses

import pytest
from playwright.sync_api import expect

from .pages import PASSPHRASE, TabletApp

pytestmark = pytest.mark.browser

DATABASES = "async () => (await indexedDB.databases()).map((d) => d.name)"


@pytest.fixture
def app_config(app_config):
    return dataclasses.replace(app_config, idle_lock_seconds=30, max_unlock_failures=3)


@pytest.fixture
def tablet(live_server, page) -> TabletApp:
    return TabletApp(page, live_server.url)


def test_idle_lock_takes_the_open_draft_off_the_screen_and_unlocking_brings_it_back(
        tablet, demo):
    tablet.page.clock.install()
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    form = tablet.start_new_visit(0)
    form.choose("visit.no_access", "false")
    tablet.page.get_by_label("Who was present").fill("Typed just before walking away")

    tablet.page.clock.fast_forward("00:40")

    expect(tablet.page.locator("#unlock-passphrase")).to_be_visible()
    expect(tablet.page.locator("#unlock-notice")).to_contain_text("inactive")
    assert "Typed just before walking away" not in tablet.page.content()
    expect(tablet.page.locator("#checklist-body")).to_be_empty()
    tablet.unlock(PASSPHRASE).expect_caseload()
    form = tablet.open_visit(0, 0)
    expect(form.field("visit.present")).to_have_value("Typed just before walking away")


def test_the_vault_is_wiped_after_the_policy_count_of_wrong_passphrases(tablet, demo):
    tablet.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    tablet.wait_until_synced()
    tablet.lock()

    tablet.unlock("wrong passphrase one")
    expect(tablet.page.locator("#unlock-error")).to_contain_text(
        "2 more wrong tries delete this device's offline data")
    tablet.unlock("wrong passphrase two")
    expect(tablet.page.locator("#unlock-error")).to_contain_text(
        "1 more wrong try deletes this device's offline data")
    tablet.unlock("wrong passphrase three")

    expect(tablet.page.get_by_role("heading", name="Offline data deleted")).to_be_visible()
    expect(tablet.page.locator("#message-text")).to_contain_text("Too many wrong passphrases")
    assert "visitcheck" not in tablet.page.evaluate(DATABASES)
