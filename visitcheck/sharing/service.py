"""Sharing what is known about adults who may pose a risk (lesson L1).

When a concern about a person exists and that person is linked to a household
with children, every professional with that household on their caseload gets
an alert, delivered on their next pull; they acknowledge it on the tablet
(`alert.ack`, set-like, works offline) and the team lead sees who has and has
not. One alert per professional x concern x household: raising it again
changes nothing.

Also here, in one place: who may see a concern's protected source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import joinedload

from ..audit import service as audit
from ..auth.models import Role, User
from ..auth.roles import require_role
from ..checklists.validation import FieldError
from ..database import DbSession, is_uuid, utcnow
from ..errors import Forbidden, InvalidEntity
from ..feed import service as changes
from ..keys import Keyring, decrypt_fields
from ..people import vocabulary
from ..people.models import CaseloadAssignment, Concern, Household, HouseholdMember, Person
from .models import Alert, AlertGroupSummary

# --- protected sources ----------------------------------------------------------

# The roles that need a protected source to do their work; everyone else sees that
# there is one, not who it is.
ROLES_THAT_SEE_PROTECTED_SOURCES = frozenset({Role.TEAM_LEAD.value})
PROTECTED_SOURCE_TEXT = "Protected source: ask your team lead"


def may_see_protected_source(viewer: User) -> bool:
    return viewer.role in ROLES_THAT_SEE_PROTECTED_SOURCES


def may_see_source(viewer: User, concern: Concern) -> bool:
    """Whoever recorded the concern, and the team leads of its team, see its source
    even when protected; they alone may lift the protection."""
    return viewer.id == concern.created_by_id or (
        viewer.team_id == concern.team_id and may_see_protected_source(viewer))


def concern_for_viewer(concern: dict[str, Any], *, viewer: User) -> dict[str, Any]:
    """A decrypted concern as `viewer` may see it: a protected source is withheld
    from every role that does not need it."""
    if concern.get("protect_source") and not may_see_protected_source(viewer):
        return {**concern, "source": PROTECTED_SOURCE_TEXT, "source_withheld": True}
    return {**concern, "source_withheld": False}


def concern_shown_to(session: DbSession, *, concern: Concern, view: dict[str, Any],
                     viewer: User, via: str) -> dict[str, Any]:
    """`view` (the decrypted concern) as `viewer` may see it, wherever it is shown: a
    pull, a conflict, a page. A protected source is replaced by a placeholder for
    anyone but its recorder and the team's leads; each time it is shown to them, the
    read is audited (`via` says where)."""
    if not view.get("protect_source"):
        return {**view, "source_withheld": False}
    if not may_see_source(viewer, concern):
        return {**view, "source": PROTECTED_SOURCE_TEXT, "source_withheld": True}
    audit.record(session, action="concern.source_read", actor=viewer, object_type="concern",
                 object_id=concern.uuid, detail={"via": via})
    return {**view, "source_withheld": False}


# --- words -----------------------------------------------------------------------

# The tablet's labels, as they read in a sentence (people/vocabulary.json).
BASIS_WORDS = vocabulary.words("concern_bases")
CONTACT_WORDS = vocabulary.words("contact_levels")


def basis_words(basis: list[str]) -> str:
    return "; ".join(BASIS_WORDS.get(b, b.replace("_", " ")) for b in basis) or "not recorded"


# --- raising alerts ----------------------------------------------------------------


def _children_of(session: DbSession, household: Household, *, besides: int) -> list[Person]:
    return list(session.scalars(
        select(Person).join(HouseholdMember, HouseholdMember.person_id == Person.id)
        .where(HouseholdMember.household_id == household.id, Person.is_child.is_(True),
               Person.id != besides)
        .order_by(Person.id)))


def _caseload_holders(session: DbSession, household: Household) -> list[int]:
    return list(session.scalars(
        select(CaseloadAssignment.user_id)
        .where(CaseloadAssignment.household_id == household.id)
        .order_by(CaseloadAssignment.user_id)))


def _raise(session: DbSession, *, concern: Concern, household: Household,
           user_ids: list[int] | None = None) -> list[Alert]:
    """Alerts for `concern` at `household` (if it has children), to its caseload holders."""
    if household.team_id != concern.team_id or not _children_of(
            session, household, besides=concern.person_id):
        return []
    raised = []
    holders = _caseload_holders(session, household)
    for user_id in holders if user_ids is None else [u for u in user_ids if u in holders]:
        exists = session.scalars(select(Alert).where(
            Alert.user_id == user_id, Alert.concern_id == concern.id,
            Alert.household_id == household.id)).first()
        if exists:
            continue
        now = utcnow()
        alert = Alert(user_id=user_id, concern_id=concern.id, household_id=household.id,
                      rev=1, raised_at=now)
        if user_id == concern.created_by_id:
            # Whoever recorded the concern knows of it already.
            alert.acknowledged_at = alert.acknowledgement_received_at = now
        session.add(alert)
        session.flush()
        changes.record(session, team_id=household.team_id, type="alert", entity_id=alert.uuid,
                       rev=alert.rev, user_id=user_id)
        raised.append(alert)
    return raised


def _households_of(session: DbSession, person_id: int) -> list[Household]:
    return list(session.scalars(
        select(Household).join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.person_id == person_id).order_by(Household.id)))


def _concerns_at(session: DbSession, household: Household) -> list[Concern]:
    return list(session.scalars(
        select(Concern).join(HouseholdMember, HouseholdMember.person_id == Concern.person_id)
        .where(HouseholdMember.household_id == household.id).order_by(Concern.id)))


def alert_for_concern(session: DbSession, *, concern: Concern) -> list[Alert]:
    """A concern recorded or changed: alert at every household with children its person
    is linked to."""
    raised = []
    for household in _households_of(session, concern.person_id):
        raised += _raise(session, concern=concern, household=household)
    return raised


def alert_for_link(session: DbSession, *, household: Household) -> list[Alert]:
    """Someone linked to a household: a person of concern now there, or a child now
    living with one. Alerts for every concern about anyone linked to it."""
    raised = []
    for concern in _concerns_at(session, household):
        raised += _raise(session, concern=concern, household=household)
    return raised


def alert_for_caseload(session: DbSession, *, user: User, household: Household) -> list[Alert]:
    """A household newly on `user`'s caseload: they learn what the others know."""
    raised = []
    for concern in _concerns_at(session, household):
        raised += _raise(session, concern=concern, household=household, user_ids=[user.id])
    return raised


