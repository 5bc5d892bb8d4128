"""The child's chronology (DOMAIN.md, issue 16 item 2): a date-ordered list of what
happened in one child's life, built from what the app already holds, plus the
significant events practitioners add (`chronology_event.put`).

Where each entry comes from is documented in docs/chronology.md. Every entry carries
its date, its source (who recorded it, which record), whether it is fact or opinion,
the event in words, its impact on the child and the action: the columns of a
multi-agency chronology.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from .. import revisioned
from ..audit import service as audit
from ..auth.models import Role, User
from ..checklists import service as checklists
from ..checklists.models import Checklist, ChecklistStatus
from ..checklists.validation import FieldError
from ..database import DbSession, is_uuid, utcnow
from ..errors import Forbidden, InvalidEntity
from ..keys import Keyring, decrypt_fields
from ..people import service as people
from ..people.models import Household, Person
from ..people.network import RESIDENCE_WORDS
from ..review.models import ReviewDecision
from ..rules import service as rules
from ..sharing import service as sharing
from ..sharing.models import Alert
from ..uk_time import uk_local, when_words
from .models import ChronologyEvent


class ChronologyForbidden(Exception):
    """Neither the lead of the child's team nor holding one of the child's households."""


class ChildNotFound(Exception):
    pass


# The kinds of entry, in the words the filter shows.
KINDS = {
    "visit": "Visits",
    "observation": "Observations",
    "flag": "Flags raised",
    "judgement": "Traffic-light judgements",
    "referral": "Referrals and outcomes",
    "alert": "Alerts",
    "decision": "Lead decisions",
    "household": "Household changes",
    "event": "Significant events",
}
FACT, OPINION = "fact", "opinion"
SEEN_ALONE_WORDS = {
    "yes": "seen alone",
    "no_not_age_appropriate": "not seen alone (not age-appropriate)",
    "no_prevented": "not seen alone: prevented",
    "no_other": "not seen alone (other reason)",
}
DECISION_WORDS = {"approve": "approved the visit", "return": "returned the visit",
                  "escalate": "escalated"}
TRAFFIC_LIGHT_ACTION = {"green": "Noted.", "amber": "Gather information and discuss.",
                        "red": "Act now."}
# Checklists a practitioner still holds as drafts are not yet part of the record.
RECORDED = [s.value for s in ChecklistStatus if s != ChecklistStatus.DRAFT]
OBSERVATION_TEMPLATE = "child-observation"


@dataclass(frozen=True)
class Entry:
    """One row of the chronology. `when` orders it; `link` opens its record (or None)."""

    when: datetime
    kind: str
    source: str
    record: str
    fact_or_opinion: str
    event: str
    impact: str = ""
    action: str = ""
    link: str | None = None


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    kinds: frozenset[str] = field(default_factory=frozenset)

    def keeps(self, entry: Entry) -> bool:
        day = uk_local(entry.when).date()
        return ((self.date_from is None or day >= self.date_from)
                and (self.date_to is None or day <= self.date_to)
                and (not self.kinds or entry.kind in self.kinds))


@dataclass(frozen=True)
class Chronology:
    child_id: str
    child_name: str
    entries: list[Entry]
    filters: Filters
    total: int


# --- access --------------------------------------------------------------------


def _child(session: DbSession, child_id: str) -> Person:
    child = people.person_by_public_id(session, child_id)
    if child is None or not child.is_child:
        raise ChildNotFound(child_id)
    return child


def may_read(session: DbSession, *, user: User, child: Person) -> bool:
    """The lead of the child's team, or a practitioner holding one of its households."""
    if child.team_id != user.team_id:
        return False
    if user.role == Role.TEAM_LEAD:
        return True
    return bool(set(people.person_household_ids(session, child))
                & set(people.caseload_household_ids(session, user=user)))


# --- building the entries -------------------------------------------------------


