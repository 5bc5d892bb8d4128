"""The review queue: the urgent first, filters, pages, counts per flag, overdue reviews at
the top, and old drafts apart as "not yet submitted" only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.review_support import set_checklist, submit_checklist, web_client
from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.extensions import db, keyring
from visitcheck.review import queue as review

DRAFT_CANARY = "canary-draft-content-5c1e"


def _rows(body: str) -> list[str]:
    table = body.split('id="queue-heading"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr(?: class=\"row-overdue\")?>\s*<td><a href=\"/review/([0-9a-f-]+)\"",
                      table)


def _three(app, demo, api_client) -> tuple[str, str, str]:
    hv, sn = api_client("hv"), api_client("sn")
    quiet = submit_checklist(hv, demo.households[0], demo.children[demo.households[0]])
    urgent = submit_checklist(hv, demo.households[1], demo.children[demo.households[1]])
    school = demo.school_households[0]
    action = submit_checklist(sn, school, demo.children[school])
    # Flags set by hand, whatever the server's rules made of these plain visits.
    set_checklist(app, quiet, flags=[])
    set_checklist(app, urgent, flags=[("poc-contact", "urgent"), ("mappa-check", "action")])
    set_checklist(app, action, flags=[("mappa-check", "action")])
    return quiet, urgent, action


def test_the_urgent_come_first_with_the_severity_in_words(app, demo, api_client):
    quiet, urgent, action = _three(app, demo, api_client)
    body = web_client(app, "lead").get("/review").get_data(as_text=True)
    assert _rows(body) == [urgent, action, quiet]
    assert '<span class="flag-severity">Urgent:</span> Poc contact' in body
    assert '<span class="flag-severity">Action:</span> Mappa check <span class="count">2</span>' \
        in body


def test_filters_by_flag_severity_practitioner_and_status(app, demo, api_client):
    quiet, urgent, action = _three(app, demo, api_client)
    lead = web_client(app, "lead")
    assert _rows(lead.get("/review?flag=mappa-check").get_data(as_text=True)) == [urgent, action]
    assert _rows(lead.get("/review?severity=urgent").get_data(as_text=True)) == [urgent]
    sn = demo.users["sn"]
    assert _rows(lead.get(f"/review?practitioner={sn}").get_data(as_text=True)) == [action]
    household = demo.households[0]
    assert _rows(lead.get(f"/review?household={household}").get_data(as_text=True)) == [quiet]
    assert _rows(lead.get("/review?status=approved").get_data(as_text=True)) == []
    assert _rows(lead.get("/review?date_from=2026-11-21").get_data(as_text=True)) == []
    assert len(_rows(lead.get("/review?date_from=2026-11-20&date_to=2026-11-20")
                     .get_data(as_text=True))) == 3


def test_the_queue_comes_in_pages_of_twenty(app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[0]
    ops = [sealed_op(hv.bootstrap, checklist_payload(
        household, status="submitted", answers=complete_visit(demo.children[household])))
        for _ in range(23)]
    assert {r["status"] for r in hv.push(ops).get_json()["results"]} == {"applied"}
    lead = web_client(app, "lead")
    first = lead.get("/review?sort=oldest").get_data(as_text=True)
    second = lead.get("/review?sort=oldest&page=2").get_data(as_text=True)
    assert len(_rows(first)) == 20
    assert len(_rows(second)) == 3
    assert "Page 1 of 2" in first
    assert 'href="/review?sort=oldest&amp;page=2"' in first
    assert set(_rows(first)).isdisjoint(_rows(second))
    assert set(_rows(first)) | set(_rows(second)) == {op["entity_id"] for op in ops}


def test_an_urgent_flag_without_a_decision_after_a_working_day_is_overdue_at_the_top(
        app, demo, api_client):
    quiet, urgent, action = _three(app, demo, api_client)
    set_checklist(app, urgent, submitted_at=datetime.now(UTC) - timedelta(days=5))
    set_checklist(app, action, submitted_at=datetime.now(UTC) - timedelta(days=5))
    body = web_client(app, "lead").get("/review").get_data(as_text=True)
    overdue = body.split('id="overdue-heading"', 1)[1].split("</section>", 1)[0]
    assert "Overdue for review (1)" in body
    assert f"/review/{urgent}" in overdue
    assert f"/review/{action}" not in overdue  # no urgent flag: not overdue
    assert body.index('id="overdue-heading"') < body.index('id="queue-heading"')
    assert "Overdue review" in body


def _overdue_at(app, lead_id: str, now: datetime) -> list[str]:
    from sqlalchemy import select

    from visitcheck.auth.models import User

    with app.app_context():
        lead = db.session.scalars(select(User).where(User.uuid == lead_id)).one()
        page = review.team_queue(db.session, lead=lead, keyring=keyring(), now=now)
        ids = [row.id for row in page.overdue]
        db.session.rollback()
    return ids


@pytest.mark.parametrize(("submitted", "before", "after"), [
    # Friday 15:00: a working day later is Monday 15:00.
    (datetime(2026, 11, 20, 15, 0, tzinfo=UTC), datetime(2026, 11, 23, 14, 59, tzinfo=UTC),
     datetime(2026, 11, 23, 15, 0, tzinfo=UTC)),
    # Saturday 09:00: Monday 09:00, as the template's rule says (the queue's own copy of
    # the rule waited until Tuesday 00:00).
    (datetime(2026, 11, 21, 9, 0, tzinfo=UTC), datetime(2026, 11, 23, 8, 59, tzinfo=UTC),
     datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
    # Thursday 24 December: 25 and 28 December 2026 are bank holidays.
    (datetime(2026, 12, 24, 15, 0, tzinfo=UTC), datetime(2026, 12, 29, 14, 59, tzinfo=UTC),
     datetime(2026, 12, 29, 15, 0, tzinfo=UTC)),
])
def test_the_queue_takes_overdue_review_from_the_template_rule(app, demo, api_client, submitted,
                                                               before, after):
    _, urgent, action = _three(app, demo, api_client)
    set_checklist(app, urgent, submitted_at=submitted)
    set_checklist(app, action, submitted_at=submitted)

    assert _overdue_at(app, demo.users["lead"], before) == []
    assert _overdue_at(app, demo.users["lead"], after) == [urgent]


def test_old_drafts_are_listed_apart_as_not_yet_submitted_without_their_content(
        app, demo, api_client):
    hv = api_client("hv")
    household = demo.households[2]
    old = submit_checklist(hv, household, demo.children[household], note=DRAFT_CANARY,
                           status="draft")
    fresh = submit_checklist(hv, demo.households[0], demo.children[demo.households[0]],
                             note=DRAFT_CANARY, status="draft")
    set_checklist(app, old, created_at=datetime.now(UTC) - timedelta(days=3))
    lead = web_client(app, "lead")
    body = lead.get("/review").get_data(as_text=True)
    drafts = body.split('id="drafts-heading"', 1)[1]
    assert "3 Cedar Close" in drafts
    assert "not yet submitted" in drafts
    assert "14 Alder Row" not in drafts  # started today
    assert DRAFT_CANARY not in body
    assert old not in body
    assert fresh not in body
    assert lead.get(f"/review/{old}").status_code == 404