# --- delivering and acknowledging ----------------------------------------------------


def alert_by_public_id(session: DbSession, public_id: str) -> Alert | None:
    return session.scalars(select(Alert).where(Alert.uuid == public_id)).first()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _first_name(person: Person, *, keyring: Keyring) -> str:
    names = decrypt_fields(person, keyring=keyring).get("names") or []
    return names[0] if names else "Name not known"


def alert_view(session: DbSession, alert: Alert, *, keyring: Keyring,
               children: list[Person] | None = None) -> dict[str, Any]:
    """What the recipient's device receives. Never the source of the concern.
    `children`: the household's other children, where the caller loaded them (the pull)."""
    concern = decrypt_fields(alert.concern, keyring=keyring)
    person = alert.concern.person
    return {
        "id": alert.uuid,
        "concern_id": alert.concern.uuid,
        "person_id": person.uuid,
        "person_name": _first_name(person, keyring=keyring),
        "household_id": alert.household.uuid,
        "household_address": decrypt_fields(alert.household, keyring=keyring)["address"],
        "children": [_first_name(child, keyring=keyring) for child in (
            children if children is not None
            else _children_of(session, alert.household, besides=person.id))],
        "basis": basis_words(concern.get("basis", [])),
        "raised_at": _iso(alert.raised_at),
        "acknowledged_at": _iso(alert.acknowledged_at),
        "rev": alert.rev,
    }


def alert_data(session: DbSession, *, entity_id: str, user_id: int | None,
               keyring: Keyring) -> dict[str, Any] | None:
    """The pull's `data` for an "alert" change: only ever for its recipient."""
    alert = alert_by_public_id(session, entity_id)
    if alert is None or alert.user_id != user_id:
        return None
    return alert_view(session, alert, keyring=keyring)


def _ack_errors(entity_id: str, payload: Any) -> list[FieldError]:
    if not isinstance(payload, dict):
        return [FieldError("payload", "must be a JSON object")]
    errors = [FieldError(k, "is not a field of this record")
              for k in sorted(set(payload) - {"alert_id", "acknowledged_at"})]
    if not is_uuid(payload.get("alert_id")) or payload.get("alert_id") != entity_id:
        errors.append(FieldError("alert_id", "must be the op's entity_id"))
    acknowledged_at = payload.get("acknowledged_at")
    try:
        if not isinstance(acknowledged_at, str):
            raise TypeError("acknowledged_at is not a string")
        when = datetime.fromisoformat(acknowledged_at)
        if when.tzinfo is None:
            errors.append(FieldError("acknowledged_at", "must give its UTC offset"))
    except (TypeError, ValueError):
        errors.append(FieldError("acknowledged_at", "must be an ISO 8601 time"))
    return errors


