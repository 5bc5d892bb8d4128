"""Administration: accounts and teams, caseloads, devices, template versions, the audit
trail. Administrators manage who may see what; they never see what is recorded about
families: households appear by id and counts, never by address or names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from ..audit import service as audit
from ..audit.models import AuditEvent
from ..auth import service as auth
from ..auth.models import Role, Team, User
from ..checklists.models import Checklist, ChecklistTemplate
from ..database import DbSession
from ..devices import service as devices
from ..devices.models import Device
from ..feed import service as feed
from ..keys import Keyring
from ..people import service as people
from ..people.models import CaseloadAssignment, Household, HouseholdMember, Person

AUDIT_PAGE = 50


class AdminForbidden(Exception):
    """Only an administrator may administer."""


class AdminError(ValueError):
    """The change cannot be made as asked (the message says why, for the form)."""


class PasswordRefused(AdminError):
    """The first password given for a new account may not be used (shown by its field)."""


def require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise AdminForbidden()


# --- overview --------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    users: int
    teams: int
    households: int
    devices_active: int
    devices_revoked: int
    templates: int


def overview(session: DbSession, *, admin: User) -> Overview:
    require_admin(admin)

    def count(query) -> int:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0

    return Overview(
        users=count(select(User.id)), teams=count(select(Team.id)),
        households=count(select(Household.id)),
        devices_active=count(select(Device.id).where(Device.revoked_at.is_(None))),
        devices_revoked=count(select(Device.id).where(Device.revoked_at.is_not(None))),
        templates=count(select(ChecklistTemplate.id)),
    )


# --- users and teams ---------------------------------------------------------------------


def teams(session: DbSession, *, admin: User) -> list[Team]:
    require_admin(admin)
    return list(session.scalars(select(Team).order_by(Team.name)))


def users(session: DbSession, *, admin: User) -> list[User]:
    require_admin(admin)
    return list(session.scalars(select(User).order_by(User.username)))


def user_by_public_id(session: DbSession, *, admin: User, public_id: str) -> User | None:
    require_admin(admin)
    return auth.user_by_public_id(session, public_id)


def _team(session: DbSession, team_id: str) -> Team:
    team = session.scalars(select(Team).where(Team.uuid == team_id)).first()
    if team is None:
        raise AdminError("Choose a team.")
    return team


def create_team(session: DbSession, *, admin: User, name: str) -> Team:
    require_admin(admin)
    name = name.strip()
    if not name:
        raise AdminError("Give the team a name.")
    if session.scalars(select(Team).where(Team.name == name)).first():
        raise AdminError(f"A team called {name!r} exists already.")
    team = auth.get_or_create_team(session, name=name)
    audit.record(session, action="admin.team_create", actor=admin, object_type="team",
                 object_id=team.uuid)
    return team


def create_user(session: DbSession, *, admin: User, username: str, name: str, role: str,
                team_id: str, password: str) -> User:
    require_admin(admin)
    try:
        user = auth.create_user(session, username=username.strip(), password=password,
                                role=role, team=_team(session, team_id), name=name.strip())
    except auth.WeakPassword as error:
        raise PasswordRefused(str(error)) from None
    except auth.AccountError as error:
        raise AdminError(str(error)) from None
    audit.record(session, action="admin.user_create", actor=admin, object_type="user",
                 object_id=user.uuid, detail={"role": role})
    return user


def update_user(session: DbSession, *, admin: User, public_id: str, role: str, team_id: str,
                active: bool) -> User:
    """Change a user's role or team, or deactivate them (their sessions end at once)."""
    require_admin(admin)
    user = auth.user_by_public_id(session, public_id)
    if user is None:
        raise AdminError("No such user.")
    if role not in {r.value for r in Role}:
        raise AdminError("Choose a role.")
    if user.id == admin.id and (not active or role != Role.ADMIN):
        raise AdminError("You cannot remove your own administration rights; ask another "
                         "administrator.")
    team = _team(session, team_id)
    changed: dict[str, Any] = {}
    if user.role != role:
        changed["role"] = [user.role, role]
    if user.team_id != team.id:
        changed["team"] = team.uuid
    if user.active != active:
        changed["active"] = active
    moved = user.team_id != team.id or user.role != role
    # Their devices' cursor counts the old team's feed: the new team's goes on above it.
    feed.join_team(session, from_team_id=user.team_id, to_team_id=team.id)
    user.role, user.team_id, user.active = role, team.id, active
    if not active or moved:
        # What they may see has changed: sessions signed in under the old rights end.
        auth.end_all_sessions(user)
    if moved:
        # A household stays on a caseload only within its own team.
        for assignment in session.scalars(select(CaseloadAssignment).where(
                CaseloadAssignment.user_id == user.id)):
            if assignment_household_team(session, assignment) != team.id:
                session.delete(assignment)
    session.flush()
    audit.record(session, action="admin.user_update", actor=admin, object_type="user",
                 object_id=user.uuid, detail=changed or None)
    return user


def assignment_household_team(session: DbSession, assignment: CaseloadAssignment) -> int:
    return session.get_one(Household, assignment.household_id).team_id


# --- caseloads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdRow:
    """A household as an administrator sees it: id, team and counts, never an address."""

    id: str
    team: str
    members: int
    children: int
    caseload: list[str]  # usernames


def households(session: DbSession, *, admin: User) -> list[HouseholdRow]:
    require_admin(admin)
    rows = []
    for household in session.scalars(select(Household).order_by(Household.team_id,
                                                                 Household.id)):
        members = session.scalars(select(Person.is_child).join(
            HouseholdMember, HouseholdMember.person_id == Person.id)
            .where(HouseholdMember.household_id == household.id)).all()
        holders = session.scalars(select(User.username).join(
            CaseloadAssignment, CaseloadAssignment.user_id == User.id)
            .where(CaseloadAssignment.household_id == household.id)
            .order_by(User.username)).all()
        team = session.get(Team, household.team_id)
        rows.append(HouseholdRow(household.uuid, team.name if team else "", len(members),
                                 sum(1 for c in members if c), list(holders)))
    return rows


