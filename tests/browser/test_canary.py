"""Canary: a marker typed into every text field of a checklist (every section the demo
household shows) and of a person record is found in clear in no browser store:
IndexedDB, Cache Storage, localStorage, sessionStorage (nor cookies or the URL)."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.review_support import record_concern

from .pages import PASSPHRASE, TabletApp, VisitForm
from .scan import dump_origin_storage

pytestmark = pytest.mark.browser


TEXT_FIELDS = (
    'input[type="text"]:visible:enabled, input:not([type]):visible:enabled, '
    "textarea:visible:enabled"
)


def _fill_every_text_field(page: Page, scope: str, canary: str) -> int:
    """Type the canary (numbered) into every empty visible text field under scope."""
    filled = 0
    for field in page.locator(scope).locator(TEXT_FIELDS).all():
        if field.input_value():
            continue
        field.fill(f"{canary}-{filled}")
        filled += 1
    return filled


def _assert_nowhere_in_clear(page: Page, canary: str) -> None:
    storage = dump_origin_storage(page)
    assert "visitcheck" in [d["name"] for d in storage["databases"]]
    assert storage["caches"], "the shell should be precached (so Cache Storage was scanned)"
    assert canary not in storage["text"]
    assert canary not in page.url


def test_a_canary_in_every_checklist_text_field_is_in_no_browser_store(
        live_server, demo, page, api_client):
    canary = f"CANARY{secrets.token_hex(8)}"
    # A concern about an adult of the second household, so S3 has someone to ask about.
    record_concern(live_server.app, api_client("hv"), demo)
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    app.wait_for_service_worker().wait_for_households()
    app.wait_until_synced().go_offline()
    card = page.locator(f'article.household[data-household="{demo.households[1]}"]')
    card.get_by_role("button", name="New visit").click()
    form = VisitForm(page)
    form.fill_visit_section(present="", visit_type="targeted")
    # Open what the answers can open: a row in every list, and the answers that
    # reveal a description field.
    for add in page.locator("#checklist-body button.add-row").all():
        add.click()
    for radio in page.locator(
        '#checklist-body input[type="radio"][value="refused"], '
        '#checklist-body input[type="radio"][name$=".consent_sought"][value="false"]'
    ).all():
        radio.check()

    filled = _fill_every_text_field(page, "#checklist-body", canary)

    sections = page.locator("#checklist-body fieldset.section")
    assert sections.count() == 8
    for index in range(8):
        assert canary in sections.nth(index).locator("xpath=.").evaluate(
            "(node) => [...node.querySelectorAll('input, textarea')].map((i) => i.value).join(' ')"
        ), f"section {index + 1} has no text field filled"
    assert filled >= 30
    form.save_draft()
    _assert_nowhere_in_clear(page, canary)

    app.back_to_list()
    _assert_nowhere_in_clear(page, canary)


def test_a_canary_in_every_text_field_of_a_person_record_is_in_no_browser_store(
        live_server, demo, page):
    canary = f"CANARY{secrets.token_hex(8)}"
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    app.wait_for_service_worker().wait_for_households()
    app.wait_until_synced().go_offline()
    app.household(0).get_by_role("button", name="People").click()
    page.get_by_role("button", name="Add a person").click()
    page.locator('#people-body input[type="radio"][value="false"]').first.check()
    page.locator('#people-body input[type="radio"][value="lives_here"]').first.check()
    for radio in page.locator('#people-body input[type="radio"][value="refused"]').all():
        radio.check()

    filled = _fill_every_text_field(page, "#people-body form", canary)

    assert filled >= 2  # names, aliases, and the per-child details shown for an adult
    page.get_by_role("button", name="Add this person").click()
    expect(page.locator("#people-body")).to_contain_text(f"{canary}-0")
    _assert_nowhere_in_clear(page, canary)
