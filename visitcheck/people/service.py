"""Households, persons and caseloads: the rules about who is where and who may see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.models import Team, User
from ..database import new_uuid, utcnow
from ..keys import Keyring, decrypt_fields, encrypt_fields
from ..sync import changes
from .models import CaseloadAssignment, Household, HouseholdMember, Person, Residence


@dataclass(frozen=True)
class MemberSpec:
    name: str
    residence: Residence
    date_of_birth: date | None = None
    is_child: bool = False
    sex: str = "unknown"


def create_person(
    session: Session, *, team: Team, spec: MemberSpec, keyring: Keyring
) -> Person:
    person = Person(uuid=new_uuid(), team_id=team.id, is_child=spec.is_child)
    encrypt_fields(
        person,
        {
            "names": [spec.name],
            "aliases": [],
            "date_of_birth": spec.date_of_birth.isoformat() if spec.date_of_birth else None,
            "sex": spec.sex,
        },
        keyring=keyring,
    )
    session.add(person)
    session.flush()
    return person


def create_household(
    session: Session, *, team: Team, address: str, members: list[MemberSpec], keyring: Keyring
) -> Household:
    household = Household(uuid=new_uuid(), team_id=team.id)
    encrypt_fields(household, {"address": address, "professionals": []}, keyring=keyring)
    session.add(household)
    for spec in members:
        person = create_person(session, team=team, spec=spec, keyring=keyring)
        session.add(
            HouseholdMember(household=household, person_id=person.id, residence=spec.residence)
        )
    session.flush()
    changes.record(session, type="household", entity_id=household.uuid, rev=household.rev,
                   household_id=household.id)
    return household


def assign_caseload(session: Session, *, user: User, household: Household) -> None:
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
    # Announce the household again so the new caseholder's devices pull it,
    # whatever their cursor.
    household.updated_at = utcnow()
    changes.record(session, type="household", entity_id=household.uuid, rev=household.rev,
                   household_id=household.id)


def caseload_household_ids(session: Session, *, user: User) -> list[int]:
    return list(
        session.scalars(
            select(CaseloadAssignment.household_id).where(CaseloadAssignment.user_id == user.id)
        )
    )


def on_caseload(session: Session, *, user: User, household: Household) -> bool:
    return household.id in caseload_household_ids(session, user=user)


def household_by_public_id(session: Session, public_id: str) -> Household | None:
    return session.scalars(select(Household).where(Household.uuid == public_id)).first()


def household_address(household: Household, *, keyring: Keyring) -> str:
    return decrypt_fields(household, keyring=keyring)["address"]


def household_view(household: Household, *, keyring: Keyring) -> dict[str, Any]:
    """What a device receives about a household (the pull's `data`)."""
    fields = decrypt_fields(household, keyring=keyring)
    members = []
    for membership in household.memberships:
        person = decrypt_fields(membership.person, keyring=keyring)
        members.append(
            {
                "person_id": membership.person.uuid,
                "name": person["names"][0] if person["names"] else "",
                "is_child": membership.person.is_child,
                "date_of_birth": person["date_of_birth"],
                "residence": membership.residence,
            }
        )
    return {
        "id": household.uuid,
        "address": fields["address"],
        "professionals": fields.get("professionals", []),
        "members": members,
        "rev": household.rev,
    }


def child_ids(household: Household) -> set[str]:
    return {m.person.uuid for m in household.memberships if m.person.is_child}
