"""Named refusals the services raise; the sync edge turns them into op answers
(`rejected` with a problem object, or `conflict`)."""

from __future__ import annotations

from typing import Any

from .checklists.validation import FieldError


class OpRefused(Exception):
    """The change is refused as sent; `errors` gives field-level detail."""

    problem = "invalid"
    title = "The change cannot be stored"

    def __init__(self, detail: str, errors: list[FieldError] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class InvalidEntity(OpRefused):
    problem = "invalid-entity"
    title = "Some answers need attention"


class Forbidden(OpRefused):
    problem = "forbidden"
    title = "Not allowed"


class ProtectedSource(Forbidden):
    """Someone who may not see a protected source tried to lift its protection."""

    problem = "protected-source"
    title = "Only whoever recorded the source, or a team lead, may lift its protection"


class StaleRevision(Exception):
    """The device edited an older revision than the server holds: a conflict for a person."""

    def __init__(self, current_rev: int, current: dict[str, Any]):
        super().__init__(f"current revision is {current_rev}")
        self.current_rev = current_rev
        self.current = current
