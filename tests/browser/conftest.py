"""Real-Chromium fixtures: Debian's chromium, tablet-sized contexts, and the app
served by the root conftest's live_server."""

from __future__ import annotations

import os

import pytest

CHROMIUM = os.environ.get("VISITCHECK_CHROMIUM", "/usr/bin/chromium")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_configure(config):
    # Unlocking runs PBKDF2 with 600,000 iterations; on a busy 2-core CI machine a
    # step can take several seconds. Wait longer than Playwright's 5 s default.
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)


def pytest_collection_modifyitems(items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def base_url():
    # Each test gets its own live_server URL; this replaces pytest-playwright's
    # fallback fixture, which pytest 9 warns about (and warnings are errors here).
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A tablet in landscape; service workers allowed (the default, stated here on purpose).
    return {
        **browser_context_args,
        "viewport": {"width": 1024, "height": 768},
        "service_workers": "allow",
        "locale": "en-GB",
        "timezone_id": "Europe/London",
    }


@pytest.fixture(autouse=True)
def _no_uncaught_page_errors(request):
    """Fail a browser test whose pages threw an uncaught exception."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    errors: list[str] = []
    page.context.on("weberror", lambda error: errors.append(str(error.error)))
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console: {msg.text}")
            if msg.type == "error"
            and "net::ERR_" not in msg.text
            and "Failed to load resource" not in msg.text
            else None
        ),
    )
    yield
    assert errors == [], errors


@pytest.fixture
def tablet(live_server, demo, page):
    """The app in a page, hv signed in with a vault set up and the caseload synced.
    Files that need a tablet not yet signed in define their own `tablet`."""
    from .pages import PASSPHRASE, TabletApp

    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    app.wait_for_households().wait_until_synced()
    return app


# Counting a practitioner's taps (issue 16 item 4, docs/tablet-ergonomics.md): with
# VISITCHECK_TAPS_FILE set, every trusted click and every field changed in the test's
# page is counted and the totals appended to that file as one JSON line per test.
TAP_COUNTER = """
for (const kind of ["click", "change"]) {
  document.addEventListener(kind, (event) => {
    if (event.isTrusted && window.__visitcheckTap) window.__visitcheckTap(kind);
  }, true);
}
"""


@pytest.fixture(autouse=True)
def _count_taps(request):
    target = os.environ.get("VISITCHECK_TAPS_FILE")
    if not target or "page" not in request.fixturenames:
        yield
        return
    import json

    page = request.getfixturevalue("page")
    counts = {"click": 0, "change": 0}

    def tap(kind: str) -> None:
        counts[kind] += 1

    page.context.expose_function("__visitcheckTap", tap)
    page.context.add_init_script(TAP_COUNTER)
    yield
    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps({"test": request.node.nodeid, **counts}) + "\n")
