"""`overdue-review` for the lead's queue, from the checklist's template's own rule.

The queue used to hold a Python copy of the rule that disagreed with the template
about weekends; there is now one definition of working days (rules/engine.py, and
its twin in static/app/rules/dates.js) and one of the rule (the template). The queue
asks the rule about one checklist at a time: its own submission, its stored flags
and today, through the same context step as every other evaluation.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from ..checklists.models import Checklist, ChecklistStatus
from ..checklists.service import loaded_template
from ..database import DbSession, iso_utc
from .calendar import bank_holidays
from .context import build_context

OVERDUE_RULE = "overdue-review"

logger = logging.getLogger(__name__)


def is_overdue(session: DbSession, checklist: Checklist, *, now: datetime) -> bool:
    """Whether the template's `overdue-review` rule raises a flag for this checklist
    now: submitted, an urgent flag among those the server's rules stored, no lead
    decision, one or more working days (bank holidays out) since submission."""
    if checklist.status != ChecklistStatus.SUBMITTED or checklist.submitted_at is None:
        return False  # the rule asks for a submitted checklist: nothing to evaluate
    rule = loaded_template(session, template=checklist.template,
                           version=checklist.template_version).rule(OVERDUE_RULE)
    try:
        flags = json.loads(checklist.flag_summary or "[]")
    except ValueError:
        flags = []
    context = build_context(
        visit={"id": checklist.uuid, "household_id": None, "status": checklist.status,
               "answers": {}, "submitted_at": iso_utc(checklist.submitted_at),
               # Every lead decision moves a checklist out of "submitted": one that is
               # submitted has none on this submission (an older one was a return).
               "lead_decision_at": None,
               "flags": flags if isinstance(flags, list) else []},
        household={"id": None, "members": []}, households=[], persons=[], concerns=[],
        history=[], alerts=[], now=iso_utc(now) or "",
        bank_holidays=bank_holidays(today=now.date()))
    try:
        raised = rule.evaluate(context)
    except Exception:  # noqa: BLE001 - the queue must still show the others
        # Not knowing is not "not overdue": it goes to the top, where a person reads it.
        logger.exception("overdue-review could not run over checklist %s", checklist.uuid)
        return True
    return any(flag["subject"] == checklist.uuid for flag in raised)
