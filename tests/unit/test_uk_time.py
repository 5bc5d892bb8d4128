"""Dates and times on every server-rendered page: UK local time, summer time included,
in words (visitcheck.uk_time, the `when` filter)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from visitcheck.uk_time import when_words


@pytest.mark.parametrize(("value", "words"), [
    # Winter: UK time is UTC.
    (datetime(2026, 11, 3, 14, 5, tzinfo=UTC), "Tuesday 3 November 2026 at 14:05"),
    # Summer: an hour ahead of UTC, across midnight too.
    ("2026-07-14T23:30:00Z", "Wednesday 15 July 2026 at 00:30"),
    ("2026-07-14T10:00:00+02:00", "Tuesday 14 July 2026 at 09:00"),
    # The last Sunday of March at 01:00 UTC the clocks go forward.
    ("2026-03-29T00:59:00+00:00", "Sunday 29 March 2026 at 00:59"),
    ("2026-03-29T01:00:00+00:00", "Sunday 29 March 2026 at 02:00"),
    # SQLite gives times back without an offset: they are UTC.
    (datetime(2026, 6, 1, 12, 0), "Monday 1 June 2026 at 13:00"),
    ("2026-11-20T10:30", "Friday 20 November 2026 at 10:30"),
    (date(2026, 12, 1), "Tuesday 1 December 2026"),
    ("2026-10-01", "Thursday 1 October 2026"),
    (None, "not given"),
    ("", "not given"),
    ("sometime in spring", "sometime in spring"),
])
def test_times_read_in_uk_local_time_in_words(value, words):
    assert when_words(value) == words


def test_the_audit_trail_keeps_the_seconds():
    assert when_words("2026-08-01T09:00:07Z", seconds=True) == "Saturday 1 August 2026 at 10:00:07"
