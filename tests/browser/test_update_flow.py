"""A new shell version waits; "Update now" saves the open draft, then takes over."""

from __future__ import annotations

import dataclasses

import pytest
from playwright.sync_api import expect

from visitcheck.shell import views as shell_views

from .pages import PASSPHRASE, SLOW, TabletApp

pytestmark = pytest.mark.browser


CACHE_NAMES = "async () => (await caches.keys()).sort()"
CHECK_FOR_UPDATE = (
    "async () => { const r = await navigator.serviceWorker.getRegistration(); await r.update(); }"
)
WAITING = "async () => Boolean((await navigator.serviceWorker.getRegistration()).waiting)"


def test_new_version_waits_until_update_now_and_keeps_the_open_draft(
    live_server, demo, page, monkeypatch
):
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    app.wait_for_service_worker().wait_for_households()
    [old_cache] = page.evaluate(CACHE_NAMES)

    form = app.start_new_visit(0)
    form.choose("visit.no_access", "false")
    page.get_by_label("Who was present").fill("Typed before the update")

    # The server now has a new shell version.
    real_build = shell_views.build_shell
    monkeypatch.setattr(
        shell_views,
        "build_shell",
        lambda **kw: dataclasses.replace(real_build(**kw), version="0123456789ab"),
    )
    page.evaluate(CHECK_FOR_UPDATE)
    page.wait_for_timeout(500)
    expect(page.get_by_role("button", name="Update now")).to_be_visible(timeout=SLOW)
    assert page.evaluate(WAITING), "the new worker must wait, not take over by itself"
    expect(form.field("visit.present")).to_have_value("Typed before the update")

    with page.expect_navigation(timeout=SLOW):
        page.get_by_role("button", name="Update now").click()

    app.unlock(PASSPHRASE).expect_caseload()
    assert page.evaluate(CACHE_NAMES) == ["visitcheck-shell-0123456789ab"]
    assert old_cache != "visitcheck-shell-0123456789ab"
    expect(page.locator('meta[name="shell-version"]')).to_have_attribute("content", "0123456789ab")
    expect(app.visits(0)).to_have_count(1)
    form = app.open_visit(0, 0)
    expect(form.field("visit.present")).to_have_value("Typed before the update")
