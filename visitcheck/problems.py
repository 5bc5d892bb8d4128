"""RFC 9457 problem details, shared by the API edge and the services that answer ops."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROBLEM_BASE = "https://visitcheck.example/problems/"


@dataclass(frozen=True)
class Problem:
    type: str
    title: str
    detail: str = ""
    errors: list[dict[str, str]] | None = None

    def as_json(self, status: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": PROBLEM_BASE + self.type, "title": self.title}
        if status is not None:
            body["status"] = status
        if self.detail:
            body["detail"] = self.detail
        if self.errors:
            body["errors"] = self.errors
        return body
