"""The one place the server's rules run: the template's rules (rules/engine.py,
the same language as static/app/rules.js) over the context the team's data
gives (rules/context.py), for the lead's queue and for the author's device.

Flags prompt judgement; they never decide.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, select, update

from ..checklists.models import Checklist
from ..checklists.service import loaded_template
from ..database import DbSession
from ..keys import Keyring
from ..notify import service as notify
from .context import TeamReading
from .engine import CompiledRules

logger = logging.getLogger(__name__)

# The flag a checklist gets when the server could not run the rules over it (a
# malformed rule, unreadable data): urgent, so a person reads it in full.
RULES_NOT_RUN = {
    "rule": "rules-not-run", "severity": "urgent", "subject": None,
    "reason": "The server could not run the template's rules over this checklist.",
    "action": "Read every answer and decide without the rules' prompts; tell the "
              "administrator, who will find the cause in the server's log.",
}


def summary(flags: list[dict[str, Any]]) -> str:
    """What the queue needs in clear: rule and severity, no names."""
    return json.dumps([{"rule": f["rule"], "severity": f["severity"]} for f in flags])


def flags_for_checklists(session: DbSession, checklists: list[Checklist], *,
                         rules_of: Callable[[Checklist], CompiledRules], keyring: Keyring,
                         now: datetime | None = None) -> list[list[dict[str, Any]]]:
    """The server's flags for stored checklists, in their order, with their reasons
    (names included: only for those allowed to read the checklists). One reading of
    the team's data serves them all."""
    if not checklists:
        return []
    reading = TeamReading(session, checklists, keyring=keyring)
    return [rules_of(checklist).evaluate(reading.context(checklist, now=now))
            for checklist in checklists]


def server_flags(session: DbSession, checklist: Checklist, *, keyring: Keyring
                 ) -> list[dict[str, Any]]:
    """The flags the server's rules raise for a stored checklist, with their reasons."""
    return server_flags_of(session, [checklist], keyring=keyring)[checklist.uuid]


def server_flags_of(session: DbSession, checklists: list[Checklist], *, keyring: Keyring
                    ) -> dict[str, list[dict[str, Any]]]:
    """The server's flags for several stored checklists, by public id, evaluated over
    one reading of the team's data. A checklist the rules cannot run over gets the
    urgent `rules-not-run` flag instead, and the others still get theirs."""
    def evaluate(some: list[Checklist]) -> dict[str, list[dict[str, Any]]]:
        found = flags_for_checklists(
            session, some, keyring=keyring, rules_of=lambda checklist: loaded_template(
                session, template=checklist.template, version=checklist.template_version
            ).rules)
        return {c.uuid: raised for c, raised in zip(some, found, strict=True)}

    try:
        return evaluate(checklists)
    except Exception:  # noqa: BLE001 - one checklist must not hold back the others
        if len(checklists) == 1:
            logger.exception("rules could not run over checklist %s", checklists[0].uuid)
            return {checklists[0].uuid: [dict(RULES_NOT_RUN)]}
    # Which one? Each on its own. (A database error fails again, and is raised
    # by the caller's next statement: nothing is stored from it.)
    out = {}
    for checklist in checklists:
        out.update(server_flags_of(session, [checklist], keyring=keyring))
    return out


def evaluate_due_flags(session: DbSession, *, keyring: Keyring,
                       checklist_ids: list[str] | None = None,
                       team_id: int | None = None) -> int:
    """Run the server's rules over submitted checklists whose flags are due, and store
    the summary the lead's queue sorts and filters on. Returns how many were done.

    Narrowed to `checklist_ids` (a push's own) or `team_id` (a lead's queue). The
    rules read what the team holds now; the summary is written only if the
    checklist is still at the revision they read, so a newer submission's flags
    are never overwritten by an older one's. Flushes, never commits.
    """
    due = select(Checklist).where(Checklist.flags_due.is_(True))
    if checklist_ids is not None:
        if not checklist_ids:
            return 0
        due = due.where(Checklist.uuid.in_(checklist_ids))
    if team_id is not None:
        due = due.where(Checklist.team_id == team_id)
    checklists = list(session.scalars(due.order_by(Checklist.id)))
    if not checklists:
        return 0
    found = server_flags_of(session, checklists, keyring=keyring)
    # Every summary first (reads only), then one write for them all: on SQLite the
    # write takes the database's write lock until the caller commits.
    table = cast(Table, Checklist.__table__)
    written = session.execute(
        update(table)
        .where(table.c.id == bindparam("row"), table.c.rev == bindparam("read_rev"),
               table.c.flags_due.is_(True))
        .values(flag_summary=bindparam("summary"), flags_due=False),
        [{"row": c.id, "read_rev": c.rev, "summary": summary(found[c.uuid])}
         for c in checklists])
    # Leads are told of an urgent flag in the transaction that stores it (notify/).
    notify.urgent_flags_raised(session, flagged=[(c, found[c.uuid]) for c in checklists])
    for checklist in checklists:
        session.expire(checklist, ["flag_summary", "flags_due"])
    return cast(CursorResult, written).rowcount
