"""Bounds shared by the pages' filter forms (query parameters, issue 12).

A page number becomes an SQL OFFSET and a date a bound on a timestamp column;
past these limits they overflowed (a 500 on PostgreSQL, or `date + 1 day`
beyond 9999-12-31). Outside them a value is a typing slip or a probe, and the
form shows its error beside the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms.validators import NumberRange, ValidationError

# Any day the app can have run on, with room for the future.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)
MAX_PAGE = 100_000


def plausible_date(form: Any, field: Any) -> None:
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(f"Give a date from {FIRST_DAY.year} to {LAST_DAY.year}.")


def page_number() -> NumberRange:
    return NumberRange(min=1, max=MAX_PAGE)