def _moment(value: Any, fallback: datetime) -> datetime:
    """A stored or answered time as an aware UTC datetime; what cannot be read as one
    falls back to when the record was made, so no entry is lost for a bad date."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=fallback.tzinfo)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=fallback.tzinfo)
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return fallback
        return moment if moment.tzinfo else moment.replace(tzinfo=fallback.tzinfo)
    return fallback


def _aware(moment: datetime) -> datetime:
    # SQLite gives stored times back naive; they are UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _checklist_entries(session: DbSession, checklist: Checklist, *, child: Person,
                       flags: list[dict[str, Any]], others: set[str], keyring: Keyring
                       ) -> list[Entry]:
    """`others`: the other children of the child's households (a flag about one of
    them is theirs, even where the answers do not name them, as on a no-access visit)."""
    content = checklists.checklist_content(checklist, keyring=keyring)
    answers = content.get("answers") or {}
    made = _aware(checklist.submitted_at or checklist.created_at)
    link = f"/review/{checklist.uuid}"
    author = checklist.author.name
    visit = answers.get("visit") or {}
    when = _moment(visit.get("visit_at") or checklist.visit_at, made)
    observation = checklist.template == OBSERVATION_TEMPLATE
    if observation and visit.get("child") != child.uuid:
        return []  # an observation names one child: someone else's
    if not observation and child.uuid not in json.dumps(answers) and not visit.get(
            "no_access"):
        return []  # a visit that does not mention the child (and was not a no-access)
    record = ("Child observation" if observation else "Home visit") + f", {author}"
    out: list[Entry] = []
    if observation:
        behaviour = answers.get("behaviour") or {}
        setting = visit.get("setting_other") or visit.get("setting") or "not recorded"
        words = f"Observed ({setting}): {behaviour.get('observed') or 'nothing recorded'}"
        if behaviour.get("child_words"):
            words += f'. The child said: "{behaviour["child_words"]}"'
        out.append(Entry(when, "observation", author, record, FACT, words,
                         impact=behaviour.get("demeanour") or "", link=link))
        judgement = behaviour.get("traffic_light")
    else:
        if visit.get("no_access"):
            words = "No access: the family was not seen."
            impact = "The child was not seen."
        else:
            seen = ((visit.get("children") or {}).get(child.uuid)) or {}
            if seen.get("seen"):
                alone = SEEN_ALONE_WORDS.get(seen.get("seen_alone", ""), "")
                words, impact = f"Visit: child seen, {alone}.".replace(", .", "."), ""
            else:
                words, impact = "Visit: child not seen.", "The child was not seen."
            if visit.get("present"):
                words += f" Present: {visit['present']}."
        out.append(Entry(when, "visit", author, record, FACT, words, impact=impact, link=link))
        behaviour = ((answers.get("behaviour") or {}).get("children") or {}).get(
            child.uuid) or {}
        judgement = behaviour.get("traffic_light")
    if judgement:
        described = behaviour.get("sexual_behaviour") or "behaviour not described"
        out.append(Entry(when, "judgement", author, record, OPINION,
                         f"Traffic-light judgement {judgement.upper()}: {described}",
                         impact=behaviour.get("demeanour") or "",
                         action=TRAFFIC_LIGHT_ACTION.get(judgement, ""), link=link))
    for flag in flags:
        if flag.get("subject") in (others | _child_ids_of(answers)) - {child.uuid}:
            continue  # a flag about another child of the household
        severity = str(flag.get("severity", "")).capitalize()
        words = f"Flag {flag['rule']} ({severity}): {flag.get('reason') or ''}".rstrip(": ")
        if flag.get("at_visit", True):
            out.append(Entry(when, "flag", "The server's rules", record, OPINION, words,
                             action=flag.get("action") or "", link=link))
        else:
            # Raised later, by facts recorded since (a concern, a colleague's visit,
            # days passing): dated when it was raised, not as if known at the visit.
            raised = _moment(flag.get("raised_at"), made)
            out.append(Entry(raised, "flag", "The server's rules, from the team's records",
                             f"{record}: raised after the visit of {when_words(when)}",
                             OPINION, words, action=flag.get("action") or "", link=link))
    analysis = answers.get("analysis") or {}
    for row in (analysis.get("referrals") or {}).values():
        outcome = row.get("outcome") or "outcome not yet recorded"
        reference = f" (reference {row['reference']})" if row.get("reference") else ""
        out.append(Entry(_moment(row.get("made_at"), when), "referral", author, record, FACT,
                         f"Referral to {row.get('to', '')}{reference}.",
                         action=f"Outcome: {outcome}", link=link))
    for decision in session.scalars(select(ReviewDecision).where(
            ReviewDecision.checklist_id == checklist.id).order_by(ReviewDecision.id)):
        comment = decrypt_fields(decision, keyring=keyring).get("comment", "")
        procedure = f" ({decision.procedure.replace('_', ' ')})" if decision.procedure else ""
        out.append(Entry(_aware(decision.decided_at), "decision", decision.lead.name,
                         f"Team lead's decision on the visit of {when_words(when)}",
                         OPINION,
                         f"The team lead {DECISION_WORDS.get(decision.decision, '')}"
                         f"{procedure}.", action=comment, link=link))
    return out


def _child_ids_of(answers: dict[str, Any]) -> set[str]:
    return set((answers.get("visit") or {}).get("children") or {})


def _alert_entries(session: DbSession, *, household_ids: list[int], keyring: Keyring
                   ) -> list[Entry]:
    """One entry per concern and household: the professionals told, and who has seen it.
    The concern's source is never shown here (a protected source stays protected)."""
    grouped: dict[tuple[int, int], list[Alert]] = {}
    for alert in session.scalars(select(Alert).where(Alert.household_id.in_(household_ids))
                                 .order_by(Alert.raised_at)):
        grouped.setdefault((alert.concern_id, alert.household_id), []).append(alert)
    out = []
    for alerts in grouped.values():
        concern = alerts[0].concern
        fields = decrypt_fields(concern, keyring=keyring)
        name = decrypt_fields(concern.person, keyring=keyring)["names"][0]
        told = ", ".join(a.user.name for a in alerts)
        seen = sum(1 for a in alerts if a.acknowledged_at)
        out.append(Entry(
            _aware(alerts[0].raised_at), "alert", "visitcheck (alert)",
            f"Alert about {name}", fields.get("fact_or_opinion") or FACT,
            f"Alert raised: {name}, who may pose a risk to children "
            f"({sharing.basis_words(fields.get('basis') or [])}), is linked to the "
            f"child's household.",
            impact="Contact with an adult who may pose a risk.",
            action=f"Told: {told}; {seen} of {len(alerts)} acknowledged."))
    return out


