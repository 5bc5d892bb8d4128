"""A retention purge reaches the tablet: its next pull deletes the purged records
from its vault, and a held household stays."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .pages import SLOW

pytestmark = pytest.mark.browser

READ = """
async ({ kind, id }) => {
  const { readSecret } = await import("/static/app/vault.js");
  return await readSecret(kind, id);
}
"""


def _held(live_server, demo) -> str:
    held = demo.households[1]
    result = live_server.app.test_cli_runner().invoke(
        args=["retention", "hold", "add", "--household", held, "--reason", "Court order"])
    assert result.exit_code == 0, result.output
    return held


def test_the_next_pull_deletes_purged_records_from_the_vault(tablet, live_server, demo):
    purged, held = demo.households[0], _held(live_server, demo)
    child = demo.children[purged][0]
    assert tablet.page.evaluate(READ, {"kind": "household", "id": purged}) is not None
    assert tablet.page.evaluate(READ, {"kind": "person", "id": child}) is not None
    addresses = tablet.households().count()

    # Decades on, every demo child is past their 25th birthday.
    result = live_server.app.test_cli_runner().invoke(
        args=["retention", "purge", "--today", "2060-01-01"])
    assert result.exit_code == 0, result.output
    tablet.sync_now().wait_until_synced()

    expect(tablet.households()).to_have_count(addresses - 2, timeout=SLOW)
    assert tablet.page.evaluate(READ, {"kind": "household", "id": purged}) is None
    assert tablet.page.evaluate(READ, {"kind": "person", "id": child}) is None
    assert tablet.page.evaluate(READ, {"kind": "household", "id": held}) is not None
