"""Subject access: everything held about one person, decrypted and readable.

The export is for the information governance officer who answers the request:
it holds third parties' information (a household's other members, a checklist's
answers about them) that they redact before release. A protected source's
identity is withheld here as everywhere it would reach someone who need not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..audit import service as audit
from ..checklists import service as checklists
from ..checklists.models import Checklist
from ..database import DbSession, utcnow
from ..keys import Keyring, decrypt_fields
from ..people import service as people
from ..people.models import Concern, HouseholdMember, Person
from ..review.models import ReviewDecision
from ..sharing.models import Alert
from .models import LegalHold

WITHHELD = "withheld: protected source"


class UnknownPerson(Exception):
    pass


@dataclass(frozen=True)
class SubjectAccessExport:
    person_id: str
    data: dict[str, Any]


def _concern(concern: Concern, *, keyring: Keyring) -> dict[str, Any]:
    view = people.concern_view(concern, keyring=keyring)
    if view.get("protect_source"):
        view["source"] = WITHHELD
    return view


def export_person(session: DbSession, *, person_id: str, keyring: Keyring,
                  requested_by: str) -> SubjectAccessExport:
    person = session.scalars(select(Person).where(Person.uuid == person_id)).first()
    if person is None:
        raise UnknownPerson(person_id)
    homes = list(session.scalars(select(HouseholdMember).where(
        HouseholdMember.person_id == person.id).order_by(HouseholdMember.id)))
    households = [{**people.household_view(m.household, keyring=keyring),
                   "residence": m.residence} for m in homes]
    about = [_concern(c, keyring=keyring) for c in session.scalars(
        select(Concern).where(Concern.person_id == person.id).order_by(Concern.id))]
    # Concerns about others that record contact with this person (a child).
    contact = []
    for concern in session.scalars(select(Concern).order_by(Concern.id)):
        if concern.person_id == person.id or concern.team_id != person.team_id:
            continue
        level = (decrypt_fields(concern, keyring=keyring).get("contact") or {}).get(person_id)
        if level:
            contact.append({"concern_id": concern.uuid, "about_person_id": concern.person.uuid,
                            "contact": level})
    home_ids = [m.household_id for m in homes]
    visits = []
    for checklist in session.scalars(select(Checklist).where(
            Checklist.household_id.in_(home_ids)).order_by(Checklist.created_at)):
        content = checklists.checklist_content(checklist, keyring=keyring)
        content["decisions"] = [
            {**decrypt_fields(d, keyring=keyring), "decision": d.decision,
             "procedure": d.procedure, "decided_at": d.decided_at.isoformat(),
             "supervision_date": d.supervision_date.isoformat() if d.supervision_date
             else None}
            for d in session.scalars(select(ReviewDecision).where(
                ReviewDecision.checklist_id == checklist.id).order_by(ReviewDecision.id))]
        visits.append(content)
    alerts = [{"id": a.uuid, "household_id": a.household.uuid, "concern_id": a.concern.uuid,
               "raised_at": a.raised_at.isoformat(),
               "acknowledged_at": a.acknowledged_at.isoformat() if a.acknowledged_at else None}
              for a in session.scalars(select(Alert).where(
                  Alert.household_id.in_(home_ids)).order_by(Alert.id))]
    holds = [{"id": h.uuid, "reason": h.reason, "placed_at": h.placed_at.isoformat(),
              "released_at": h.released_at.isoformat() if h.released_at else None}
             for h in session.scalars(select(LegalHold).where(
                 LegalHold.subject_id.in_([person_id, *(h["id"] for h in households)])))]
    access = [{"at": r.at.isoformat(), "who": r.who, "action": r.action, "record": r.what,
               "device_id": r.device_id}
              for r in audit.access_log(session, person_id=person_id,
                                        viewer_name=requested_by)]
    data = {
        "exported_at": utcnow().isoformat(),
        "person": people.person_view(session, person, keyring=keyring),
        "households": households,
        "concerns_about_them": about,
        "recorded_contact_with_persons_of_concern": contact,
        "checklists": visits,
        "alerts": alerts,
        "legal_holds": holds,
        "who_has_accessed_their_records": access,
    }
    audit.record(session, action="export.person", actor_username=requested_by,
                 object_type="person", object_id=person_id,
                 subjects=[audit.subject("household", h["id"]) for h in households]
                 + [audit.subject("checklist", v["id"]) for v in visits],
                 detail={"households": len(households), "checklists": len(visits)})
    return SubjectAccessExport(person_id, data)
