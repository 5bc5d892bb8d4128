"""The outbox has one owner (static/app/outbox.js): a save reads it at most once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .pages import PASSPHRASE, TabletApp

pytestmark = pytest.mark.browser

# Count the vault decryptions of outbox records (their additional data is
# "outbox|<op id>", vault.js encryptRecord) from now on.
COUNT_OUTBOX_DECRYPTS = """
() => {
  const subtle = crypto.subtle;
  const decrypt = subtle.decrypt.bind(subtle);
  window.outboxDecrypts = 0;
  subtle.decrypt = (algorithm, key, data) => {
    const aad = algorithm && algorithm.additionalData;
    if (aad && new TextDecoder().decode(aad).startsWith("outbox|")) window.outboxDecrypts += 1;
    return decrypt(algorithm, key, data);
  };
}
"""


def test_a_save_decrypts_each_waiting_op_at_most_once(tablet):
    tablet.go_offline()
    tablet.start_new_visit(0).save_draft()
    tablet.back_to_list()
    form = tablet.start_new_visit(1)
    form.choose("visit.no_access", "false")
    form.save_draft()
    expect(tablet.status).to_have_attribute("data-waiting", "2")
    tablet.page.evaluate(COUNT_OUTBOX_DECRYPTS)

    tablet.page.get_by_label("Who was present").fill("Mum")
    form.save_draft()
    expect(tablet.status).to_have_attribute("data-waiting", "2")

    assert tablet.page.evaluate("window.outboxDecrypts") <= 2


OUTBOX_LENGTH = """
async () => (await (await import("/static/app/outbox.js")).loadOutbox()).length
"""


def test_an_op_queued_in_another_tab_is_read_here_though_this_tab_read_the_outbox_before(tablet):
    other = TabletApp(tablet.context.new_page(), tablet.base_url).open()
    other.unlock(PASSPHRASE).expect_caseload()
    other.wait_until_synced()
    assert other.page.evaluate(OUTBOX_LENGTH) == 0

    tablet.go_offline()
    tablet.start_new_visit(0).save_draft()

    assert other.page.evaluate(OUTBOX_LENGTH) == 1
