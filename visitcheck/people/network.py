"""The family map (lesson L4): the households and persons reachable from one household
through shared persons, the persons of concern among them, and the children they
have contact with across every household they link to.

A team lead sees the whole network of their team. A practitioner starting from a
household on their caseload sees the persons linked to their caseload; other
households appear without address or names (that they exist, and how many
children live there, is what L1 and L4 ask them to know). Each view is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..audit import service as audit
from ..auth.models import Role, User
from ..database import DbSession
from ..keys import Keyring, decrypt_fields
from ..sharing import service as sharing
from . import service as people
from . import vocabulary
from .models import Concern, Household, HouseholdMember, Person

RESIDENCE_WORDS = vocabulary.words("residences")
MAX_HOUSEHOLDS = 15
MAX_HOPS = 3  # households away from the one the map starts at

# Drawing (SVG user units).
HOUSEHOLD_X, HOUSEHOLD_W, HOUSEHOLD_H, HOUSEHOLD_GAP = 10, 330, 58, 22
PERSON_X, PERSON_W, PERSON_H, PERSON_GAP = 520, 300, 44, 12
TOP = 40
LABEL_CHARS = 40


class MapNotFound(Exception):
    """No such household, or not one the viewer may start a map from."""


class MapForbidden(Exception):
    """The viewer's role does not use the family map (administrators)."""


@dataclass
class MapHousehold:
    id: str
    label: str
    visible: bool
    children: int
    start: bool = False
    x: int = HOUSEHOLD_X
    y: int = 0

    @property
    def short_label(self) -> str:
        return _short(self.label)

    @property
    def cy(self) -> int:
        return self.y + HOUSEHOLD_H // 2


@dataclass
class MapPerson:
    id: str
    name: str
    is_child: bool
    of_concern: bool
    x: int = PERSON_X
    y: int = 0

    @property
    def short_label(self) -> str:
        return _short(self.name)

    @property
    def kind_words(self) -> str:
        if self.of_concern:
            return "person of concern"
        return "child" if self.is_child else "adult"

    @property
    def cy(self) -> int:
        return self.y + PERSON_H // 2


@dataclass(frozen=True)
class MapLink:
    person: MapPerson
    household: MapHousehold
    residence: str
    words: str


@dataclass(frozen=True)
class ChildContact:
    child: str
    household: str
    how: str


@dataclass
class PersonOfConcern:
    person: MapPerson
    households_with_children: list[MapHousehold]
    contacts: list[ChildContact]

    @property
    def spans_households(self) -> bool:
        return len(self.households_with_children) >= 2


@dataclass
class FamilyMap:
    start: MapHousehold
    households: list[MapHousehold]
    persons: list[MapPerson]
    links: list[MapLink]
    of_concern: list[PersonOfConcern]
    truncated: bool
    full_view: bool  # a team lead's: every household named
    width: int = PERSON_X + PERSON_W + 10
    height: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def complex_abuse(self) -> list[PersonOfConcern]:
        """Persons of concern linked to two or more households with children."""
        return [p for p in self.of_concern if p.spans_households]

    @property
    def visible_household_ids(self) -> list[str]:
        return [h.id for h in self.households if h.visible]


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _name(fields: dict[str, Any]) -> str:
    names = fields.get("names") or []
    return names[0] if names else "Name not known"


def _reach(session: DbSession, start: Household) -> tuple[list[Household], bool]:
    """Breadth-first over household_members: households sharing a person, same team,
    at most MAX_HOPS away and MAX_HOUSEHOLDS in all. One query per hop, for the whole
    ring of households found at the last one."""
    seen = {start.id: start}
    order = [start]
    ring = [start]
    truncated = False
    for _hop in range(MAX_HOPS):
        if not ring:
            break
        person_ids = select(HouseholdMember.person_id).where(
            HouseholdMember.household_id.in_([h.id for h in ring]))
        neighbours = session.scalars(
            select(Household).join(HouseholdMember, HouseholdMember.household_id == Household.id)
            .where(HouseholdMember.person_id.in_(person_ids), Household.team_id == start.team_id)
            .order_by(Household.id)).unique().all()
        # In the order the one-household-at-a-time walk took them: by the household
        # that reached them, then by id.
        reached_from = _reached_from(session, ring=ring, candidates=[
            n.id for n in neighbours if n.id not in seen])
        ring = []
        for neighbour in sorted((n for n in neighbours if n.id not in seen),
                                key=lambda n: (reached_from.get(n.id, 0), n.id)):
            if len(order) >= MAX_HOUSEHOLDS:
                truncated = True
                continue
            seen[neighbour.id] = neighbour
            order.append(neighbour)
            ring.append(neighbour)
    return order, truncated


