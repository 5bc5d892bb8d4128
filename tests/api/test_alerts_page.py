"""The lead's alerts page in pages (issue 14 item 1): the database groups, counts, orders
and pages the team's alerts; only the page shown is decrypted and audited."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.review_support import alerted_households, record_concern, web_client
from visitcheck.audit.models import AuditEvent
from visitcheck.auth.models import User
from visitcheck.extensions import db, keyring
from visitcheck.people.models import Household
from visitcheck.sharing import service as sharing
from visitcheck.sharing.models import Alert

CAPTION = re.compile(r"<caption>[^<]* at (\d+ Alert Row):")


def _lead(session) -> User:
    return session.scalars(select(User).where(User.username == "lead")).one()


def _expected_order(app) -> list[str]:
    """The page's order, recomputed in Python from the rows: groups with unacknowledged
    recipients first (most first), then the most recently raised, then concern and
    household ids. Household public ids."""
    with app.app_context():
        lead = _lead(db.session)
        rows = db.session.execute(
            select(Alert.concern_id, Alert.household_id, Alert.raised_at,
                   Alert.acknowledged_at, Household.uuid)
            .join(Household, Household.id == Alert.household_id)
            .where(Household.team_id == lead.team_id)).all()
    groups: dict[tuple[int, int], list] = {}
    for row in rows:
        groups.setdefault((row.concern_id, row.household_id), []).append(row)
    ordered = sorted(groups.items(), key=lambda item: (
        -sum(r.acknowledged_at is None for r in item[1]),
        -max(r.raised_at for r in item[1]).timestamp(), item[0]))
    return [alerts[0].uuid for _, alerts in ordered]


def _page(app, number: int, per_page: int) -> sharing.AlertsPage:
    with app.app_context():
        shown = sharing.team_alerts(db.session, lead=_lead(db.session), keyring=keyring(),
                                    page=number, per_page=per_page)
        db.session.rollback()
    return shown


SHAPES = [(0, 2, 5), (2, 0, 9), (1, 1, 3), (1, 0, 1), (0, 1, 2), (2, 0, 4),
          (1, 1, 3), (0, 2, 7), (1, 0, 8), (2, 0, 9), (0, 1, 1), (1, 1, 6), (1, 0, 2)]


def test_the_pages_hold_every_group_once_in_the_databases_order(app, demo, api_client):
    record_concern(app, api_client("hv"), demo)
    alerted_households(app, SHAPES)
    expected = _expected_order(app)
    assert len(expected) == len(SHAPES) + 1  # and the concern's own household

    first = _page(app, 1, per_page=4)
    assert (first.total, first.page, first.pages) == (len(expected), 1, 4)
    seen = [g.household_id for number in range(1, 5)
            for g in _page(app, number, per_page=4).groups]
    assert seen == expected
    unacknowledged = [g.unacknowledged for g in _page(app, 1, per_page=14).groups]
    assert unacknowledged == sorted(unacknowledged, reverse=True)


def test_a_page_out_of_range_shows_the_nearest_page(app, demo, api_client):
    record_concern(app, api_client("hv"), demo)
    alerted_households(app, SHAPES)
    last = _page(app, 99, per_page=4)
    assert (last.page, last.pages, len(last.groups)) == (4, 4, 2)
    assert _page(app, -3, per_page=4).page == 1


def test_no_alerts_is_one_empty_page(app, demo):
    shown = _page(app, 2, per_page=4)
    assert (shown.groups, shown.total, shown.page, shown.pages) == ([], 0, 1, 1)


def test_only_the_groups_shown_are_decrypted_and_audited(app, demo, api_client,
                                                         monkeypatch):
    record_concern(app, api_client("hv"), demo)
    alerted_households(app, [(1, 1, n) for n in range(20)])
    decrypted: list[str] = []
    real = sharing.decrypt_fields

    def counting(row, **kwargs):
        decrypted.append(row.__tablename__)
        return real(row, **kwargs)

    monkeypatch.setattr(sharing, "decrypt_fields", counting)
    with app.app_context():
        shown = sharing.team_alerts(db.session, lead=_lead(db.session), keyring=keyring(),
                                    page=2, per_page=5)
        db.session.commit()
        audited = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "alert.read")).all()
        summary = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "alerts.read")).one()
    assert len(shown.groups) == 5
    # Per group: the person's name, the household's address, the concern's basis.
    assert sorted(decrypted) == sorted(["persons", "households", "concerns"] * 5)
    assert sorted(e.object_id for e in audited) == sorted(g.concern_id for g in shown.groups)
    assert {s for e in audited for s in (e.subjects or "").split()
            if s.startswith("household:")} == {
        f"household:{g.household_id}" for g in shown.groups}
    detail = json.loads(summary.detail or "{}")
    assert (detail["page"], detail["groups"], detail["total"]) == (2, 5, 21)


def test_the_alerts_page_links_its_pages_and_clamps_a_page_past_the_end(app, demo,
                                                                         api_client):
    record_concern(app, api_client("hv"), demo)
    alerted_households(app, [(1, 0, n) for n in range(25)])
    lead = web_client(app, "lead")

    first = lead.get("/review/alerts").get_data(as_text=True)
    assert "Alerts (26)" in first
    assert "Page 1 of 2" in first
    assert 'href="/review/alerts?page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    on_first = CAPTION.findall(first)
    assert len(on_first) == sharing.ALERTS_PER_PAGE

    second = lead.get("/review/alerts?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second
    assert 'href="/review/alerts?page=1" rel="prev"' in second
    assert 'rel="next"' not in second
    on_second = CAPTION.findall(second)
    assert "Craig Whitfield at Flat 6" in second  # acknowledged by all: last
    assert len(on_second) == 5
    assert sorted(on_first + on_second) == sorted(f"{n} Alert Row" for n in range(25))

    past = lead.get("/review/alerts?page=9").get_data(as_text=True)
    assert "Page 2 of 2" in past
    assert CAPTION.findall(past) == on_second


@pytest.mark.parametrize("page", ["0", "-1", "two", ""])
def test_a_page_that_is_not_a_positive_number_shows_the_first(app, demo, api_client, page):
    record_concern(app, api_client("hv"), demo)
    lead = web_client(app, "lead")
    answer = lead.get(f"/review/alerts?page={page}")
    assert answer.status_code == 200
    assert "Craig Whitfield at Flat 6" in answer.get_data(as_text=True)


def test_the_intro_says_names_are_not_the_order(app, demo):
    text = web_client(app, "lead").get("/review/alerts").get_data(as_text=True)
    assert "not in order of name" in text
