"""Dates and times as people in the team read them: UK local time (Europe/London, summer
time included), in words — "Tuesday 3 November 2026 at 14:05". The one place every
server-rendered page turns a stored time into words (the Jinja filter `when`), so no
page shows a raw ISO string or a UTC time a lead must convert in their head.

Times are stored and sent in UTC (DESIGN.md §6); a time without an offset is UTC, as
the rules read it (docs/rules.md).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
NOT_GIVEN = "not given"


def uk_local(moment: datetime) -> datetime:
    """A moment in UK local time; a naive datetime (SQLite gives those back) is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UK)


def date_words(day: date) -> str:
    """'Tuesday 3 November 2026' (no leading zero, whatever the platform's strftime)."""
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


def _parse(value: str) -> date | datetime | None:
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def when_words(value: datetime | date | str | None, *, seconds: bool = False) -> str:
    """A date, a datetime or an ISO 8601 string in words, in UK local time. Anything that
    is not a date is shown as it was given rather than hidden. `seconds` for the audit
    trail, where the order of events within a minute matters."""
    if value is None or value == "":
        return NOT_GIVEN
    moment: date | datetime | None = _parse(value) if isinstance(value, str) else value
    if moment is None:
        return str(value)
    if isinstance(moment, datetime):
        local = uk_local(moment)
        clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
        return f"{date_words(local.date())} at {clock}"
    return date_words(moment)