def household_member_entries(members: list[dict[str, Any]], *, child_id: str,
                            residence_words: dict[str, str]) -> list[Entry]:
    """The household changes in a child's chronology, from a household's members as a
    device receives them (people.household_view: `recorded_at`, `recorded_by`). The
    same step runs on the tablet (chronology.js `householdEntries`); the shared cases
    in tests/chronology_household_cases.json keep the two in step.

    A member recorded from a device (a practitioner's name in `recorded_by`) joined the
    household when they were recorded; members set up by an administrator (no
    recorder) were there from the start and are not events; the child is not news
    to itself."""
    out = []
    for member in members:
        if member.get("person_id") == child_id or not member.get("recorded_by"):
            continue
        when = _moment(member.get("recorded_at"), datetime.min.replace(tzinfo=UTC))
        if when == datetime.min.replace(tzinfo=UTC):
            continue  # no time to place it at: not an entry rather than a wrong one
        residence = member.get("residence") or ""
        out.append(Entry(when, "household", member["recorded_by"], "Household record", FACT,
                         f"{member.get('name') or 'Someone'} recorded as a member of the "
                         f"household ({residence_words.get(residence, residence)}).",
                         link=None))
    return out


def _household_entries(session: DbSession, *, household_ids: list[int], child: Person,
                       keyring: Keyring) -> list[Entry]:
    """Members recorded from a device (person.put, with membership.put), as devices
    receive them: the tablet builds the same entries from the same members."""
    out = []
    for household_id in household_ids:
        view = people.household_view(session.get_one(Household, household_id),
                                     keyring=keyring)
        out += household_member_entries(view["members"], child_id=child.uuid,
                                        residence_words=RESIDENCE_WORDS)
    return out


def _event_entries(session: DbSession, *, child: Person, keyring: Keyring) -> list[Entry]:
    out = []
    for row in session.scalars(select(ChronologyEvent).where(
            ChronologyEvent.child_id == child.id)):
        data = decrypt_fields(row, keyring=keyring)
        who = data["source"] + (f" ({data['agency']})" if data.get("agency") else "")
        kind = "Positive event" if data.get("positive") else "Significant event"
        out.append(Entry(_moment(data["occurred_on"], _aware(row.created_at)), "event", who,
                         f"{kind} added by {row.author.name}", data["fact_or_opinion"],
                         data["event"], impact=data.get("impact", ""),
                         action=data.get("action", "")))
    return out


