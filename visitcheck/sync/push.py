"""One unit of work that applies a push (issue 15 step 4).

The API's push (`sync/api.py`), the administrator's import and the CLI import
(`sync/export.py`, through `admin/views.py` and `cli.py`) all apply a device's
ops here, so they end in the same state with the same answers:

1. **All ops in one transaction** (`service.apply_ops`: envelopes opened before
   the team's feed lock, then one savepoint for the push, or one per op when any
   is refused, so a refused op leaves nothing behind), committed once: one turn
   of the team's feed lock per push.
2. **The fallback**: if anything unexpected happens (a copy of an op committed
   by a concurrent request, a lock timeout, a deadlock), the whole transaction
   is rolled back and the ops are taken one by one, each in its own transaction,
   each tried up to `OP_ATTEMPTS` times.
3. **After commit, the server's rules** over the checklists the push stored,
   then, in a transaction of their own, the open checklists whose facts it
   changed. They read and run outside the feed lock, which is taken only to
   store flags that changed and held until that transaction commits: the
   push's own flags are committed, and the lock let go, before the others are
   read. The answers stand whatever happens there, and a checklist whose flags
   could not be evaluated stays due for the lead's queue to evaluate.

`then(answers)` runs in the transaction that commits the last answer (the
import's audit record); it commits with it.

This module commits: it is the unit of work the edges call, where a service
only flushes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError

from ..auth.models import User
from ..database import DbSession
from ..followup import service as followups
from ..keys import Keyring
from ..rules import service as flags
from . import service

# A lost answer or a lock timeout is retried this many times before giving up on an op.
OP_ATTEMPTS = 3

log = logging.getLogger(__name__)


def _apply_in_own_transaction(session: DbSession, *, user: User, device_id: str, op: Any,
                              keyring: Keyring) -> dict[str, Any]:
    """One op, one transaction: its effect and its recorded answer commit together."""
    for attempt in range(OP_ATTEMPTS):
        try:
            answer = service.apply_op(session, user=user, device_id=device_id, op=op,
                                      keyring=keyring)
            session.commit()
            return answer
        except (IntegrityError, OperationalError):
            # A copy of the op committed by a concurrent request, or a lock timeout.
            session.rollback()
            if attempt == OP_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def apply_push(session: DbSession, *, user: User, device_id: str, ops: list[Any],
               keyring: Keyring,
               then: Callable[[list[dict[str, Any]]], None] | None = None
               ) -> list[dict[str, Any]]:
    """Apply a device's ops as one push and commit; then evaluate the flags of what it
    stored. -> one answer per op, in order. The caller has checked the device."""
    try:
        answers = service.apply_ops(session, user=user, device_id=device_id, ops=ops,
                                    keyring=keyring)
        if then is not None:
            then(answers)
        session.commit()
    except (IntegrityError, OperationalError):
        session.rollback()
        answers = [_apply_in_own_transaction(session, user=user, device_id=device_id, op=op,
                                             keyring=keyring) for op in ops]
        if then is not None:
            then(answers)
            session.commit()
    evaluate_flags(session, ops=ops, answers=answers, keyring=keyring)
    return answers


def evaluate_flags(session: DbSession, *, ops: list[Any], answers: list[dict[str, Any]],
                   keyring: Keyring) -> None:
    """The server's rules over the checklists these ops submitted, now that the ops
    have committed and the feed lock is free: they only read, so pushes from other
    devices go on meanwhile. The answers stand whatever happens here; a checklist
    whose flags could not be evaluated stays due for the lead's queue to evaluate."""
    applied = [op for op, answer in zip(ops, answers, strict=True)
               if answer["status"] == "applied"]
    stored = [op["entity_id"] for op in applied if op["type"] == "checklist.put"]
    marked = flags.take_marked(session)  # the open checklists whose facts this push changed
    try:
        # A follow-through record (a referral's outcome) changes what the rules read.
        stored += followups.checklist_ids_of(session, [
            op["entity_id"] for op in applied if op["type"] == "checklist.followup"])
        flags.evaluate_due_flags(session, checklist_ids=stored, keyring=keyring)
        # Committed before the others are read and run: storing changed flags took
        # the team's feed lock (and on SQLite the database's one writer), which
        # every push of the team waits for.
        session.commit()
    except Exception:  # noqa: BLE001 - the push committed; the device must get its answers
        session.rollback()
        log.exception("server flags left due after a push")
    if not marked:
        return
    try:
        flags.evaluate_due_flags(session, row_ids=marked, keyring=keyring,
                                 limit=flags.PUSH_EVALUATES_OTHERS)
        session.commit()
    except Exception:  # noqa: BLE001 - as above: they stay due
        session.rollback()
        log.exception("server flags of the checklists a push's facts changed left due")
