"""Pull at catch-up speed (issue 14 item 2): a page of changes is read with a fixed
number of queries whatever it holds, and stops growing at a byte budget.

Every entity a page names is loaded by id in one query per kind (with what its view
reads eagerly), never one look-up per change; the server's flags are served as the
rules stored them. The wire format is the pull's own (docs/openapi.json): this
module only decides how it is read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..auth.models import User
from ..checklists import service as checklists
from ..checklists.models import Checklist
from ..chronology import service as chronology
from ..chronology.models import ChronologyEvent
from ..database import DbSession
from ..feed import service as changes
from ..followup import service as followups
from ..followup.models import Followup
from ..keys import RECORD_OVERHEAD, Keyring
from ..people import service as people
from ..people.models import Concern, Household, HouseholdMember, Person
from ..review.models import ReviewDecision
from ..rules import service as rules
from ..rules.models import ChecklistFlag
from ..sharing import service as sharing
from ..sharing.models import Alert
from ..visits import service as visit_plans
from ..visits.models import VisitPlan

# A page stops taking changes once its entries pass this many bytes of JSON (`more`
# is then true): a household of many visits arrives in several small answers, not one
# that a tablet on a poor connection never finishes.
PAGE_BYTES = 1_000_000


def wire_json(value: Any) -> str:
    """A value as the API's JSON provider sends it (api_edge.StrictJSONProvider in
    production: compact, keys sorted, ASCII only, no NaN); the view passes the
    provider's own `dumps`, so types beyond JSON's are turned to text as it does."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=True,
                      allow_nan=False, default=str)


@dataclass(frozen=True)
class PulledPage:
    """One answer of the pull: the changes (for the audit trail) and the body that
    goes on the wire, each change encoded once, both to cut the page at its byte
    budget and to send it."""

    answer: dict[str, Any]
    body: bytes


def _ids(rows: Iterable[Any], kind: str) -> list[str]:
    return sorted({c.entity_id for c in rows if c.type == kind})


# A checklist's stored status ("draft", "submitted") may be sent as a shorter one
# ("approved"): what its answer can lose against its stored plaintext.
_STATUS_SLACK = 16


def _needed(session: DbSession, rows: list[Any], page_bytes: int) -> list[Any]:
    """The first of `rows` that the page can reach before its byte budget cuts it.

    A checklist's change is at least as long as its stored plaintext and that of its
    flags (every stored key goes out, and AES-GCM keeps lengths), so once those
    lengths alone pass the budget the page ends there: the rows after it need not be
    loaded at all (on a catch-up a page shows about 100 of the 500 it reads). One
    query, for the checklists' lengths; other kinds count as nothing, so the cut is
    exactly where building every row would have made it."""
    named = _ids(rows, "checklist")
    if not named:
        return rows
    flags = (select(func.coalesce(func.sum(func.length(ChecklistFlag.sealed_fields)
                                           - RECORD_OVERHEAD), 0))
             .where(ChecklistFlag.checklist_id == Checklist.id).scalar_subquery())
    least = {uuid: max(0, content - RECORD_OVERHEAD - _STATUS_SLACK) + int(flagged)
             for uuid, content, flagged in session.execute(
                 select(Checklist.uuid, func.length(Checklist.sealed_fields), flags)
                 .where(Checklist.uuid.in_(named)))}
    size = 0
    for index, change in enumerate(rows):
        if change.type == "checklist":
            size += least.get(change.entity_id, 0)
        if size >= page_bytes:
            return rows[:index + 1]
    return rows


