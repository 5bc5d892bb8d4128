"""The tablet's people forms offer the vocabulary the server serves in the bootstrap
(visitcheck/people/vocabulary.json), not a list of their own."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from visitcheck.people import vocabulary

from .pages import PASSPHRASE, TabletApp

pytestmark = pytest.mark.browser


def test_the_person_form_offers_the_residence_labels_the_server_serves(live_server, demo, page,
                                                                      monkeypatch):
    served = vocabulary.served()
    served["residences"] = [[code, "Stays now and then" if code == "stays_occasionally"
                             else label] for code, label in served["residences"]]
    monkeypatch.setattr(vocabulary, "served", lambda: served)
    app = TabletApp(page, live_server.url)
    app.sign_in("hv", demo.PASSWORD).set_passphrase(PASSPHRASE).wait_for_households()
    app.open_people(app.household_index("14 Alder Row"))

    page.get_by_role("button", name="Add a person").click()

    form = page.locator("#person-form")
    expect(form.get_by_label("Stays now and then")).to_have_count(1)
    expect(form.get_by_label("Stays occasionally")).to_have_count(0)
