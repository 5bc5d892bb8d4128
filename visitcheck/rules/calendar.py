"""Bank holidays for working days (docs/rules.md, "Working days").

England and Wales, from the `holidays` package (maintained upstream, substitute
days included: Boxing Day on a Saturday gives the Monday after). The server puts
the dates into the rules' context (`calendar.bank_holidays`) and sends the same
list to the tablet in `/api/v1/bootstrap`, so both interpreters count the same
working days.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

# Years either side of today: a referral or a submission older than this is
# long past every working-day threshold the rules use, so a holiday missing
# from the list cannot change a flag.
YEARS_BEFORE = 2
YEARS_AFTER = 1


def bank_holidays(*, today: date) -> list[str]:
    """England and Wales bank holidays that fall on a weekday, as ISO dates, in order,
    from `YEARS_BEFORE` years before `today`'s year to `YEARS_AFTER` after it."""
    return list(_bank_holidays(today.year))


@lru_cache(maxsize=4)
def _bank_holidays(year: int) -> tuple[str, ...]:
    """Worked out once per year per process: the lead's queue asks for every row."""
    years = range(year - YEARS_BEFORE, year + YEARS_AFTER + 1)
    found = holidays.country_holidays("GB", subdiv="ENG", years=years)
    # A holiday on a Saturday or Sunday is not a working day anyway (its substitute is).
    return tuple(sorted(day.isoformat() for day in found if day.weekday() < 5))


def calendar(*, today: date) -> dict[str, list[str]]:
    """The `calendar` part of the rules' context and of the bootstrap answer."""
    return {"bank_holidays": bank_holidays(today=today)}
