"""Households, persons, their links and concerns: who is where, and who may see them.

People are entities (DOMAIN.md principle 3): a person is recorded once and
linked to households, so the same adult seen in two homes is one record.
Edits from a stale revision raise StaleRevision (a conflict for a person to
resolve); links are set-like and merge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from ..audit import service as audit
from ..auth.models import Team, User
from ..checklists.validation import FieldError
from ..database import (
    DbSession,
    forget_transaction_memos,
    is_uuid,
    iso_utc,
    new_uuid,
    transaction_memo,
    utcnow,
)
from ..errors import Forbidden, InvalidEntity, ProtectedSource, StaleRevision
from ..feed import service as changes
from ..keys import Keyring, decrypt_fields, encrypt_fields
from ..sharing import service as sharing
from . import payloads
from .models import CaseloadAssignment, Concern, Household, HouseholdMember, Person, Residence


@dataclass(frozen=True)
class MemberSpec:
    name: str
    residence: Residence
    date_of_birth: date | None = None
    is_child: bool = False
    sex: str = "unknown"


# --- who may see what --------------------------------------------------------

@dataclass(frozen=True)
class HouseholdFacts:
    """What checking a checklist needs to know about its household, for one user."""

    household: Household
    on_caseload: bool
    children: set[str]
    people: dict[str, set[str]]


def household_facts(session: DbSession, *, user: User, household_id: str,
                    keyring: Keyring) -> HouseholdFacts | None:
    """Looked up once per transaction (see look_up_households). Every write in this
    module forgets what was looked up."""
    memo = transaction_memo(session, "household_facts")
    if (user.id, household_id) not in memo:
        look_up_households(session, user=user, household_ids=[household_id], keyring=keyring)
    return memo[user.id, household_id]


def look_up_households(session: DbSession, *, user: User, household_ids: list[str],
                       keyring: Keyring) -> None:
    """The facts of every household a push names, in four queries whatever their
    number, kept for this transaction."""
    memo = transaction_memo(session, "household_facts")
    wanted = {i for i in household_ids if (user.id, i) not in memo}
    if not wanted:
        return
    households = {h.id: h for h in session.scalars(
        select(Household).where(Household.uuid.in_([i for i in wanted if is_uuid(i)])))}
    memo.update({(user.id, i): None for i in wanted})
    if not households:
        return
    caseload = set(session.scalars(select(CaseloadAssignment.household_id).where(
        CaseloadAssignment.user_id == user.id,
        CaseloadAssignment.household_id.in_(list(households)))))
    members: dict[int, dict[str, bool]] = {h: {} for h in households}
    for household_id, person_id, is_child in session.execute(
            select(HouseholdMember.household_id, Person.uuid, Person.is_child)
            .join(Person, Person.id == HouseholdMember.person_id)
            .where(HouseholdMember.household_id.in_(list(households)))):
        members[household_id][person_id] = is_child
    concerns = _team_concerns(session, team_ids={h.team_id for h in households.values()},
                              keyring=keyring)
    for household in households.values():
        memo[user.id, household.uuid] = HouseholdFacts(
            household=household,
            on_caseload=household.id in caseload,
            children={p for p, is_child in members[household.id].items() if is_child},
            people=_people_by_kind(members[household.id], concerns[household.team_id]),
        )


def _team_concerns(session: DbSession, *, team_ids: set[int], keyring: Keyring
                   ) -> dict[int, list[tuple[str, set[str]]]]:
    """Per team: each concern's person and the children it records contact with."""
    out: dict[int, list[tuple[str, set[str]]]] = {t: [] for t in team_ids}
    for concern, person_id in session.execute(
            select(Concern, Person.uuid).join(Person, Person.id == Concern.person_id)
            .where(Concern.team_id.in_(team_ids))):
        contact = decrypt_fields(concern, keyring=keyring).get("contact") or {}
        out[concern.team_id].append((person_id, set(contact)))
    return out


