"""The shapes of what a device sends for households, persons, links and concerns.

Explicit checks, one function per op type, each returning field errors named
as the tablet names its fields.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from ..checklists.validation import FieldError, too_late
from ..database import is_uuid
from . import vocabulary

PROFESSIONAL_ROLES = {"gp", "school", "nursery", "health_visitor", "school_nurse",
                      "social_worker"}
# The codes each choice accepts, from the one vocabulary the tablet offers.
SEXES = vocabulary.codes("sexes")
PARENTAL_RESPONSIBILITY = vocabulary.codes("parental_responsibility")
DETAILS_SOURCES = vocabulary.codes("details_sources")
CONCERN_BASES = vocabulary.codes("concern_bases")
MAPPA_CATEGORIES = vocabulary.codes("mappa_categories")
MAPPA_LEVELS = vocabulary.codes("mappa_levels")
YES_NO_UNKNOWN = vocabulary.codes("yes_no_unknown")
CONTACT_LEVELS = vocabulary.codes("contact_levels")
FACT_OR_OPINION = vocabulary.codes("fact_or_opinion")
RESIDENCES = vocabulary.codes("residences")


class _Checker:
    def __init__(self, payload: Any):
        self.payload = payload if isinstance(payload, dict) else {}
        self.errors: list[FieldError] = []
        if not isinstance(payload, dict):
            self.errors.append(FieldError("payload", "must be a JSON object"))

    def only(self, allowed: set[str]) -> None:
        for key in sorted(set(self.payload) - allowed):
            self.errors.append(FieldError(key, "is not a field of this record"))

    def _fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def text(self, name: str, *, required: bool = False, value: Any = None, path: str = ""):
        value = self.payload.get(name) if value is None and not path else value
        label = path or name
        if value is None or value == "":
            if required:
                self._fail(label, "is required")
        elif not isinstance(value, str) or len(value) > 10_000:
            self._fail(label, "must be text")

    def choice(self, name: str, allowed: set[str], *, required: bool = False,
               value: Any = None, path: str = "") -> None:
        value = self.payload.get(name) if not path else value
        label = path or name
        if value is None:
            if required:
                self._fail(label, "is required")
        elif not isinstance(value, str) or value not in allowed:
            # (A list or object is not a choice, and not hashable for the look-up.)
            self._fail(label, "is not one of the choices")

    def boolean(self, name: str, *, value: Any = None, path: str = "") -> None:
        value = self.payload.get(name) if not path else value
        if value is not None and not isinstance(value, bool):
            self._fail(path or name, "must be yes or no")

    def not_ahead(self, name: str) -> None:
        """A date that cannot lie in the future (checklists.validation.LATEST)."""
        late = too_late(name, self.payload.get(name), now=datetime.now(UTC))
        if late:
            self._fail(name, late)

    def date(self, name: str) -> None:
        value = self.payload.get(name)
        if value is None:
            return
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            self._fail(name, "must be a date (YYYY-MM-DD)")

    def uuid(self, name: str, *, required: bool = True, value: Any = None,
             path: str = "") -> None:
        value = self.payload.get(name) if not path else value
        if value is None and not required:
            return
        if not is_uuid(value):
            self._fail(path or name, "must be an id (lowercase UUID)")

    def text_list(self, name: str) -> None:
        value = self.payload.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self._fail(name, "must be a list of text")

    def rows(self, name: str) -> list[tuple[int, dict]]:
        value = self.payload.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self._fail(name, "must be a list")
            return []
        return list(enumerate(value))


def household_errors(payload: Any) -> list[FieldError]:
    check = _Checker(payload)
    check.only({"address", "professionals"})
    check.text("address", required=True)
    for i, row in check.rows("professionals"):
        base = f"professionals.{i}"
        for key in sorted(set(row) - {"role", "name", "contact", "user_id"}):
            check.errors.append(FieldError(f"{base}.{key}", "is not a field of this record"))
        check.choice("role", PROFESSIONAL_ROLES, required=True, value=row.get("role"),
                     path=f"{base}.role")
        check.text("name", required=True, value=row.get("name"), path=f"{base}.name")
        check.text("contact", value=row.get("contact"), path=f"{base}.contact")
        check.uuid("user_id", required=False, value=row.get("user_id"), path=f"{base}.user_id")
    return check.errors


def person_errors(payload: Any) -> list[FieldError]:
    check = _Checker(payload)
    check.only({"names", "aliases", "date_of_birth", "estimated_age", "sex", "is_child",
                "children", "recorded_at_visit", "care_ended_on"})
    # The checklist whose S2 first recorded this person (a new member, or someone
    # who refused details); absent for people added on the People screen. Only
    # its form is checked: the person.put goes before that checklist's own op.
    check.uuid("recorded_at_visit", required=False)
    check.text_list("names")
    check.text_list("aliases")
    if isinstance(check.payload.get("names"), list) and not check.payload["names"]:
        check.errors.append(FieldError("names", "at least one name, or a description"))
    check.date("date_of_birth")
    # When a looked-after child left care: 17 then keeps their records a year longer.
    check.date("care_ended_on")
    age = check.payload.get("estimated_age")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool) or
                            not 0 <= age <= 120):
        check.errors.append(FieldError("estimated_age", "must be a whole number of years"))
    check.choice("sex", SEXES)
    if not isinstance(check.payload.get("is_child"), bool):
        check.errors.append(FieldError("is_child", "must be yes or no"))
    for i, row in check.rows("children"):
        base = f"children.{i}"
        allowed = {"child_id", "relationship", "parental_responsibility", "cares_unsupervised",
                   "seen_by_practitioner", "details_source", "details_description"}
        for key in sorted(set(row) - allowed):
            check.errors.append(FieldError(f"{base}.{key}", "is not a field of this record"))
        check.uuid("child_id", value=row.get("child_id"), path=f"{base}.child_id")
        check.text("relationship", value=row.get("relationship"), path=f"{base}.relationship")
        check.choice("parental_responsibility", PARENTAL_RESPONSIBILITY,
                     value=row.get("parental_responsibility"),
                     path=f"{base}.parental_responsibility")
        check.boolean("cares_unsupervised", value=row.get("cares_unsupervised"),
                      path=f"{base}.cares_unsupervised")
        check.boolean("seen_by_practitioner", value=row.get("seen_by_practitioner"),
                      path=f"{base}.seen_by_practitioner")
        check.choice("details_source", DETAILS_SOURCES, value=row.get("details_source"),
                     path=f"{base}.details_source")
        check.text("details_description", value=row.get("details_description"),
                   path=f"{base}.details_description")
    return check.errors


def membership_errors(payload: Any) -> list[FieldError]:
    check = _Checker(payload)
    check.only({"household_id", "person_id", "residence"})
    check.uuid("household_id")
    check.uuid("person_id")
    check.choice("residence", RESIDENCES, required=True)
    return check.errors


def concern_errors(payload: Any) -> list[FieldError]:
    check = _Checker(payload)
    check.only({"person_id", "basis", "source", "source_date", "verified", "protect_source",
                "fact_or_opinion", "mappa_category", "mappa_level", "orders",
                "works_with_children", "contact", "notes"})
    check.uuid("person_id")
    basis = check.payload.get("basis", [])
    if not isinstance(basis, list) or not basis or any(
            not isinstance(b, str) or b not in CONCERN_BASES for b in basis):
        check.errors.append(FieldError("basis", "choose one or more bases from the list"))
    check.text("source", required=True)
    check.date("source_date")
    check.not_ahead("source_date")
    check.boolean("verified")
    check.boolean("protect_source")
    check.choice("fact_or_opinion", FACT_OR_OPINION)
    check.choice("mappa_category", MAPPA_CATEGORIES)
    check.choice("mappa_level", MAPPA_LEVELS)
    check.text("orders")
    check.text("notes")
    check.choice("works_with_children", YES_NO_UNKNOWN)
    contact = check.payload.get("contact", {})
    if not isinstance(contact, dict):
        check.errors.append(FieldError("contact", "must map each child to a kind of contact"))
    else:
        for child_id, level in contact.items():
            check.uuid("child", value=child_id, path=f"contact.{child_id}")
            check.choice("level", CONTACT_LEVELS, value=level, path=f"contact.{child_id}")
    return check.errors