def acknowledge(session: DbSession, *, user: User, entity_id: str, base_rev: int,
                payload: Any, keyring: Keyring) -> Alert:
    """`alert.ack`: set-like and idempotent, never a conflict; the first time counts.

    The time is the device's (the professional may have read it offline), kept
    between when the alert was raised and now.
    """
    errors = _ack_errors(entity_id, payload)
    if errors:
        raise InvalidEntity("the acknowledgement needs attention", errors)
    alert = alert_by_public_id(session, entity_id)
    if alert is None or alert.user_id != user.id:
        raise Forbidden("no such alert for you", [FieldError("alert_id", "is not known")])
    if alert.acknowledged_at is None:
        now = utcnow()
        said = datetime.fromisoformat(payload["acknowledged_at"])
        alert.acknowledged_at = min(max(said, alert.raised_at), now)
        alert.acknowledgement_received_at = now
        alert.rev += 1
        session.flush()
        # The recipient's other devices learn it is done.
        changes.record(session, team_id=user.team_id, type="alert", entity_id=alert.uuid,
                       rev=alert.rev, user_id=user.id)
    return alert


# --- who knows -------------------------------------------------------------------------


@dataclass(frozen=True)
class UnawareProfessional:
    user_id: str  # public id
    name: str
    role: str
    alert_id: str
    concern_id: str
    person_id: str
    raised_at: datetime


def unacknowledged_professionals(session: DbSession, household: Household
                                 ) -> list[UnawareProfessional]:
    """Professionals with this household on their caseload who have not acknowledged an
    alert about a person of concern linked to it (the `professionals-unaware` rule)."""
    alerts = session.scalars(
        select(Alert).where(Alert.household_id == household.id,
                            Alert.acknowledged_at.is_(None))
        .order_by(Alert.raised_at, Alert.id)).all()
    return [UnawareProfessional(user_id=a.user.uuid, name=a.user.name, role=a.user.role,
                                alert_id=a.uuid, concern_id=a.concern.uuid,
                                person_id=a.concern.person.uuid, raised_at=a.raised_at)
            for a in alerts]


@dataclass(frozen=True)
class Recipient:
    name: str
    role: str
    raised_at: datetime
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class AlertGroup:
    """One concern at one household, and everyone told of it."""

    person_name: str
    household_id: str
    household_address: str
    basis: str
    recipients: list[Recipient]
    # Public ids, for the audit trail: which concern and person this group shows.
    concern_id: str = ""
    person_id: str = ""

    @property
    def unacknowledged(self) -> int:
        return sum(1 for r in self.recipients if r.acknowledged_at is None)


def _group_of(alerts: list[Alert], *, keyring: Keyring) -> AlertGroup:
    """One group, decrypted: its person's first name, its address and the basis."""
    first = alerts[0]
    concern = decrypt_fields(first.concern, keyring=keyring)
    return AlertGroup(
        person_name=_first_name(first.concern.person, keyring=keyring),
        household_id=first.household.uuid,
        household_address=decrypt_fields(first.household, keyring=keyring)["address"],
        basis=basis_words(concern.get("basis", [])),
        recipients=[Recipient(a.user.name, a.user.role, a.raised_at, a.acknowledged_at)
                    for a in alerts],
        concern_id=first.concern.uuid,
        person_id=first.concern.person.uuid,
    )


def _alerts_with_what_they_show() -> Select[Alert]:
    """Alerts with their concern, person, household and recipient: one query."""
    return (select(Alert).options(joinedload(Alert.concern).joinedload(Concern.person),
                                  joinedload(Alert.household), joinedload(Alert.user))
            .order_by(Alert.concern_id, Alert.household_id, Alert.raised_at, Alert.id))