def _people_by_kind(members: dict[str, bool], concerns: list[tuple[str, set[str]]]
                    ) -> dict[str, set[str]]:
    """Who a checklist's per-person questions may be about, by repeat kind: a person
    of concern lives in or visits the household, or has contact with its children."""
    children = {p for p, is_child in members.items() if is_child}
    adults = set(members) - children
    of_concern = {person for person, contact in concerns
                  if person in members or children & contact}
    # Parental responsibility is recorded per child on the person; until it is,
    # any adult of the household may be asked about.
    return {"members": set(members), "adults": adults, "parents": adults,
            "persons_of_concern": of_concern}


def caseload_household_ids(session: DbSession, *, user: User) -> list[int]:
    return list(
        session.scalars(
            select(CaseloadAssignment.household_id).where(CaseloadAssignment.user_id == user.id)
        )
    )


def on_caseload(session: DbSession, *, user: User, household: Household) -> bool:
    return session.scalar(select(CaseloadAssignment.id).where(
        CaseloadAssignment.user_id == user.id,
        CaseloadAssignment.household_id == household.id).limit(1)) is not None


def person_household_ids(session: DbSession, person: Person) -> list[int]:
    return list(session.scalars(
        select(HouseholdMember.household_id).where(HouseholdMember.person_id == person.id)))


def person_visible(session: DbSession, *, user: User, person: Person) -> bool:
    if person.team_id != user.team_id:
        return False
    if person.created_by_id == user.id:
        return True
    return bool(set(person_household_ids(session, person)) &
                set(caseload_household_ids(session, user=user)))


def household_by_public_id(session: DbSession, public_id: str) -> Household | None:
    return session.scalars(select(Household).where(Household.uuid == public_id)).first()


def person_by_public_id(session: DbSession, public_id: str) -> Person | None:
    return session.scalars(select(Person).where(Person.uuid == public_id)).first()


def concern_by_public_id(session: DbSession, public_id: str) -> Concern | None:
    return session.scalars(select(Concern).where(Concern.uuid == public_id)).first()


# --- announcing changes ------------------------------------------------------


def _announce_household(session: DbSession, household: Household) -> None:
    changes.record(session, team_id=household.team_id, type="household",
                   entity_id=household.uuid, rev=household.rev, household_id=household.id)


def _announce_person_record(session: DbSession, *, type: str, entity_id: str, rev: int,
                            person: Person, author: User | None) -> None:
    """To everyone who holds one of the person's households, and to the author."""
    for household_id in person_household_ids(session, person):
        changes.record(session, team_id=person.team_id, type=type, entity_id=entity_id,
                       rev=rev, household_id=household_id)
    if author is not None:
        changes.record(session, team_id=author.team_id, type=type, entity_id=entity_id,
                       rev=rev, user_id=author.id)


def _announce_person(session: DbSession, person: Person, author: User | None = None) -> None:
    _announce_person_record(session, type="person", entity_id=person.uuid, rev=person.rev,
                            person=person, author=author)
    for concern in session.scalars(select(Concern).where(Concern.person_id == person.id)):
        _announce_person_record(session, type="concern", entity_id=concern.uuid,
                                rev=concern.rev, person=person, author=None)


# --- set-up (demo data, administration) ----------------------------------------


def create_person(
    session: DbSession, *, team: Team, spec: MemberSpec, keyring: Keyring
) -> Person:
    person = Person(uuid=new_uuid(), team_id=team.id, is_child=spec.is_child)
    encrypt_fields(person, {
        "names": [spec.name],
        "aliases": [],
        "date_of_birth": spec.date_of_birth.isoformat() if spec.date_of_birth else None,
        "estimated_age": None,
        "sex": spec.sex,
        "is_child": spec.is_child,
        "children": [],
    }, keyring=keyring)
    session.add(person)
    session.flush()
    return person


def create_household(
    session: DbSession, *, team: Team, address: str, members: list[MemberSpec], keyring: Keyring
) -> Household:
    forget_transaction_memos(session)
    household = Household(uuid=new_uuid(), team_id=team.id)
    encrypt_fields(household, {"address": address, "professionals": []}, keyring=keyring)
    session.add(household)
    for spec in members:
        person = create_person(session, team=team, spec=spec, keyring=keyring)
        session.add(HouseholdMember(household=household, person_id=person.id,
                                    residence=spec.residence))
    session.flush()
    _announce_household(session, household)
    return household


