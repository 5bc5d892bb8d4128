"""'Same as for <first child>' on the People screen (samefor.js, issue 16 item 4's taps):
one tap copies the first child's answers into another child's, the fields those answers
open included; the form stays accessible (axe-core, 44 px targets) in portrait and
landscape; what is saved is what is shown."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .pages import PASSPHRASE, TabletApp
from .test_people_screens import AXE, _problems

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [{"width": 768, "height": 1024},
                                      {"width": 1024, "height": 768}],
                         ids=["portrait", "landscape"])
def test_one_tap_gives_leo_mias_answers_and_they_are_saved(live_server, demo, page: Page,
                                                           viewport):
    page.set_viewport_size(viewport)
    page.context.add_init_script(path=str(AXE))
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    family = app.open_people(app.household_index("14 Alder Row"))
    page.get_by_role("button", name="Add a person").click()
    form = page.locator("#person-form")
    form.get_by_label("Name, or a description").fill("Tall man in a grey van")
    form.locator('input[name="is_child"][value="false"]').check()
    form.locator('input[name="residence"][value="visits_regularly"]').check()
    mia, leo = (form.locator("fieldset.group-instance").filter(
        has=page.locator("legend", has_text=name)) for name in ("Mia Lawson", "Leo Lawson"))
    expect(mia.get_by_role("button", name="Same as for Mia Lawson")).to_have_count(0)
    mia.get_by_label("Relationship to Mia Lawson").fill("mother's partner")
    mia.locator('input[value="no"][name$=".parental_responsibility"]').check()
    mia.locator('input[value="true"][name$=".cares_unsupervised"]').check()
    mia.locator('input[value="false"][name$=".seen_by_practitioner"]').check()
    mia.locator('input[value="refused"][name$=".details_source"]').check()
    mia.get_by_label("Description").fill("Drives a grey van; about 40")
    expect(leo.get_by_label("Description")).to_be_hidden()

    leo.get_by_role("button", name="Same as for Mia Lawson").click()

    expect(leo.locator(".same-as-note")).to_have_text(
        "6 answers copied from Mia Lawson. Change any that differ.")
    expect(leo.get_by_label("Relationship to Leo Lawson")).to_have_value("mother's partner")
    for field, value in (("parental_responsibility", "no"), ("cares_unsupervised", "true"),
                         ("seen_by_practitioner", "false"), ("details_source", "refused")):
        expect(leo.locator(f'input[value="{value}"][name$=".{field}"]')).to_be_checked()
    expect(leo.get_by_label("Description")).to_be_visible()  # opened by "refused"
    expect(leo.get_by_label("Description")).to_have_value("Drives a grey van; about 40")
    assert _problems(page, "person form after the copy") == []

    # Leo's own answer differs: changed after the copy, and saved as shown.
    leo.get_by_label("Relationship to Leo Lawson").fill("stepfather")
    form.locator("button[type=submit]").click()
    expect(page.locator("#people-message")).to_contain_text("on this device")
    family.person("Tall man in a grey van").get_by_role("button", name="Edit",
                                                        exact=True).click()
    leo = page.locator("#person-form fieldset.group-instance").filter(
        has=page.locator("legend", has_text="Leo Lawson"))
    expect(leo.get_by_label("Relationship to Leo Lawson")).to_have_value("stepfather")
    expect(leo.locator('input[value="true"][name$=".cares_unsupervised"]')).to_be_checked()
    expect(leo.get_by_label("Description")).to_have_value("Drives a grey van; about 40")
