"""The shell is an installable PWA: Chromium finds nothing missing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

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
