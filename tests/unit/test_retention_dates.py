"""When a child's retention ends (DOMAIN.md: 25th birthday; 26th if 17 at the end of
care; an estimated age counts from the estimate)."""

from __future__ import annotations

from datetime import date

import pytest

from visitcheck.retention.service import anniversary, retention_ends

RECORDED = date(2026, 11, 29)


@pytest.mark.parametrize(("fields", "ends"), [
    ({"date_of_birth": "2001-06-01"}, date(2026, 6, 1)),
    ({"date_of_birth": "2001-06-01", "care_ended_on": "2018-09-01"}, date(2027, 6, 1)),
    ({"date_of_birth": "2001-06-01", "care_ended_on": "2019-06-01"}, date(2026, 6, 1)),
    ({"date_of_birth": "2001-06-01", "care_ended_on": "2018-05-31"}, date(2026, 6, 1)),
    ({"estimated_age": 10, "estimated_age_on": "2020-03-15"}, date(2035, 3, 15)),
    ({"estimated_age": 10}, date(2041, 11, 29)),
    ({"date_of_birth": None, "estimated_age": None}, None),
    ({"date_of_birth": "not a date"}, None),
])
def test_retention_ends(fields, ends):
    assert retention_ends(fields, recorded_on=RECORDED) == ends


def test_a_29_february_birthday_falls_on_1_march_so_nothing_goes_early():
    assert anniversary(date(2004, 2, 29), 25) == date(2029, 3, 1)
    assert anniversary(date(2004, 2, 29), 24) == date(2028, 2, 29)
