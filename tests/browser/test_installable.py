"""The shell is an installable PWA: Chromium finds nothing missing."""

from __future__ import annotations

import dataclasses

import pytest
from playwright.sync_api import expect

from visitcheck.shell import views as shell_views

from .pages import TabletApp

pytestmark = pytest.mark.browser


def test_chromium_reports_no_installability_errors(
    live_server, demo, browser_type, browser_type_launch_args, tmp_path
):
    # A real profile on disk: Chromium never offers to install from an incognito context.
    context = browser_type.launch_persistent_context(
        tmp_path / "profile", **browser_type_launch_args
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        TabletApp(page, live_server.url).sign_in("hv", demo.PASSWORD).wait_for_service_worker()
        cdp = context.new_cdp_session(page)

        manifest = cdp.send("Page.getAppManifest")
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    finally:
        context.close()

    assert manifest.get("errors", []) == []
    assert manifest["url"].endswith("/static/manifest.webmanifest")
    assert errors == []


def test_shell_offers_the_offline_page_for_server_pages_when_offline(live_server, demo, page):
    app = TabletApp(page, live_server.url).sign_in("hv", demo.PASSWORD)
    app.wait_for_service_worker().go_offline()

    page.goto(f"{live_server.url}/review")

    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()


# Where each request of the page was answered, as Chromium's resource timing says:
# workerMatchedSourceType is the static route that matched ("" when none did).
SOURCES = """() => performance.getEntriesByType("resource").map((entry) => ({
  path: new URL(entry.name).pathname,
  matched: entry.workerMatchedSourceType,
  final: entry.workerFinalSourceType,
}))"""

NAVIGATION = SOURCES.replace('"resource"', '"navigation"')


def test_an_offline_start_takes_the_shell_files_from_the_cache_without_running_the_worker(
    tablet, page
):
    tablet.wait_for_service_worker().go_offline().reload()
    expect(page.locator("#unlock-passphrase")).to_be_focused()

    version = page.locator("meta[name=shell-version]").get_attribute("content")
    shell = [source for source in page.evaluate(SOURCES)
             if source["path"].startswith(f"/static/{version}/")]
    shell += page.evaluate(NAVIGATION)
    assert any(source["path"].endswith("/app/main.js") for source in shell)
    assert any(source["path"] == "/app" for source in shell)
    answered = {(source["matched"], source["final"]) for source in shell}
    assert answered == {("cache", "cache")}, shell


def test_the_worker_leaves_api_requests_to_the_network_without_being_asked(tablet, page):
    tablet.wait_for_service_worker().reload()
    expect(page.locator("#unlock-passphrase")).to_be_focused()

    api = [source for source in page.evaluate(SOURCES) if source["path"].startswith("/api/")]
    assert any(source["path"] == "/api/v1/bootstrap" for source in api)
    assert all(source["matched"] == "network" for source in api), api


def test_a_new_version_on_the_server_leaves_the_open_app_as_it_is_until_update_now(
    tablet, page, monkeypatch
):
    tablet.wait_for_service_worker()
    version = page.locator("meta[name=shell-version]").get_attribute("content")
    real_build = shell_views.build_shell
    monkeypatch.setattr(shell_views, "build_shell",
                        lambda **kw: dataclasses.replace(real_build(**kw), version="0123456789ab"))

    tablet.reload()

    # Online, yet the page is this version's, from the cache: it matches the files
    # cached with it, and the new version waits to be asked for (test_update_flow.py).
    expect(page.locator("#unlock-passphrase")).to_be_focused()
    expect(page.locator("meta[name=shell-version]")).to_have_attribute("content", version)