@dataclass(frozen=True)
class HouseholdMatch:
    """A household found by the caseload search: its address and the people's names,
    so two households that read alike by id can be told apart (issue 16 item 4)."""

    id: str
    team: str
    address: str
    names: list[str]
    caseload: list[str]  # usernames


SEARCH_MIN_CHARS = 3


def search_households(session: DbSession, *, admin: User, query: str, keyring: Keyring
                      ) -> list[HouseholdMatch]:
    """Households whose address or people's names hold every word of `query` (at least
    three characters, so nobody browses the register by typing one letter). The
    administrator sees addresses and names only for what they searched, and each search
    is audited with the households it showed. Decrypts each household to match: the
    addresses are encrypted at rest, so there is no index to ask; fine for a team's few
    hundred households. Flushes."""
    require_admin(admin)
    words = query.lower().split()
    if len(query.strip()) < SEARCH_MIN_CHARS:
        return []
    rows = {row.id: row for row in households(session, admin=admin)}
    found = []
    for household in session.scalars(select(Household).order_by(Household.id)):
        view = people.household_view(household, keyring=keyring)
        names = [m.get("name") or "" for m in view.get("members") or []]
        text = " ".join([view.get("address") or "", *names]).lower()
        if all(word in text for word in words):
            row = rows[household.uuid]
            found.append(HouseholdMatch(household.uuid, row.team, view.get("address") or "",
                                        [n for n in names if n], row.caseload))
    audit.record(session, action="admin.household_search", actor=admin,
                 object_type="household", detail={"matches": len(found)},
                 subjects=[match.id for match in found])
    return found


def assign_caseload(session: DbSession, *, admin: User, user_id: str,
                    household_id: str) -> None:
    require_admin(admin)
    user = auth.user_by_public_id(session, user_id)
    household = people.household_by_public_id(session, household_id)
    if user is None or not user.role_enum.is_practitioner:
        raise AdminError("Choose a health visitor or school nurse.")
    if household is None:
        raise AdminError("No household has that id.")
    if household.team_id != user.team_id:
        raise AdminError("The household belongs to another team than the practitioner.")
    people.assign_caseload(session, user=user, household=household)
    audit.record(session, action="admin.caseload_assign", actor=admin,
                 object_type="household", object_id=household.uuid,
                 detail={"user": user.uuid})


# --- devices and templates ---------------------------------------------------------------


def all_devices(session: DbSession, *, admin: User) -> list[tuple[Device, str]]:
    require_admin(admin)
    return [(d, session.get_one(User, d.user_id).username)
            for d in devices.devices_of(session)]


def revoke_device(session: DbSession, *, admin: User, device_id: str, mode: str) -> Device:
    require_admin(admin)
    try:
        device = devices.revoke(session, device_id=device_id,
                                mode=devices.RevokeMode(mode))
    except (devices.UnknownDevice, ValueError):
        raise AdminError("No such device, or no such mode.") from None
    audit.record(session, action="admin.device_revoke", actor=admin, object_type="device",
                 object_id=device.device_id, detail={"mode": mode})
    return device


@dataclass(frozen=True)
class TemplateRow:
    template: str
    version: int
    loaded_at: datetime
    checklists: int


def template_versions(session: DbSession, *, admin: User) -> list[TemplateRow]:
    require_admin(admin)
    rows = session.scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.template,
                                                              ChecklistTemplate.version))
    out = []
    for row in rows:
        used = session.scalar(select(func.count(Checklist.id)).where(
            Checklist.template == row.template,
            Checklist.template_version == row.version)) or 0
        out.append(TemplateRow(row.template, row.version, row.loaded_at, used))
    return out


# --- the audit trail -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    who: str = ""  # username
    action: str = ""  # prefix, e.g. "review." or "checklist.read"
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    who: str
    action: str
    object_type: str
    object_id: str
    ip: str
    detail: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    page: int
    more: bool


def _detail_words(detail: str | None) -> str:
    if not detail:
        return ""
    try:
        data: Any = json.loads(detail)
    except ValueError:
        return ""
    return ", ".join(f"{k}: {v if not isinstance(v, list) else len(v)}"
                     for k, v in sorted(data.items())) if isinstance(data, dict) else ""


def audit_trail(session: DbSession, *, admin: User, filters: AuditFilters) -> AuditPage:
    """Who did or read what, when: ids and actions only, never content."""
    require_admin(admin)
    query = select(AuditEvent)
    if filters.who:
        query = query.where(AuditEvent.actor_username == filters.who.strip())
    if filters.action:
        query = query.where(AuditEvent.action.startswith(filters.action.strip(),
                                                         autoescape=True))
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(AuditEvent.object_id == filters.object_id.strip())
    if filters.date_from:
        query = query.where(AuditEvent.at >= datetime.combine(filters.date_from, time(),
                                                              tzinfo=UTC))
    if filters.date_to:
        query = query.where(AuditEvent.at < datetime.combine(
            filters.date_to + timedelta(days=1), time(), tzinfo=UTC))
    page = max(1, filters.page)
    events = session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                             .offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE + 1)).all()
    audit.record(session, action="admin.audit_read", actor=admin)
    return AuditPage(
        rows=[AuditRow(e.at, e.actor_username or "", e.action, e.object_type or "",
                       e.object_id or "", e.ip or "", _detail_words(e.detail))
              for e in events[:AUDIT_PAGE]],
        page=page, more=len(events) > AUDIT_PAGE)