def assign_caseload(session: DbSession, *, user: User, household: Household) -> None:
    forget_transaction_memos(session)
    exists = session.scalars(
        select(CaseloadAssignment).where(
            CaseloadAssignment.user_id == user.id,
            CaseloadAssignment.household_id == household.id,
        )
    ).first()
    if exists:
        return
    session.add(CaseloadAssignment(user_id=user.id, household_id=household.id))
    session.flush()
    # Announce the household and its people again so the new caseholder's
    # devices pull them, whatever their cursor.
    _announce_household(session, household)
    for membership in household.memberships:
        _announce_person(session, membership.person)
    sharing.alert_for_caseload(session, user=user, household=household)


# --- what devices send (household.put, person.put, membership.put, concern.put) ------


def _refuse_if_invalid(errors) -> None:
    if errors:
        raise InvalidEntity("some fields need attention", errors)


def _check_revision(row: Any, base_rev: int, current: dict[str, Any]) -> None:
    if row.rev != base_rev:
        raise StaleRevision(row.rev, current)


def put_household(session: DbSession, *, user: User, entity_id: str, base_rev: int,
                  payload: Any, keyring: Keyring) -> Household:
    forget_transaction_memos(session)
    _refuse_if_invalid(payloads.household_errors(payload))
    household = household_by_public_id(session, entity_id)
    if household is None:
        if base_rev != 0:
            raise InvalidEntity("no such household to update; a new one starts at base_rev 0")
        household = Household(uuid=entity_id, team_id=user.team_id, rev=1)
        encrypt_fields(household, payload, keyring=keyring)
        session.add(household)
        session.flush()
        # Whoever records a new household in the field holds it on their caseload.
        session.add(CaseloadAssignment(user_id=user.id, household_id=household.id))
        session.flush()
    else:
        if household.team_id != user.team_id or not on_caseload(session, user=user,
                                                                household=household):
            raise Forbidden("the household is not on your caseload")
        _check_revision(household, base_rev, household_view(household, keyring=keyring))
        household.rev += 1
        household.updated_at = utcnow()
        encrypt_fields(household, payload, keyring=keyring)
        session.flush()
    _announce_household(session, household)
    return household


def put_person(session: DbSession, *, user: User, entity_id: str, base_rev: int,
               payload: Any, keyring: Keyring) -> Person:
    forget_transaction_memos(session)
    _refuse_if_invalid(payloads.person_errors(payload))
    person = person_by_public_id(session, entity_id)
    stored: dict[str, Any] = {}
    if person is None:
        if base_rev != 0:
            raise InvalidEntity("no such person to update; a new one starts at base_rev 0")
        person = Person(uuid=entity_id, team_id=user.team_id, rev=1, created_by_id=user.id,
                        is_child=payload["is_child"])
    else:
        stored = decrypt_fields(person, keyring=keyring)
        if not person_visible(session, user=user, person=person):
            raise Forbidden("this person is not linked to a household on your caseload")
        _check_revision(person, base_rev, person_view(session, person, keyring=keyring))
        person.rev += 1
        person.updated_at = utcnow()
        person.is_child = payload["is_child"]
    data = {"aliases": [], "date_of_birth": None, "estimated_age": None, "sex": "unknown",
            "children": [], **payload, **_retention_facts(stored, payload)}
    encrypt_fields(person, data, keyring=keyring)
    session.add(person)
    session.flush()
    _announce_person(session, person, author=user)
    for household_id in person_household_ids(session, person):
        _announce_household(session, session.get_one(Household, household_id))
    return person