def child_chronology(session: DbSession, *, viewer: User, child_id: str, keyring: Keyring,
                     filters: Filters | None = None, via: str = "web") -> Chronology:
    """The chronology of one child as `viewer` may read it, oldest first. Audited.
    Raises ChildNotFound, ChronologyForbidden. Flushes, never commits."""
    filters = filters or Filters()
    child = _child(session, child_id)
    if not may_read(session, user=viewer, child=child):
        raise ChronologyForbidden(child_id)
    household_ids = people.person_household_ids(session, child)
    recorded = list(session.scalars(select(Checklist).where(
        Checklist.household_id.in_(household_ids), Checklist.status.in_(RECORDED))
        .order_by(Checklist.id)))
    # The flags as stored, each with when it was first raised and whether at the visit
    # (rules.service): a flag a later concern raised is not shown as known at the visit.
    due = [c.uuid for c in recorded if c.flags_due]
    if due:  # as the lead's pages do: what is due is evaluated before it is shown
        rules.evaluate_due_flags(session, checklist_ids=due, keyring=keyring)
    flags = rules.stored_flags_of(session, recorded, keyring=keyring) if recorded else {}
    others = set().union(*(people.child_ids(session, session.get_one(Household, h))
                           for h in household_ids)) - {child.uuid}
    entries: list[Entry] = []
    for checklist in recorded:
        entries += _checklist_entries(session, checklist, child=child,
                                      flags=flags.get(checklist.uuid, []), others=others,
                                      keyring=keyring)
    entries += _alert_entries(session, household_ids=household_ids, keyring=keyring)
    entries += _household_entries(session, household_ids=household_ids, child=child,
                                  keyring=keyring)
    entries += _event_entries(session, child=child, keyring=keyring)
    entries.sort(key=lambda e: e.when)
    audit.record(session, action="chronology.open", actor=viewer, object_type="person",
                 object_id=child.uuid, detail={"via": via})
    name = decrypt_fields(child, keyring=keyring)["names"][0]
    return Chronology(child.uuid, name, [e for e in entries if filters.keeps(e)], filters,
                      len(entries))


# --- significant events from devices (chronology_event.put) -----------------------

EVENT_TEXT = {"source": 200, "agency": 200, "event": 4000, "impact": 4000, "action": 4000}
EVENT_KEYS = {"child_id", "household_id", "occurred_on", "fact_or_opinion", "positive",
              *EVENT_TEXT}


def event_errors(payload: Any) -> list[FieldError]:
    if not isinstance(payload, dict):
        return [FieldError("payload", "must be a JSON object")]
    errors = [FieldError(k, "is not a field of a significant event")
              for k in sorted(set(payload) - EVENT_KEYS)]
    errors += [FieldError(k, "is required")
               for k in ("child_id", "household_id", "occurred_on", "fact_or_opinion",
                         "source", "event") if k not in payload]
    for key, limit in EVENT_TEXT.items():
        value = payload.get(key, "")
        if not isinstance(value, str) or len(value) > limit:
            errors.append(FieldError(key, f"must be text of at most {limit} characters"))
    for key in ("source", "event"):
        if isinstance(payload.get(key), str) and not payload[key].strip():
            errors.append(FieldError(key, "is required"))
    if payload.get("fact_or_opinion") not in (FACT, OPINION):
        errors.append(FieldError("fact_or_opinion", "must be fact or opinion"))
    if not isinstance(payload.get("positive", False), bool):
        errors.append(FieldError("positive", "must be true or false"))
    try:
        day = date.fromisoformat(str(payload.get("occurred_on", "")))
        if day > uk_local(utcnow()).date():
            errors.append(FieldError("occurred_on", "cannot be in the future"))
    except ValueError:
        errors.append(FieldError("occurred_on", "must be a date (YYYY-MM-DD)"))
    return errors


def event_view(session: DbSession, row: ChronologyEvent, *, keyring: Keyring
               ) -> dict[str, Any]:
    """What a device receives (the pull's `data`), and a conflict's `current`."""
    return {**decrypt_fields(row, keyring=keyring), "id": row.uuid,
            "author": row.author.name, "rev": row.rev}