class _Page:
    """The entities one page of changes names, each kind loaded in one query."""

    def __init__(self, session: DbSession, rows: list[Any], *, keyring: Keyring):
        self.session, self.keyring = session, keyring
        self.persons = self._load(Person, _ids(rows, "person"))
        self.concerns = self._load(Concern, _ids(rows, "concern"), joinedload(Concern.person))
        self.households = self._load(
            Household, _ids(rows, "household"),
            selectinload(Household.memberships).joinedload(HouseholdMember.person))
        self.checklists = self._load(Checklist, _ids(rows, "checklist"))
        self.followups = self._load(
            Followup, _ids(rows, "followup"), joinedload(Followup.checklist),
            joinedload(Followup.author))
        self.events = self._load(ChronologyEvent, _ids(rows, "chronology_event"),
                                 joinedload(ChronologyEvent.author))
        self.plans = self._load(VisitPlan, _ids(rows, "visit_plan"))
        self.alerts = self._load(
            Alert, _ids(rows, "alert"), joinedload(Alert.concern).joinedload(Concern.person),
            joinedload(Alert.household).selectinload(Household.memberships)
            .joinedload(HouseholdMember.person))
        listed = list(self.checklists.values())
        # Sealed until a change is served: a page cut at its byte budget shows only
        # some of the checklists its rows name (about one in four on a catch-up).
        self.flags = rules.stored_flag_rows(session, listed)
        self.decisions = _latest_decisions(session, listed)
        self.person_views = people.person_views(session, list(self.persons.values()),
                                                keyring=keyring)

    def _load(self, model: Any, public_ids: list[str], *options: Any) -> dict[str, Any]:
        if not public_ids:
            return {}
        return {row.uuid: row for row in self.session.scalars(
            select(model).options(*options).where(model.uuid.in_(public_ids)))}

    def data(self, change: Any, *, user: User) -> dict[str, Any] | None:
        """A change's current content as its reader may see it; None if it is not theirs
        (or no longer there)."""
        keyring, entity_id = self.keyring, change.entity_id
        if change.type == "person":
            return self.person_views.get(entity_id)
        if change.type == "concern":
            concern = self.concerns.get(entity_id)
            if concern is None:
                return None
            # A protected source stays with whoever recorded it and the team's leads.
            return sharing.concern_shown_to(self.session, concern=concern,
                                            view=people.concern_view(concern, keyring=keyring),
                                            viewer=user, via="pull")
        if change.type == "household":
            household = self.households.get(entity_id)
            return people.household_view(household, keyring=keyring) if household else None
        if change.type == "checklist":
            checklist = self.checklists.get(entity_id)
            if checklist is None:
                return None
            return {**checklists.checklist_content(
                checklist, keyring=keyring, decision=self.decisions.get(checklist.id)),
                "flags": rules.stored_views(self.flags[checklist.uuid], keyring=keyring)}
        if change.type == "followup":
            followup = self.followups.get(entity_id)
            if followup is None or followup.checklist.author_id != user.id:
                return None
            return followups.followup_view(followup, checklist_uuid=followup.checklist.uuid,
                                           keyring=keyring)
        if change.type == "chronology_event":
            event = self.events.get(entity_id)
            return chronology.event_view(self.session, event, keyring=keyring) if event else None
        if change.type == "visit_plan":
            plan = self.plans.get(entity_id)
            return visit_plans.view(self.session, plan, keyring=keyring) if plan else None
        if change.type == "alert":
            alert = self.alerts.get(entity_id)
            if alert is None or alert.user_id != change.user_id:
                return None  # only ever for its recipient
            return sharing.alert_view(self.session, alert, keyring=keyring, children=[
                m.person for m in sorted(alert.household.memberships,
                                         key=lambda m: m.person_id)
                if m.person.is_child and m.person_id != alert.concern.person_id])
        return None


def _latest_decisions(session: DbSession, listed: list[Checklist]
                      ) -> dict[int, ReviewDecision | None]:
    """Each checklist's latest lead decision, by row id (None before any): one query."""
    latest: dict[int, ReviewDecision | None] = {c.id: None for c in listed}
    if not listed:
        return latest
    for row in session.scalars(
            select(ReviewDecision).options(joinedload(ReviewDecision.lead))
            .where(ReviewDecision.checklist_id.in_(list(latest)))
            .order_by(ReviewDecision.decided_at.desc(), ReviewDecision.id.desc())):
        if latest[row.checklist_id] is None:
            latest[row.checklist_id] = row
    return latest


def page_of_changes(session: DbSession, *, user: User, rows: list[Any], more: bool,
                    cursor: int, keyring: Keyring, page_bytes: int | None = None,
                    encode: Callable[[Any], str] = wire_json) -> PulledPage:
    """The pull's answer for these changes (oldest first): cut at `page_bytes`, always
    at least one change, so a catch-up always moves on.

    Each change is encoded once, by `encode`, and the body put together from those
    pieces: byte for byte what encoding the whole answer at once gives (keys sorted:
    `changes`, `cursor`, `more`), without encoding ten megabytes twice."""
    page_bytes = PAGE_BYTES if page_bytes is None else page_bytes
    needed = _needed(session, rows, page_bytes)
    if len(needed) < len(rows):
        rows, more = needed, True
    page = _Page(session, rows, keyring=keyring)
    out: list[dict[str, Any]] = []
    encoded: list[str] = []
    size = 0
    last = cursor
    for index, change in enumerate(rows):
        if out and size >= page_bytes:
            more = True  # the rest come in the next answer, from this cursor
            break
        if change.type.endswith(changes.DELETED_SUFFIX):
            entry: dict[str, Any] | None = {
                "seq": change.seq, "type": change.type[:-len(changes.DELETED_SUFFIX)],
                "entity_id": change.entity_id, "rev": change.rev,
                "data": {"id": change.entity_id, "deleted": True}}
        else:
            data = page.data(change, user=user)
            entry = None if data is None else {
                "seq": change.seq, "type": change.type, "entity_id": change.entity_id,
                "rev": data.get("rev", change.rev), "data": data}
        last = rows[index].seq
        if entry is not None:
            out.append(entry)
            encoded.append(encode(entry))
            size += len(encoded[-1])
    body = (f'{{"changes":[{",".join(encoded)}],"cursor":{encode(last)},'
            f'"more":{encode(more)}}}\n')
    return PulledPage(answer={"changes": out, "cursor": last, "more": more},
                      body=body.encode())