def _retention_facts(stored: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """What retention needs that a device may not send back (docs/data-protection.md):
    the end of care, kept when an edit leaves it out, and the day an estimated age was
    recorded, since an estimate counts from then."""
    facts = {}
    care_ended = payload.get("care_ended_on", stored.get("care_ended_on"))
    if care_ended:
        facts["care_ended_on"] = care_ended
    age = payload.get("estimated_age")
    if age is not None:
        same = age == stored.get("estimated_age") and stored.get("estimated_age_on")
        facts["estimated_age_on"] = (stored["estimated_age_on"] if same
                                     else utcnow().date().isoformat())
    return facts


def put_membership(session: DbSession, *, user: User, entity_id: str, base_rev: int,
                   payload: Any, keyring: Keyring) -> HouseholdMember:
    """Link a person to a household. Set-like: never a conflict; the same pair is one link,
    whichever device made it first, and a later residence replaces an earlier one."""
    forget_transaction_memos(session)
    _refuse_if_invalid(payloads.membership_errors(payload))
    household = household_by_public_id(session, payload["household_id"])
    person = person_by_public_id(session, payload["person_id"])
    if household is None or not on_caseload(session, user=user, household=household):
        raise Forbidden("the household is not on your caseload",
                        [FieldError("household_id", "is not on your caseload")])
    if person is None or not person_visible(session, user=user, person=person):
        raise Forbidden("unknown person", [FieldError("person_id", "is not known")])
    link = session.scalars(select(HouseholdMember).where(
        HouseholdMember.household_id == household.id,
        HouseholdMember.person_id == person.id)).first()
    if link is None:
        if session.scalars(select(HouseholdMember.id).where(
                HouseholdMember.uuid == entity_id)).first() is not None:
            # The id names another pair's link: one link id, one pair.
            raise InvalidEntity("this link id belongs to another link; a new link needs a new id")
        link = HouseholdMember(uuid=entity_id, household_id=household.id, person_id=person.id,
                               residence=payload["residence"], rev=1)
        session.add(link)
    elif link.residence != payload["residence"]:
        link.residence = payload["residence"]
        link.rev += 1
    session.flush()
    # The household's own revision is untouched: a member added on one device
    # never turns an address edit on another into a conflict.
    session.expire(household, ["memberships"])
    _announce_household(session, household)
    _announce_person(session, person, author=user)
    sharing.alert_for_link(session, household=household)
    return link


def put_concern(session: DbSession, *, user: User, entity_id: str, base_rev: int,
                payload: Any, keyring: Keyring) -> Concern:
    forget_transaction_memos(session)
    if isinstance(payload, dict):
        # What the device was shown, not a field it may set.
        payload = {k: v for k, v in payload.items() if k != "source_withheld"}
    _refuse_if_invalid(payloads.concern_errors(payload))
    person = person_by_public_id(session, payload["person_id"])
    if person is None or not person_visible(session, user=user, person=person):
        raise Forbidden("unknown person", [FieldError("person_id", "is not known")])
    concern = concern_by_public_id(session, entity_id)
    was_protected: bool | None = None
    if concern is None:
        if base_rev != 0:
            raise InvalidEntity("no such concern to update; a new one starts at base_rev 0")
        concern = Concern(uuid=entity_id, team_id=user.team_id, person_id=person.id, rev=1,
                          created_by_id=user.id)
    else:
        if concern.team_id != user.team_id or not person_visible(
                session, user=user, person=concern.person):
            raise Forbidden("this concern is not about a person on your caseload")
        if concern.rev != base_rev:
            # The conflict shows the concern as this editor may see it, never more.
            raise StaleRevision(concern.rev, sharing.concern_shown_to(
                session, concern=concern, view=concern_view(concern, keyring=keyring),
                viewer=user, via="conflict"))
        if concern.person_id != person.id:
            raise InvalidEntity("a concern stays about the same person",
                                [FieldError("person_id", "cannot change")])
        stored = decrypt_fields(concern, keyring=keyring)
        was_protected = bool(stored.get("protect_source"))
        if was_protected and not sharing.may_see_source(user, concern):
            if not payload.get("protect_source"):
                # Lifting it would hand the source to everyone holding the household.
                raise ProtectedSource(
                    "the source's identity stays protected",
                    [FieldError("protect_source", "only whoever recorded the source, or a "
                                "team lead, may lift its protection")])
            # The editor saw a placeholder, never the source: keep the real one.
            payload = {**payload, "source": stored.get("source")}
        concern.rev += 1
        concern.updated_at = utcnow()
    encrypt_fields(concern, payload, keyring=keyring)
    session.add(concern)
    session.flush()
    protected_now = bool(payload.get("protect_source"))
    if bool(was_protected) != protected_now:
        audit.record(session, action="concern.source_protection", actor=user,
                     object_type="concern", object_id=concern.uuid,
                     detail={"from": was_protected, "to": protected_now})
    _announce_person_record(session, type="concern", entity_id=concern.uuid, rev=concern.rev,
                            person=person, author=user)
    sharing.alert_for_concern(session, concern=concern)
    return concern


# --- what devices receive ------------------------------------------------------


def household_address(household: Household, *, keyring: Keyring) -> str:
    return decrypt_fields(household, keyring=keyring)["address"]


def _recorded(person: Person) -> dict[str, str]:
    recorder = (object_session(person).get(User, person.created_by_id)  # type: ignore[union-attr]
                if person.created_by_id is not None else None)
    if recorder is None:
        return {"recorded_at": "", "recorded_by": ""}
    return {"recorded_at": iso_utc(person.created_at) or "", "recorded_by": recorder.name}


def household_view(household: Household, *, keyring: Keyring,
                   person_fields: Mapping[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """What a device receives about a household (the pull's `data`). `person_fields`:
    members' decrypted fields by person row id, where the caller has them already."""
    fields = decrypt_fields(household, keyring=keyring)
    members = []
    for membership in household.memberships:
        person = (person_fields[membership.person_id] if person_fields is not None
                  else decrypt_fields(membership.person, keyring=keyring))
        members.append({
            "person_id": membership.person.uuid,
            "name": person["names"][0] if person["names"] else "",
            "is_child": membership.person.is_child,
            "date_of_birth": person.get("date_of_birth"),
            "residence": membership.residence,
            # Who recorded the member from a device, and when (the child's chronology
            # shows it, on the tablet and the lead's page); none for an administrator's.
            **_recorded(membership.person),
        })
    return {
        "id": household.uuid,
        "address": fields["address"],
        "professionals": fields.get("professionals", []),
        "members": members,
        "rev": household.rev,
    }


def person_view(session: DbSession, person: Person, *, keyring: Keyring) -> dict[str, Any]:
    return person_views(session, [person], keyring=keyring)[person.uuid]


def person_views(session: DbSession, persons: list[Person], *, keyring: Keyring,
                 person_fields: Mapping[int, dict[str, Any]] | None = None
                 ) -> dict[str, dict[str, Any]]:
    """What a device receives about each person, by public id; their households in
    one query. `person_fields`: as for household_view."""
    links: dict[int, list[dict[str, str]]] = {p.id: [] for p in persons}
    for person_id, household, residence in session.execute(
            select(HouseholdMember.person_id, Household.uuid, HouseholdMember.residence)
            .join(HouseholdMember, HouseholdMember.household_id == Household.id)
            .where(HouseholdMember.person_id.in_(list(links)))
            .order_by(Household.id)):
        links[person_id].append({"household_id": household, "residence": residence})
    return {person.uuid: {
        **(person_fields[person.id] if person_fields is not None
           else decrypt_fields(person, keyring=keyring)),
        "id": person.uuid,
        "is_child": person.is_child,
        "households": links[person.id],
        "rev": person.rev,
    } for person in persons}


def concern_view(concern: Concern, *, keyring: Keyring) -> dict[str, Any]:
    return {**decrypt_fields(concern, keyring=keyring), "id": concern.uuid,
            "person_id": concern.person.uuid, "rev": concern.rev}


def child_ids(session: DbSession, household: Household) -> set[str]:
    return set(session.scalars(
        select(Person.uuid).join(HouseholdMember, HouseholdMember.person_id == Person.id)
        .where(HouseholdMember.household_id == household.id, Person.is_child.is_(True))))