def _reached_from(session: DbSession, *, ring: list[Household], candidates: list[int]
                  ) -> dict[int, int]:
    """For each candidate household, the position in `ring` of the first household it
    shares a person with."""
    if not candidates:
        return {}
    position = {h.id: i for i, h in enumerate(ring)}
    inner = HouseholdMember.__table__.alias("inner_member")
    out: dict[int, int] = {}
    for candidate, source in session.execute(
            select(HouseholdMember.household_id, inner.c.household_id)
            .join(inner, inner.c.person_id == HouseholdMember.person_id)
            .where(HouseholdMember.household_id.in_(candidates),
                   inner.c.household_id.in_(list(position)))):
        out[candidate] = min(out.get(candidate, len(ring)), position[source])
    return out


def _may_start(session: DbSession, *, viewer: User, household: Household) -> bool:
    if household.team_id != viewer.team_id:
        return False
    if viewer.role == Role.TEAM_LEAD:
        return True
    return viewer.role_enum.is_practitioner and people.on_caseload(
        session, user=viewer, household=household)


def family_map(session: DbSession, *, viewer: User, household_id: str,
               keyring: Keyring) -> FamilyMap:
    if viewer.role == Role.ADMIN:
        raise MapForbidden()
    start = people.household_by_public_id(session, household_id)
    if start is None or not _may_start(session, viewer=viewer, household=start):
        raise MapNotFound()
    full = viewer.role == Role.TEAM_LEAD
    caseload = set(people.caseload_household_ids(session, user=viewer))
    reached, truncated = _reach(session, start)

    # Every list the map draws read in one query each, whatever the households hold.
    reached_ids = [h.id for h in reached]
    children_of = dict(session.execute(
        select(HouseholdMember.household_id, func.count(Person.id))
        .join(Person, Person.id == HouseholdMember.person_id)
        .where(HouseholdMember.household_id.in_(reached_ids), Person.is_child.is_(True))
        .group_by(HouseholdMember.household_id)).all())
    households: dict[int, MapHousehold] = {}
    for household in reached:
        visible = full or household.id in caseload
        label = (people.household_address(household, keyring=keyring) if visible
                 else "Another household (not on your caseload)")
        households[household.id] = MapHousehold(id=household.uuid, label=label,
                                                visible=visible,
                                                children=int(children_of.get(household.id, 0)),
                                                start=household.id == start.id)

    memberships = session.scalars(
        select(HouseholdMember).options(joinedload(HouseholdMember.person))
        .where(HouseholdMember.household_id.in_(list(households)))
        .order_by(HouseholdMember.household_id, HouseholdMember.id)).all()
    member_ids = sorted({m.person_id for m in memberships})
    # people.person_visible for all at once: made by the viewer, or in a household on
    # their caseload.
    on_caseload = set(session.scalars(select(HouseholdMember.person_id).where(
        HouseholdMember.person_id.in_(member_ids),
        HouseholdMember.household_id.in_(list(caseload) or [-1])))) if not full else set()
    all_concerns: dict[int, list[Concern]] = {}
    for concern in session.scalars(select(Concern).where(
            Concern.person_id.in_(member_ids), Concern.team_id == viewer.team_id)
            .order_by(Concern.id)):
        all_concerns.setdefault(concern.person_id, []).append(concern)
    persons: dict[int, MapPerson] = {}
    person_fields: dict[int, dict[str, Any]] = {}
    concerns_by_person: dict[int, list[Concern]] = {}
    links: list[MapLink] = []
    for membership in memberships:
        person = membership.person
        if person.team_id != viewer.team_id or not (
                full or person.created_by_id == viewer.id or person.id in on_caseload):
            continue
        if person.id not in persons:
            fields = decrypt_fields(person, keyring=keyring)
            person_fields[person.id] = fields
            concerns = all_concerns.get(person.id, [])
            concerns_by_person[person.id] = list(concerns)
            persons[person.id] = MapPerson(id=person.uuid, name=_name(fields),
                                           is_child=person.is_child,
                                           of_concern=bool(concerns))
        links.append(MapLink(persons[person.id], households[membership.household_id],
                             membership.residence,
                             RESIDENCE_WORDS.get(membership.residence, membership.residence)))

    by_uuid = {p.id: p for p in persons.values()}
    of_concern = []
    for person_id, concerns in concerns_by_person.items():
        if not concerns:
            continue
        map_person = persons[person_id]
        linked = [lk for lk in links if lk.person is map_person]
        with_children = [lk.household for lk in linked if lk.household.children > 0
                         and not (lk.household.children == 1 and map_person.is_child)]
        contact_levels: dict[str, str] = {}
        for concern in concerns:
            data = decrypt_fields(concern, keyring=keyring)
            for child_uuid, level in (data.get("contact") or {}).items():
                contact_levels.setdefault(child_uuid, level)
            audit.record(session, action="concern.read", actor=viewer, object_type="concern",
                         object_id=concern.uuid, detail={"via": "map"})
        contacts: list[ChildContact] = []
        named: set[str] = set()
        for link in linked:
            for other in links:
                child = other.person
                if other.household is not link.household or not child.is_child \
                        or child is map_person or child.id in named:
                    continue
                named.add(child.id)
                level = contact_levels.get(child.id)
                how = (sharing.CONTACT_WORDS.get(level, level) if level
                       else f"{map_person.name} {link.words} at the child's household")
                contacts.append(ChildContact(child.name, link.household.label, how))
            if not link.household.visible and link.household.children:
                contacts.append(ChildContact(
                    f"{link.household.children} child(ren), names not shown",
                    link.household.label, f"{map_person.name} {link.words}"))
        for child_uuid, level in contact_levels.items():
            if child_uuid not in named and child_uuid in by_uuid:
                named.add(child_uuid)
                contacts.append(ChildContact(by_uuid[child_uuid].name, "another household",
                                             sharing.CONTACT_WORDS.get(level, level)))
        of_concern.append(PersonOfConcern(map_person, with_children, contacts))

    result = FamilyMap(start=households[start.id], households=list(households.values()),
                       persons=list(persons.values()), links=links, of_concern=of_concern,
                       truncated=truncated, full_view=full)
    _lay_out(result)
    audit.record(session, action="map.read", actor=viewer, object_type="household",
                 object_id=start.uuid, detail={"households": len(result.households),
                                               "persons": len(result.persons)},
                 subjects=[audit.subject("household", h.id) for h in result.households
                           if h.visible] + [audit.subject("person", p.id)
                                            for p in result.persons])
    return result


def _lay_out(network: FamilyMap) -> None:
    """Households in a column on the left, persons on the right (persons of concern
    first), each person next to the first household they link to."""
    for i, household in enumerate(network.households):
        household.y = TOP + i * (HOUSEHOLD_H + HOUSEHOLD_GAP)
    first_home: dict[str, int] = {}
    for link in network.links:
        first_home.setdefault(link.person.id, network.households.index(link.household))
    network.persons.sort(key=lambda p: (first_home.get(p.id, 0), not p.of_concern,
                                        p.is_child, p.name))
    for i, person in enumerate(network.persons):
        person.y = TOP + i * (PERSON_H + PERSON_GAP)
    bottom = max(
        [h.y + HOUSEHOLD_H for h in network.households] +
        [p.y + PERSON_H for p in network.persons] + [TOP])
    network.height = bottom + 20
