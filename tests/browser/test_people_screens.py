"""The people screens on the tablet: accessible (axe-core, 44 px targets, real
labels, no autocomplete), editable offline, kept only in the vault, and a
person's edit goes from their known revision."""

from __future__ import annotations

import secrets
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import expect

from visitcheck.extensions import db, keyring
from visitcheck.keys import decrypt_fields
from visitcheck.people import service as people

from .pages import PASSPHRASE, SLOW, TabletApp
from .scan import dump_origin_storage

pytestmark = pytest.mark.browser

AXE = Path(axe_playwright_python.__file__).parent / "axe.min.js"

RUN_AXE = """
async () => {
  const result = await axe.run(document.querySelector("#screen-people"));
  return {
    passes: result.passes.length,
    violations: result.violations.map(v => ({
      id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
    })),
  };
}
"""

UNLABELLED_OR_SMALL = """
() => [...document.querySelectorAll(
    "#screen-people input, #screen-people textarea, #screen-people button")]
  .filter(el => el.offsetParent !== null)
  .map(el => {
    const box = el.getBoundingClientRect();
    const small = el.type === "checkbox" || el.type === "radio" ? box.height < 24 : box.height < 44;
    const labelled = el.tagName === "BUTTON" || document.querySelector(`label[for="${el.id}"]`);
    const autocomplete = el.tagName === "BUTTON" || el.getAttribute("autocomplete") === "off";
    return small || !labelled || !autocomplete
      ? `${el.tagName} ${el.name || el.textContent.trim()}: ${box.height}px labelled=${!!labelled}`
      : null;
  })
  .filter(Boolean)
"""


def _problems(page, where: str) -> list[str]:
    result = page.evaluate(RUN_AXE)
    assert result["passes"] > 5, "axe-core did not run"
    found = [f"{where}: {v['id']}: {v['help']} at {v['nodes']}" for v in result["violations"]]
    return found + [f"{where}: {c}" for c in page.evaluate(UNLABELLED_OR_SMALL)]


def test_people_screens_are_accessible(live_server, demo, page):
    page.context.add_init_script(path=str(AXE))
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    family = app.open_people(app.household_index("14 Alder Row"))
    problems = _problems(page, "household")

    page.get_by_role("button", name="Add a person").click()
    page.locator('#person-form input[name="is_child"][value="false"]').check()
    page.locator('#person-form input[name^="child."][value="refused"]').first.check()
    problems += _problems(page, "person form")
    page.get_by_role("button", name="Cancel").click()

    family.person("Kerry Lawson").get_by_role("button", name="Record a concern").click()
    problems += _problems(page, "concern form")
    page.locator("#concern-form button[type=submit]").click()
    expect(page.locator("#concern-form .field-error").first).to_be_visible()
    problems += _problems(page, "concern form with errors")
    page.get_by_role("button", name="Cancel").click()

    family.person("Kerry Lawson").get_by_role("button", name="Link to another household").click()
    page.get_by_label("A new household").check()
    problems += _problems(page, "link form")
    assert problems == []


def test_people_recorded_offline_stay_in_the_vault_and_edits_go_from_the_known_revision(
    live_server, demo, page
):
    canary = f"Canary {secrets.token_hex(6)}"
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE)
    app.wait_for_service_worker().wait_for_households()
    alder = app.household_index("14 Alder Row")
    app.go_offline()

    family = app.open_people(alder)
    family.add_person(name=canary, child=False, residence="stays_occasionally", aliases="Nan")
    expect(family.person(canary)).to_contain_text("stays occasionally")
    added_id = family.person_id(canary)
    family.edit_person("Kerry Lawson", aliases="Kez")
    # An edit of a person not yet sent replaces their waiting op, ahead of the link.
    family.edit_person(canary, aliases="Nana")
    expect(app.status).to_have_attribute("data-waiting", "3")  # person, link, person

    storage = dump_origin_storage(page)
    assert canary not in storage["text"]
    assert canary not in page.url

    family.back()
    app.expect_caseload()
    expect(app.household(alder)).to_contain_text("2 adults")

    app.go_online()
    app.wait_until_synced(timeout=SLOW)
    with live_server.app.app_context():
        household = people.household_by_public_id(db.session, demo.households[0])
        kerry = next(
            m.person
            for m in household.memberships
            if decrypt_fields(m.person, keyring=keyring())["names"] == ["Kerry Lawson"]
        )
        assert kerry.rev == 2  # edited once, from revision 1: no conflict
        assert decrypt_fields(kerry, keyring=keyring())["aliases"] == ["Kez"]
        names = [
            decrypt_fields(m.person, keyring=keyring())["names"][0] for m in household.memberships
        ]
        assert canary in names
        added = next(m.person for m in household.memberships if m.person.uuid == added_id)
        assert added.rev == 1
        assert decrypt_fields(added, keyring=keyring())["aliases"] == ["Nana"]
