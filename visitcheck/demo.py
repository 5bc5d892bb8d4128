"""A realistic demo team (fictional people) for trying the app and for tests.

Other tools rely on the usernames: hv, sn, lead, admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from .auth import service as auth
from .auth.models import Role, Team, User
from .database import DbSession
from .keys import Keyring
from .people import service as people
from .people.models import Household, Residence
from .people.service import MemberSpec

DEMO_TEAM = "Northfield 0-19 Team"
OTHER_TEAM = "Southbank 0-19 Team"

USERS = [
    ("hv", "Asha Patel", Role.HEALTH_VISITOR),
    ("sn", "Tom Reid", Role.SCHOOL_NURSE),
    ("lead", "Grace Okafor", Role.TEAM_LEAD),
    ("admin", "Sam Byrne", Role.ADMIN),
]


@dataclass
class DemoTeam:
    team: Team
    users: dict[str, User]
    households: list[Household] = field(default_factory=list)  # on hv's caseload
    school_households: list[Household] = field(default_factory=list)  # on sn's caseload


def _child(name: str, born: date) -> MemberSpec:
    return MemberSpec(name=name, residence=Residence.LIVES_HERE, date_of_birth=born,
                      is_child=True)


def _adult(name: str, born: date, residence: Residence = Residence.LIVES_HERE,
           sex: str = "female") -> MemberSpec:
    return MemberSpec(name=name, residence=residence, date_of_birth=born, sex=sex)


def seed_demo(session: DbSession, *, password: str, keyring: Keyring) -> DemoTeam | None:
    """Create the demo team; None when it exists already (seeding twice changes nothing)."""
    if session.scalars(select(Team).where(Team.name == DEMO_TEAM)).first():
        return None
    team = auth.get_or_create_team(session, name=DEMO_TEAM)
    users = {
        username: auth.create_user(session, username=username, password=password, role=role,
                                   team=team, name=name)
        for username, name, role in USERS
    }
    demo = DemoTeam(team=team, users=users)
    families = [
        ("14 Alder Row, Northfield NF3 2QP", [
            _adult("Kerry Lawson", date(1996, 4, 2)),
            _child("Mia Lawson", date(2025, 9, 14)),
            _child("Leo Lawson", date(2022, 1, 30)),
        ]),
        ("Flat 6, Beech House, Northfield NF1 8LD", [
            _adult("Dana Whitfield", date(1990, 11, 19)),
            _adult("Craig Whitfield", date(1988, 6, 5), sex="male"),
            _child("Ava Whitfield", date(2024, 3, 3)),
        ]),
        ("3 Cedar Close, Northfield NF2 5BT", [
            _adult("Priya Nair", date(2001, 7, 21)),
            _child("Arjun Nair", date(2026, 2, 8)),
        ]),
    ]
    for address, members in families:
        household = people.create_household(session, team=team, address=address,
                                            members=members, keyring=keyring)
        people.assign_caseload(session, user=users["hv"], household=household)
        demo.households.append(household)
    school = people.create_household(
        session, team=team, address="27 Damson Street, Northfield NF4 1RW",
        members=[_adult("Leanne Carter", date(1985, 2, 14)),
                 _child("Jayden Carter", date(2016, 10, 1)),
                 _child("Skye Carter", date(2013, 5, 22))],
        keyring=keyring,
    )
    people.assign_caseload(session, user=users["sn"], household=school)
    demo.school_households.append(school)
    return demo
