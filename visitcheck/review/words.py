"""The lead's pages in words: statuses, decisions, procedures, flags and ages,
and the household's address as a lead of its team reads it (one place for each)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..checklists.models import Checklist, ChecklistStatus
from ..database import DbSession
from ..keys import Keyring
from ..people import service as people
from ..people.models import Household
from ..rules import service as flags
from .models import Decision, Procedure

DECISION_WORDS = {
    Decision.APPROVE.value: "Approved",
    Decision.RETURN.value: "Returned to the practitioner",
    Decision.ESCALATE.value: "Escalated",
}
PROCEDURE_WORDS = {
    Procedure.CHILD_PROTECTION_REFERRAL.value: "Child protection referral",
    Procedure.STRATEGY_DISCUSSION.value: "Strategy discussion",
    Procedure.ORGANISED_COMPLEX_ABUSE.value: "Organised and complex abuse procedure",
    Procedure.LADO_REFERRAL.value: "Referral to the designated officer (LADO)",
    Procedure.MAPPA_CHECK.value: "MAPPA check",
}
STATUS_WORDS = {
    ChecklistStatus.DRAFT.value: "Not yet submitted",
    ChecklistStatus.SUBMITTED.value: "Awaiting review",
    ChecklistStatus.RETURNED.value: "Returned",
    ChecklistStatus.APPROVED.value: "Approved",
    ChecklistStatus.ESCALATED.value: "Escalated",
}
# Most pressing first; flags are prompts, not scores, so only the order is used.
SEVERITIES = ("urgent", "action", "review")
SEVERITY_WORDS = {"urgent": "Urgent", "action": "Action", "review": "Review"}


# --- flags and working days ---------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    rule: str
    severity: str
    action: str = ""
    # Who and why, with names (stored encrypted; rules.service.stored_flags_of): only
    # where a lead reads one checklist's flags, never in the queue's counts.
    reason: str = ""
    subject: str | None = None
    # What answers it (followup.trail.FlagAnswer), on the lead's checklist page only.
    answer: Any = None

    @property
    def severity_words(self) -> str:
        return SEVERITY_WORDS.get(self.severity, self.severity.capitalize())

    @property
    def rule_words(self) -> str:
        return self.rule.replace("-", " ").capitalize()


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def flags_of(checklist: Checklist) -> list[Flag]:
    """The flags the server's rules raised at the last change, most pressing first."""
    try:
        raw = json.loads(checklist.flag_summary or "[]")
    except ValueError:
        raw = []
    flags = {Flag(str(f["rule"]), str(f.get("severity", "review")))
             for f in raw if isinstance(f, dict) and "rule" in f}
    return sorted(flags, key=lambda f: (_severity_rank(f.severity), f.rule))


def flags_with_reasons(session: DbSession, checklists_: list[Checklist], *, keyring: Keyring
                       ) -> dict[str, list[Flag]]:
    """Each checklist's stored flags, one per rule and subject (two children, two
    lines), with the reason naming them; most pressing first, in the rules' order
    within a severity."""
    stored = flags.stored_flags_of(session, checklists_, keyring=keyring)
    return {uuid: sorted((Flag(str(f["rule"]), str(f["severity"]), str(f.get("action") or ""),
                               str(f.get("reason") or ""), f.get("subject"))
                          for f in raised), key=lambda f: _severity_rank(f.severity))
            for uuid, raised in stored.items()}


def age_words(since: datetime | None, *, now: datetime) -> str:
    if since is None:
        return "not given"
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if seconds < 86400:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''}"


def residence_words(residence: str) -> str:
    from ..people.network import RESIDENCE_WORDS

    return RESIDENCE_WORDS.get(residence, residence.replace("_", " "))


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


class _Addresses:
    """Household addresses decrypted once per request, only for the lead's own team."""

    def __init__(self, keyring: Keyring):
        self.keyring = keyring
        self.cache: dict[int, str] = {}

    def __call__(self, household: Household) -> str:
        if household.id not in self.cache:
            self.cache[household.id] = people.household_address(household, keyring=self.keyring)
        return self.cache[household.id]

