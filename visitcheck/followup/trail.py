"""The lead's view of follow-through (issue 11 items 2 and 3): the whole trail of
records added to a visit after submission, in order, and for each flag whether it
has been answered, by what and when, in words. Built for a reader already allowed
to read the checklist (review/page.open_for_review checks and audits that)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..checklists.models import Checklist
from ..database import DbSession
from ..keys import Keyring
from ..rules import service as rules
from ..rules.context import with_followups
from .answered import flag_answers, flag_key
from .service import ACTIONS, REFERRALS, followups_of

KIND_WORDS = {
    "action_status": "Action status",
    "referral_outcome": "Referral outcome",
    "flag_response": "Response to a flag",
    "addendum": "Late entry",
}
STATUS_WORDS = {"open": "Open", "done": "Done", "cancelled": "Cancelled"}
# What an unanswered flag says, in words (static/app/answered.js says the same).
NOT_ANSWERED = {"urgent": "Urgent — not yet answered"}


@dataclass(frozen=True)
class TrailLine:
    label: str
    value: str


@dataclass(frozen=True)
class TrailRecord:
    id: str
    kind: str
    kind_words: str
    author: str
    recorded_at: str  # ISO, shown through the `when` filter
    lines: list[TrailLine]


@dataclass(frozen=True)
class FlagAnswer:
    """One raised flag (a rule for one subject) and what answers it."""

    rule: str
    key: str  # what an S8 action's or referral's "flag" holds for it (answered.flag_key)
    severity: str
    reason: str
    answered: bool
    not_answered_words: str
    by: list[tuple[str, str | None]]  # (what, in words; when, ISO or None)


def _row(answers: dict[str, Any], where: tuple[str, str], row_id: Any) -> dict[str, Any]:
    section = answers.get(where[0])
    rows = section.get(where[1]) if isinstance(section, dict) else None
    row = rows.get(row_id) if isinstance(rows, dict) else None
    return row if isinstance(row, dict) else {}


def _lines(record: dict[str, Any], answers: dict[str, Any],
           reasons: dict[tuple[str, Any], str]) -> list[TrailLine]:
    kind, text = record["kind"], record.get("text") or ""
    if kind == "referral_outcome":
        row = _row(answers, REFERRALS, record.get("row_id"))
        return [TrailLine("Referral", f"To {row.get('to') or 'someone not recorded'}"
                          + (f", reference {row['reference']}" if row.get("reference") else "")),
                TrailLine("Outcome", text)]
    if kind == "action_status":
        row = _row(answers, ACTIONS, record.get("row_id"))
        lines = [TrailLine("Action", row.get("action") or "An action no longer in the visit"),
                 TrailLine("Status", STATUS_WORDS.get(record.get("status") or "",
                                                      str(record.get("status"))))]
        return [*lines, TrailLine("Outcome", text)] if text else lines
    if kind == "flag_response":
        rule = str(record.get("rule"))
        flag = reasons.get((rule, record.get("subject"))) or reasons.get((rule, None)) or (
            rule.replace("-", " ").capitalize())
        return [TrailLine("Flag", flag), TrailLine("Response", text)]
    return [TrailLine("Late entry", text)]


def follow_through(session: DbSession, *, checklist: Checklist, answers: dict[str, Any],
                   submitted_at: str | None, keyring: Keyring
                   ) -> tuple[list[TrailRecord], list[FlagAnswer]]:
    """The visit's follow-through trail, oldest first, and its raised flags (the server's
    rules over what the team holds now, follow-through included) with their answers."""
    records = followups_of(session, [checklist], keyring=keyring)[checklist.id]
    raised = rules.server_flags(session, checklist, keyring=keyring)
    reasons = {(f["rule"], f.get("subject")): f.get("reason") or "" for f in raised}
    answered = flag_answers(raised, {"answers": with_followups(answers, records),
                                     "followups": records, "submitted_at": submitted_at})
    flags = []
    for flag, answer in zip(raised, answered, strict=True):
        by = []
        for item in answer["by"]:
            if item["kind"] == "action":
                status = STATUS_WORDS.get(item.get("status") or "", "")
                by.append((f"S8 action: {item.get('text') or ''}"
                           + (f" ({status.lower()})" if status else ""), item.get("at")))
            elif item["kind"] == "referral":
                outcome = item.get("outcome")
                by.append((f"S8 referral to {item.get('to') or 'someone not recorded'}"
                           + (f" (outcome: {outcome})" if outcome else ""), item.get("at")))
            else:
                by.append((f"Response by {item.get('author') or 'the practitioner'}: "
                           f"{item.get('text') or ''}", item.get("at")))
        flags.append(FlagAnswer(
            rule=flag["rule"], key=flag_key(flag["rule"], flag.get("subject")),
            severity=flag["severity"], reason=flag.get("reason") or "",
            answered=answer["answered"],
            not_answered_words=NOT_ANSWERED.get(flag["severity"], "Not yet answered"),
            by=by))
    trail = [TrailRecord(id=r["id"], kind=r["kind"], kind_words=KIND_WORDS.get(r["kind"],
                                                                              r["kind"]),
                         author=(r.get("author") or {}).get("name") or "",
                         recorded_at=r["recorded_at"], lines=_lines(r, answers, reasons))
             for r in records]
    return trail, flags