def alert_groups(session: DbSession, *, team_id: int, keyring: Keyring,
                 household: Household | None = None) -> list[AlertGroup]:
    """Who has and has not acknowledged each alert, for a team (or one household).
    Decrypts names and addresses: callers check that the viewer is the team's lead.
    Every group, sorted by name in Python: for one household's few (the checklist
    page); the team's are paged by the database (`team_alerts`)."""
    # With what each group shows (concern, person, household, recipient): one query
    # however many alerts the team has (tests/api/test_query_counts.py).
    query = (_alerts_with_what_they_show()
             .join(Household, Household.id == Alert.household_id)
             .where(Household.team_id == team_id))
    if household is not None:
        query = query.where(Alert.household_id == household.id)
    groups: dict[tuple[int, int], list[Alert]] = {}
    for alert in session.scalars(query):
        groups.setdefault((alert.concern_id, alert.household_id), []).append(alert)
    out = [_group_of(alerts, keyring=keyring) for alerts in groups.values()]
    out.sort(key=lambda g: (-g.unacknowledged, g.person_name))
    return out


ALERTS_PER_PAGE = 20


@dataclass(frozen=True)
class AlertsPage:
    groups: list[AlertGroup]
    total: int  # groups in the team, on every page
    page: int
    pages: int


def _team_groups(team_id: int) -> Select[int, int]:
    """The team's groups (concern x household) in the page's order: those with
    unacknowledged recipients first, most first, then the most recently raised, then by
    ids so that every group has one place. Not by name: names are encrypted, so the
    database cannot sort by them. Read from the summary the database keeps
    (`alert_groups`, migration 0030) along an index in exactly this order, so a page
    does not group the team's alerts."""
    return (select(AlertGroupSummary.concern_id, AlertGroupSummary.household_id)
            .where(AlertGroupSummary.team_id == team_id)
            .order_by(AlertGroupSummary.unacknowledged.desc(),
                      AlertGroupSummary.latest_raised_at.desc(),
                      AlertGroupSummary.concern_id, AlertGroupSummary.household_id))


def _alert_groups_page(session: DbSession, *, team_id: int, keyring: Keyring, page: int,
                       per_page: int) -> AlertsPage:
    """One page of the team's groups: counted, ordered and paged by the database, and
    only the page's alerts read and decrypted. Three queries whatever the page or the
    team's history (tests/api/test_query_counts.py).

    The groups are rows of the summary the database keeps (`alert_groups`): the page is
    a walk along an index in its order, the total a count of the team's entries in that
    index. Not a window count with the page: SQLite then sorts every row of the team's
    again (40 times slower at 5,000 groups, docs/performance.md)."""
    total = session.scalar(select(func.count()).select_from(AlertGroupSummary).where(
        AlertGroupSummary.team_id == team_id)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)  # past the last page: the last, as the queue does
    rows = session.execute(_team_groups(team_id).limit(per_page).offset(
        (page - 1) * per_page)).all() if total else []
    keys = [(row.concern_id, row.household_id) for row in rows]
    if not keys:
        return AlertsPage(groups=[], total=total, page=page, pages=pages)
    on_page: dict[tuple[int, int], list[Alert]] = {key: [] for key in keys}
    for alert in session.scalars(_alerts_with_what_they_show().where(
            tuple_(Alert.concern_id, Alert.household_id).in_(keys))):
        on_page[alert.concern_id, alert.household_id].append(alert)
    return AlertsPage(groups=[_group_of(on_page[key], keyring=keyring) for key in keys],
                      total=total, page=page, pages=pages)


class AlertsForbidden(Exception):
    """Only a team lead sees who has acknowledged their team's alerts."""


def team_alerts(session: DbSession, *, lead: User, keyring: Keyring, page: int = 1,
                per_page: int = ALERTS_PER_PAGE) -> AlertsPage:
    """The lead's view of their team's alerts, a page at a time: who has and has not
    acknowledged. A page past the last shows the last, as the queue does."""
    require_role(lead, Role.TEAM_LEAD, error=AlertsForbidden)
    shown = _alert_groups_page(session, team_id=lead.team_id, keyring=keyring, page=page,
                               per_page=per_page)
    audit.record(session, action="alerts.read", actor=lead,
                 detail={"groups": len(shown.groups), "page": shown.page,
                         "total": shown.total})
    audit_alert_groups(session, groups=shown.groups, viewer=lead)
    return shown


def audit_alert_groups(session: DbSession, *, groups: list[AlertGroup], viewer: User) -> None:
    """Item by item: each group shown names a person of concern and a household."""
    for group in groups:
        audit.record(session, action="alert.read", actor=viewer, object_type="concern",
                     object_id=group.concern_id,
                     subjects=[audit.subject("person", group.person_id),
                               audit.subject("household", group.household_id)],
                     flush=False)
    session.flush()  # the events written together, as a push's batch is
