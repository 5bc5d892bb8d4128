"""Dates that cannot lie ahead: a visit more than a day ahead, or information about a
concern dated in the future, is refused by the server with the field named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.review_support import apply, concern_payload, new_id, person_id
from tests.sealing import checklist_payload, complete_visit, sealed_op
from visitcheck.checklists.validation import too_late

UK = ZoneInfo("Europe/London")


def _push_visit(hv, demo, visit_at: str, status: str = "submitted") -> dict:
    household = demo.households[0]
    answers = complete_visit(demo.children[household])
    answers["visit"]["visit_at"] = visit_at
    op = sealed_op(hv.bootstrap, checklist_payload(household, status=status, answers=answers))
    return hv.push([op]).get_json()["results"][0]


@pytest.mark.parametrize("status", ["draft", "submitted"])
def test_a_visit_dated_years_ahead_is_refused_with_the_field_named(api_client, demo, status):
    hv = api_client("hv")

    result = _push_visit(hv, demo, "2031-01-01T10:30", status=status)

    assert result["status"] == "rejected"
    assert result["error"]["errors"] == [
        {"field": "visit.visit_at", "message": "cannot be more than a day ahead"}]


def test_a_visit_more_than_a_day_ahead_from_the_tablet_is_refused(api_client, demo):
    hv = api_client("hv")
    # What the tablet sends: an ISO time in UTC.
    ahead = (datetime.now(UTC) + timedelta(days=1, hours=1)).isoformat().replace("+00:00", "Z")

    assert _push_visit(hv, demo, ahead)["status"] == "rejected"


def test_a_visit_today_or_later_today_is_accepted(api_client, demo):
    hv = api_client("hv")
    later = (datetime.now(UK) + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M")

    assert _push_visit(hv, demo, later)["status"] == "applied"


def test_a_concerns_information_dated_tomorrow_is_refused_and_today_accepted(app, api_client,
                                                                            demo):
    hv = api_client("hv")
    household = demo.households[1]
    craig = person_id(app, household, "Craig Whitfield")
    today = datetime.now(UK).date()

    tomorrow = apply(hv, "concern.put", new_id(), concern_payload(
        craig, demo.children[household][0], source_date=(today + timedelta(days=1)).isoformat()))
    on_the_day = apply(hv, "concern.put", new_id(), concern_payload(
        craig, demo.children[household][0], source_date=today.isoformat()))

    assert tomorrow["status"] == "rejected"
    assert tomorrow["error"]["errors"] == [
        {"field": "source_date", "message": "cannot be in the future"}]
    assert on_the_day["status"] == "applied"


def test_the_date_of_information_in_a_checklist_is_held_to_the_same_rule():
    now = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # already 29 Nov, 23:30 in the UK

    assert too_late("source_date", "2026-11-29", now=now) is None
    assert too_late("source_date", "2026-11-30", now=now) == "cannot be in the future"
    assert too_late("visit_at", "2026-11-30T23:00", now=now) is None
    assert too_late("visit_at", "2026-12-01T00:00", now=now) == "cannot be more than a day ahead"
