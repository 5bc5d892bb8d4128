"""Flags answered, visibly (issue 11 item 3): for each flag, what answers it and when.

A flag is answered by an S8 action or referral that names it (the row's `flag` field
holds the flag's key: its rule id, or `rule:subject` when the rule raises one flag per
subject; a bare rule id answers every flag of that rule; referral rows have the field
from home-visit version 2), or by a `flag_response` follow-through record about it.
`flag_answers` here and `flagAnswers` in static/app/answered.js are the same
function, over the context's `checklist`
(answers with follow-through laid over them, and `followups`): tests/context_cases.json
checks both. Answered or not, a flag stays raised: an answer is for a person to judge.
"""

from __future__ import annotations

from typing import Any

ACTIONS = ("analysis", "actions")
REFERRALS = ("analysis", "referrals")


def flag_key(rule: str, subject: Any) -> str:
    """What the S8 action's `flag` field stores for a flag."""
    return rule if subject is None else f"{rule}:{subject}"


def _names(flag: dict[str, Any], named: Any) -> bool:
    if not isinstance(named, str) or not named.strip():
        return False
    named = named.strip()
    return named in (flag["rule"], flag_key(flag["rule"], flag.get("subject")))


def _rows(answers: dict[str, Any], where: tuple[str, str]) -> dict[str, Any]:
    section = answers.get(where[0])
    rows = section.get(where[1]) if isinstance(section, dict) else None
    return rows if isinstance(rows, dict) else {}


def flag_answers(flags: list[dict[str, Any]], checklist: dict[str, Any]
                 ) -> list[dict[str, Any]]:
    """[{rule, subject, answered, by: [...]}] in the flags' order. `by` lists the S8
    actions naming the flag ({kind: "action", row_id, text, status, at: the visit's
    submission}), then the S8 referrals naming it ({kind: "referral", row_id, to,
    outcome, at: the visit's submission}), then the responses recorded to it
    ({kind: "flag_response", id, text, at, author}), oldest first."""
    answers = checklist.get("answers") or {}
    actions = _rows(answers, ACTIONS)
    referrals = _rows(answers, REFERRALS)
    at = checklist.get("submitted_at")
    out = []
    for flag in flags:
        by: list[dict[str, Any]] = [
            {"kind": "action", "row_id": row_id, "text": row.get("action"),
             "status": row.get("status"), "at": at}
            for row_id, row in actions.items() if isinstance(row, dict)
            and _names(flag, row.get("flag"))]
        by += [{"kind": "referral", "row_id": row_id, "to": row.get("to"),
                "outcome": row.get("outcome"), "at": at}
               for row_id, row in referrals.items() if isinstance(row, dict)
               and _names(flag, row.get("flag"))]
        by += [{"kind": "flag_response", "id": record.get("id"), "text": record.get("text"),
                "at": record.get("recorded_at"),
                "author": (record.get("author") or {}).get("name")}
               for record in checklist.get("followups") or []
               if record.get("kind") == "flag_response" and record.get("rule") == flag["rule"]
               and record.get("subject") in (None, flag.get("subject"))]
        out.append({"rule": flag["rule"], "subject": flag.get("subject"),
                    "answered": bool(by), "by": by})
    return out
