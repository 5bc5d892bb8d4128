"""Checking answers against the template version they were made with.

One function, driven by the template JSON, so a new version with new
questions needs no code. Errors name the field as `section.field` (or
`section.group.<key>.field`) so the tablet can show them in place.

A repeated group is an object keyed by who or what it repeats over:
`children`, `members`, `adults`, `parents` (persons with parental
responsibility) and `persons_of_concern` are keyed by person id; `rows` (a
list the practitioner adds to, such as actions) by a row id made on the
tablet. Fields of type `note` and `age_band` are shown, never answered.

A `choice` may take its options from the people a repeat would run over
(`"options_from": "children"`: one of this household's children, by person id)
instead of listing them: a child observation names its one child that way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PERSON_REPEATS = {"children", "members", "adults", "parents", "persons_of_concern"}
DISPLAY_ONLY = {"note", "age_band"}
MAX_ROW_ID = 100

# Dates that cannot lie ahead, by field id in every template and version: how far past
# now they may be (a visit may be recorded a little ahead, across midnight or a time
# zone; information is never dated in the future). Dates are days in the UK.
SERVICE_TIME_ZONE = ZoneInfo("Europe/London")
LATEST = {
    "visit_at": (timedelta(days=1), "cannot be more than a day ahead"),
    "source_date": (timedelta(0), "cannot be in the future"),
}


def too_late(field_id: str, value: Any, *, now: datetime) -> str | None:
    """The message when a date or time answer lies further ahead than `field_id` allows."""
    if field_id not in LATEST or not isinstance(value, str):
        return None
    ahead, message = LATEST[field_id]
    try:
        if len(value) == 10:  # a date: the day it is now in the UK, plus what is allowed
            latest_day = (now.astimezone(SERVICE_TIME_ZONE) + ahead).date()
            return message if date.fromisoformat(value) > latest_day else None
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None  # not a date at all: said by the type check
    if moment.tzinfo is None:  # the tablet's local time: UK time
        moment = moment.replace(tzinfo=SERVICE_TIME_ZONE)
    return message if moment > now + ahead else None


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _check_value(field: dict[str, Any], value: Any, *,
                 instances: dict[str, set[str]]) -> str | None:
    kind = field["type"]
    if kind in DISPLAY_ONLY:
        return "is shown on the form, not answered"
    if kind == "text":
        return None if isinstance(value, str) else "must be text"
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be yes or no"
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number"
    if kind == "date":
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return "must be a date (YYYY-MM-DD)"
        return None
    if kind == "datetime":
        try:
            datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return "must be a date and time"
        return None
    if kind == "choice" and field.get("options_from") in PERSON_REPEATS:
        known = instances.get(field["options_from"])
        if not isinstance(value, str) or not value:
            return "must be a person's id"
        return None if known is None or value in known else \
            _NOT_ONE_OF.get(field["options_from"], "is not known")
    allowed = {option["value"] for option in field.get("options", [])}
    if kind == "choice":
        return None if isinstance(value, str) and value in allowed else "is not one of the choices"
    if kind == "multi":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "must be a list of choices"
        unknown = [v for v in value if v not in allowed]
        return f"has unknown choices: {', '.join(unknown)}" if unknown else None
    return f"has an unknown field type {kind!r}"


def _shown(field: dict[str, Any], answers: dict[str, Any]) -> bool:
    condition = field.get("show_if")
    return condition is None or answers.get(condition["field"]) == condition["equals"]


def _check_fields(
    fields: list[dict[str, Any]],
    answers: Any,
    path: str,
    *,
    instances: dict[str, set[str]],
    complete: bool,
    now: datetime,
) -> list[FieldError]:
    if not isinstance(answers, dict):
        return [FieldError(path, "must be an object")]
    errors: list[FieldError] = []
    by_id = {f["id"]: f for f in fields}
    for unknown in sorted(set(answers) - set(by_id)):
        errors.append(FieldError(f"{path}.{unknown}", "is not a question of this template"))
    for field in fields:
        name = f"{path}.{field['id']}"
        value = answers.get(field["id"])
        if not _shown(field, answers):
            if not _is_blank(value):
                errors.append(FieldError(name, "does not apply given the other answers"))
            continue
        if field["type"] == "group" and field.get("repeat") == "children" and value in (None, {}):
            value = {}  # each child still needs its answers on a submission
        elif _is_blank(value):
            if complete and field.get("required"):
                errors.append(FieldError(name, "is required"))
            continue
        if field["type"] == "group":
            errors.extend(_check_group(field, value, name, instances=instances,
                                       complete=complete, now=now))
            continue
        problem = (_check_value(field, value, instances=instances)
                   or too_late(field["id"], value, now=now))
        if problem:
            errors.append(FieldError(name, problem))
    return errors


def _check_group(
    field: dict[str, Any], value: Any, path: str, *, instances: dict[str, set[str]],
    complete: bool, now: datetime,
) -> list[FieldError]:
    repeat = field.get("repeat")
    if repeat is None:
        return _check_fields(field["fields"], value, path, instances=instances,
                             complete=complete, now=now)
    if repeat != "rows" and repeat not in PERSON_REPEATS:
        return [FieldError(path, f"repeats over an unknown kind {repeat!r}")]
    if not isinstance(value, dict):
        return [FieldError(path, f"must be an object keyed by {_KEYED_BY.get(repeat, 'person')}")]
    errors: list[FieldError] = []
    known = instances.get(repeat)
    for key in sorted(value):
        if known is not None:
            if key not in known:
                errors.append(FieldError(f"{path}.{key}", _NOT_ONE_OF.get(repeat, "is not known")))
        elif not key or len(key) > MAX_ROW_ID:
            errors.append(FieldError(f"{path}.{key}", "is not a usable id"))
    for key in sorted(value):
        if known is None or key in known:
            errors.extend(_check_fields(field["fields"], value[key], f"{path}.{key}",
                                        instances=instances, complete=complete, now=now))
    # The walking skeleton's S1 group is required per child unless it says otherwise.
    required = field.get("required", repeat == "children")
    if complete and required and known is not None:
        for key in sorted(known - set(value)):
            errors.append(FieldError(f"{path}.{key}", f"is required for each {_EACH[repeat]}"))
    return errors


_KEYED_BY = {"children": "child", "rows": "row id"}
_NOT_ONE_OF = {
    "children": "is not a child of this household",
    "members": "is not a member of this household",
    "adults": "is not an adult of this household",
    "parents": "is not a person with parental responsibility here",
    "persons_of_concern": "is not a person of concern for this household",
}
_EACH = {"children": "child", "members": "member", "adults": "adult",
         "parents": "person with parental responsibility",
         "persons_of_concern": "person of concern", "rows": "row"}


def validate_answers(
    template: dict[str, Any],
    answers: Any,
    *,
    children: set[str],
    complete: bool,
    people: dict[str, set[str]] | None = None,
    now: datetime | None = None,
) -> list[FieldError]:
    """`complete` asks for every required answer (a submission); drafts may have gaps.
    A visit more than a day ahead, or information dated in the future, is refused
    (LATEST) in drafts and submissions alike.

    `people` gives the ids a person repeat may hold (`members`, `adults`,
    `parents`, `persons_of_concern`); a repeat not given accepts any id.
    """
    instances = {**(people or {}), "children": children}
    if not isinstance(answers, dict):
        return [FieldError("answers", "must be an object")]
    errors: list[FieldError] = []
    sections = {s["id"]: s for s in template["sections"]}
    for unknown in sorted(set(answers) - set(sections)):
        errors.append(FieldError(unknown, "is not a section of this template"))
    for section_id, section in sections.items():
        section_answers = answers.get(section_id, {})
        errors.extend(
            _check_fields(section["fields"], section_answers, section_id,
                          instances=instances, complete=complete,
                          now=now or datetime.now(UTC))
        )
    return errors