def put_event(session: DbSession, *, user: User, entity_id: str, base_rev: int,
              payload: Any, keyring: Keyring) -> ChronologyEvent:
    """`chronology_event.put`: a practitioner records (or corrects) a significant event
    for a child of a household on their caseload. Announced to every device holding
    the household. Flushes, never commits."""
    errors = event_errors(payload)
    if errors:
        raise InvalidEntity("the significant event needs attention", errors)
    household = people.household_by_public_id(session, payload["household_id"])
    child = people.person_by_public_id(session, payload["child_id"])
    if household is None or not people.on_caseload(session, user=user, household=household):
        raise Forbidden("the household is not on your caseload",
                        [FieldError("household_id", "is not on your caseload")])
    if child is None or not child.is_child or household.id not in \
            people.person_household_ids(session, child):
        raise InvalidEntity("no such child in this household",
                            [FieldError("child_id", "is not a child of the household")])
    row = session.scalars(select(ChronologyEvent).where(
        ChronologyEvent.uuid == entity_id)).first()
    data = {"positive": False, "agency": "", "impact": "", "action": "", **payload}
    if row is None:
        revisioned.check_new(base_rev, what="event")
        row = ChronologyEvent(uuid=entity_id, team_id=user.team_id, child_id=child.id,
                              household_id=household.id, author_id=user.id, rev=1)
    else:
        if row.team_id != user.team_id or row.child_id != child.id:
            raise Forbidden("this event is not one you may change")
        revisioned.next_revision(row, base_rev=base_rev,
                                 current=lambda: event_view(session, row, keyring=keyring))
        row.household_id = household.id
    revisioned.store(session, row, data, type="chronology_event", keyring=keyring)
    return row


def event_data(session: DbSession, entity_id: str, *, keyring: Keyring
               ) -> dict[str, Any] | None:
    row = session.scalars(select(ChronologyEvent).where(
        ChronologyEvent.uuid == entity_id)).first()
    return event_view(session, row, keyring=keyring) if row else None


# --- openings on a device (chronology.open) -----------------------------------------

OPENING_KEYS = {"child_id", "opened_at"}


@dataclass(frozen=True)
class RecordedOpening:
    """What the push answers for an opening: it is recorded once, at revision 1."""

    rev: int = 1


def opening_errors(payload: Any) -> list[FieldError]:
    if not isinstance(payload, dict):
        return [FieldError("payload", "must be a JSON object")]
    errors = [FieldError(k, "is not a field of a chronology opening")
              for k in sorted(set(payload) - OPENING_KEYS)]
    errors += [FieldError(k, "is required") for k in sorted(OPENING_KEYS - set(payload))]
    if "child_id" in payload and not is_uuid(payload["child_id"]):
        errors.append(FieldError("child_id", "must be a person id"))
    if "opened_at" in payload:
        opened = payload["opened_at"]
        try:
            if not isinstance(opened, str):
                raise ValueError(opened)
            moment = datetime.fromisoformat(opened.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError(opened)
        except ValueError:
            errors.append(FieldError("opened_at", "must be an ISO 8601 time with its zone"))
    return errors


def record_opening(session: DbSession, *, user: User, entity_id: str, base_rev: int,
                   payload: Any, keyring: Keyring) -> RecordedOpening:
    """`chronology.open`: a device tells the server that its user opened a child's
    chronology on it, offline perhaps (docs/chronology.md, "Every opening audited").
    The opening is a fact about the past: it is written to the audit trail whether or
    not the user could read the chronology here now (a caseload may have changed since);
    the entity id is the opening's own, made on the device, so a retried push records
    it once (the push's recorded answer). Flushes, never commits."""
    del keyring  # nothing is decrypted: the opening names the child by id only
    errors = opening_errors(payload)
    if base_rev != 0:
        errors.append(FieldError("base_rev", "an opening is recorded once, at base_rev 0"))
    if errors:
        raise InvalidEntity("the chronology opening needs attention", errors)
    child = people.person_by_public_id(session, payload["child_id"])
    readable = child is not None and child.is_child and may_read(session, user=user,
                                                                 child=child)
    audit.record(session, action="chronology.open", actor=user, object_type="person",
                 object_id=payload["child_id"],
                 detail={"via": "tablet", "opened_at": payload["opened_at"],
                         "opening_id": entity_id, "readable_at_sync": readable})
    return RecordedOpening()
