"""The rules' context on the server (docs/rules.md, "The context"): what the
template's rules read, built from everything the team holds.

The tablet evaluates over what it holds, offline, as the practitioner
answers; the server evaluates again once a push that submitted a checklist
has committed, over all the team's households, persons, concerns, earlier
checklists and alerts, and again for each checklist a pull sends back.
Flags prompt judgement; they never decide.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..checklists.models import Checklist
from ..database import DbSession, iso_utc
from ..followup import service as followup
from ..keys import Keyring, decrypt_fields, decrypt_stored
from ..people import service as people
from ..people.models import Concern, Household, HouseholdMember
from ..review.models import ReviewDecision
from ..sharing.models import Alert
from .calendar import bank_holidays

# Earlier checklists per household the rules look back over (amber patterns,
# repeated no access): enough for any rule, bounded for a family seen often.
HISTORY_PER_HOUSEHOLD = 12


# --- the shared step: entities, answers, history, alerts, today -> context ----------
#
# `build_context` here and `buildContext` in static/app/rules/context.js are the same
# function: what the tablet holds, or what the server read, becomes the rules'
# context the same way on both. tests/context_cases.json runs both over the
# template as served. Pure: no database, no clock.


def _empty(value: Any) -> bool:
    """An S3 answer left empty ("" , [] or none): it does not erase what the record holds."""
    return value is None or value == "" or value == []


def _with_s3(concern: dict[str, Any], edit: Any) -> dict[str, Any]:
    """A concern record with this visit's S3 answers about its person laid over it:
    what the practitioner recorded at the visit counts at once, wherever the rules run."""
    if not isinstance(edit, dict):
        return concern
    merged = {**concern, **{key: value for key, value in edit.items()
                            if key != "contact" and not _empty(value)}}
    contact = edit.get("contact")
    if isinstance(contact, dict):
        by_child = dict(concern.get("contact") or {})
        for child_id, value in contact.items():
            if isinstance(value, dict) and not _empty(value.get("contact")):
                by_child[child_id] = value["contact"]
        merged["contact"] = by_child
    return merged


def _person_from_member(member: dict[str, Any], household_id: Any) -> dict[str, Any]:
    return {
        "id": member.get("person_id"),
        "names": [member["name"]] if member.get("name") else [],
        "aliases": [],
        "date_of_birth": member.get("date_of_birth"),
        "is_child": bool(member.get("is_child")),
        "households": [{"household_id": household_id, "residence": member.get("residence")}],
        "children": [],
    }


# Where follow-through records land in a visit's answers (home-visit v1, S8; the
# same rows visitcheck/followup/service.py checks a record against).
FOLLOWUP_ROWS = {"action_status": ("analysis", "actions"),
                 "referral_outcome": ("analysis", "referrals")}


def _in_order(followups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A visit's follow-through records, oldest first: a later record about a row wins."""
    return sorted(followups, key=lambda f: (str(f.get("recorded_at") or ""),
                                            str(f.get("id") or "")))


def with_followups(answers: dict[str, Any], followups: list[dict[str, Any]]
                   ) -> dict[str, Any]:
    """A visit's answers with its follow-through records laid over them, so the
    template's rules need no change: a referral's recorded outcome is the row's
    `outcome`, an action's recorded status (and outcome) the row's `status` (and
    `outcome`). A record about a row the answers no longer hold is left out.
    Returns new dicts; `answers` is not changed."""
    out = answers
    for record in _in_order(followups):
        where = FOLLOWUP_ROWS.get(str(record.get("kind")))
        if where is None:
            continue
        section = out.get(where[0])
        if not isinstance(section, dict):
            continue
        rows = section.get(where[1])
        row = rows.get(record.get("row_id")) if isinstance(rows, dict) else None
        if not isinstance(rows, dict) or not isinstance(row, dict):
            continue
        if record["kind"] == "referral_outcome":
            row = {**row, "outcome": record.get("text")}
        else:
            row = {**row, "status": record.get("status")}
            if not _empty(record.get("text")):
                row["outcome"] = record.get("text")
        out = {**out, where[0]: {**section, where[1]: {**rows, record["row_id"]: row}}}
    return out


def _history_item(visit: dict[str, Any], followups: list[dict[str, Any]]) -> dict[str, Any]:
    answers = with_followups(visit.get("answers") or {}, [
        f for f in followups if f.get("checklist_id") == visit.get("id")])
    return {
        "id": visit.get("id"),
        "household_id": visit.get("household_id"),
        "visit_at": (answers.get("visit") or {}).get("visit_at") or visit.get("visit_at") or None,
        "status": visit.get("status"),
        "answers": answers,
        "flags": visit.get("flags") or [],
        "submitted_at": visit.get("submitted_at"),
        "lead_decision_at": visit.get("lead_decision_at"),
    }


def build_context(*, visit: dict[str, Any], household: dict[str, Any],
                  households: list[dict[str, Any]], persons: list[dict[str, Any]],
                  concerns: list[dict[str, Any]], history: list[dict[str, Any]],
                  alerts: list[dict[str, Any]], now: str, bank_holidays: list[str],
                  followups: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The rules' context (docs/rules.md, "The context") for one visit.

    `visit`: {id, household_id, status, answers, submitted_at?, lead_decision_at?,
    flags?}; `household`: its household; `households`, `persons`, `concerns`,
    `history` (earlier visits), `alerts`: what the caller holds, more is fine:
    concerns are kept for this household (about a member, or in contact with
    one of its children once S3 is laid over them), history for the households
    linked to it (sharing a member or a person of concern) and not this visit.
    `followups`: follow-through records ({id, checklist_id, kind, row_id?, rule?,
    subject?, status?, text?, recorded_at, author?}) of this visit and of earlier
    ones, laid over their answers (`with_followups`); this visit's are also the
    context's `checklist.followups`, oldest first.
    """
    followups = followups or []
    own = _in_order([f for f in followups if f.get("checklist_id") == visit.get("id")])
    answers = with_followups(visit.get("answers") or {}, own)
    by_id: dict[Any, dict[str, Any]] = {p["id"]: p for p in persons}
    all_households = {h["id"]: h for h in households}
    all_households[household["id"]] = household
    # A person's links are also what the households held say about them.
    for held in all_households.values():
        for member in held.get("members") or []:
            person = by_id.get(member.get("person_id"))
            if person is None:
                by_id[member.get("person_id")] = _person_from_member(member, held["id"])
            elif not any(link.get("household_id") == held["id"]
                         for link in person.get("households") or []):
                by_id[person["id"]] = {**person, "households": [
                    *(person.get("households") or []),
                    {"household_id": held["id"], "residence": member.get("residence")}]}
    members = {m.get("person_id") for m in household.get("members") or []}
    children = {m.get("person_id") for m in household.get("members") or [] if m.get("is_child")}
    s3 = ((answers.get("risky_adults") or {}).get("concerns")) or {}
    s3 = s3 if isinstance(s3, dict) else {}
    mine = []
    for concern in concerns:
        concern = _with_s3(concern, s3.get(concern.get("person_id")))
        linked_here = any(link.get("household_id") == household["id"] for link in
                          (by_id.get(concern.get("person_id")) or {}).get("households") or [])
        contact = concern.get("contact")
        if (concern.get("person_id") in members or linked_here
                or children & set(contact if isinstance(contact, dict) else {})):
            mine.append(concern)
    linked = {household["id"]}
    for person_id in [*members, *(c.get("person_id") for c in mine)]:
        for link in (by_id.get(person_id) or {}).get("households") or []:
            linked.add(link.get("household_id"))
    return {
        "now": now,
        "calendar": {"bank_holidays": list(bank_holidays)},
        "checklist": {
            "id": visit.get("id"),
            "household_id": visit.get("household_id"),
            "visit_at": (answers.get("visit") or {}).get("visit_at"),
            "status": visit.get("status") or "draft",
            "answers": answers,
            "submitted_at": visit.get("submitted_at"),
            "lead_decision_at": visit.get("lead_decision_at"),
            "flags": visit.get("flags") or [],
            "followups": own,
        },
        "household": household,
        "households": all_households,
        "persons": by_id,
        "concerns": mine,
        "history": [_history_item(v, followups) for v in history
                    if v.get("id") != visit.get("id") and v.get("household_id") in linked],
        "alerts": list(alerts),
    }


# What the rules read of an earlier checklist (`TeamReading._history`).
_HISTORY_COLUMNS = (Checklist.id, Checklist.uuid, Checklist.household_id, Checklist.visit_at,
                    Checklist.status, Checklist.flag_summary, Checklist.submitted_at,
                    Checklist.key_id, Checklist.wrapped_key, Checklist.sealed_fields)


class TeamReading:
    """What the rules read about a set of households, fetched together: the
    households sharing a person with each, their members, persons, concerns,
    earlier checklists and alerts, each decrypted once. A push's submissions,
    or a pull page's checklists, are evaluated over one reading: a dozen
    queries in all, however many they are."""

    def __init__(self, session: DbSession, checklists: list[Checklist], *, keyring: Keyring):
        self.session, self.keyring = session, keyring
        # The checklists' households in one query (not one lazy load per checklist);
        # `checklist.household` then finds them in the session.
        households = list(session.scalars(select(Household).where(
            Household.id.in_({c.household_id for c in checklists})).order_by(Household.id)))
        self.linked = self._linked(households)
        everyone = {h.id: h for h in households}
        everyone.update({h.id: h for linked in self.linked.values() for h in linked})
        persons = sorted({m.person for h in everyone.values() for m in h.memberships},
                         key=lambda person: person.id)
        person_fields = {p.id: decrypt_fields(p, keyring=keyring) for p in persons}
        self.households = {h.id: people.household_view(h, keyring=keyring,
                                                       person_fields=person_fields)
                           for h in everyone.values()}
        self.persons = people.person_views(session, persons, keyring=keyring,
                                           person_fields=person_fields)
        self.concerns = [people.concern_view(concern, keyring=keyring)
                         for concern in session.scalars(
                             select(Concern).where(Concern.person_id.in_([p.id for p in persons]))
                             .order_by(Concern.id))]
        self.history = self._history(list(everyone.values()), checklists)
        self.followups = self._followups(checklists)
        self.alerts = self._alerts(households)
        self._holidays: dict[int, list[str]] = {}

    def _linked(self, households: list[Household]) -> dict[int, list[Household]]:
        """Per household: itself and every household of its team sharing a person
        with it, members loaded."""
        target, other = aliased(HouseholdMember), aliased(HouseholdMember)
        linked: dict[int, list[Household]] = {h.id: [] for h in households}
        teams = {h.id: h.team_id for h in households}
        for target_id, household in self.session.execute(
                select(target.household_id, Household)
                .join(other, other.person_id == target.person_id)
                .join(Household, Household.id == other.household_id)
                .where(target.household_id.in_(list(linked)))
                .distinct().order_by(target.household_id, Household.id)
                .options(selectinload(Household.memberships)
                         .selectinload(HouseholdMember.person))):
            if household.team_id == teams[target_id]:
                linked[target_id].append(household)
        return {h.id: linked[h.id] or [h] for h in households}

    def _history(self, households: list[Household], checklists: list[Checklist]
                 ) -> dict[int, list[dict[str, Any]]]:
        """Per household, its latest checklists, one more than the rules look back
        over: the one being evaluated is left out of its own history. Also keeps
        the answers and the latest lead decision of these and of `checklists`."""
        latest = select(Checklist.id, func.row_number().over(
            partition_by=Checklist.household_id,
            order_by=(Checklist.updated_at.desc(), Checklist.id.desc())).label("n")).where(
            Checklist.household_id.in_([h.id for h in households])).subquery()
        # Plain columns, not ORM objects: 13 rows per household, each 10 KB of
        # ciphertext that is read once here and never changed.
        rows = self.session.execute(
            select(*_HISTORY_COLUMNS).join(latest, latest.c.id == Checklist.id)
            .where(latest.c.n <= HISTORY_PER_HOUSEHOLD + 1)
            .order_by(Checklist.household_id, latest.c.n)).all()
        self.history_rows: list[Any] = list(rows)
        self.decided: dict[int, datetime] = dict(self.session.execute(
            select(ReviewDecision.checklist_id, func.max(ReviewDecision.decided_at))
            .where(ReviewDecision.checklist_id.in_(
                {row.id for row in rows} | {c.id for c in checklists}))
            .group_by(ReviewDecision.checklist_id)).all())
        self.answers = {row.id: decrypt_stored(
            Checklist.__tablename__, row.uuid, row.key_id, row.wrapped_key, row.sealed_fields,
            keyring=self.keyring).get("answers", {}) for row in rows}
        public_ids = {household.id: household.uuid for household in households}
        history: dict[int, list[dict[str, Any]]] = {h.id: [] for h in households}
        for row in rows:
            history[row.household_id].append({
                "id": row.uuid,
                "household_id": public_ids[row.household_id],
                "visit_at": row.visit_at,
                "status": row.status,
                "answers": self.answers[row.id],
                "flags": json.loads(row.flag_summary or "[]"),
                "submitted_at": iso_utc(row.submitted_at),
                "lead_decision_at": self._decided_on_submission(row),
            })
        return history

    def _followups(self, checklists: list[Checklist]) -> list[dict[str, Any]]:
        """The follow-through records of every checklist read (history and these): the
        rows are in hand already, so they are not fetched (each 10 KB) a second time."""
        read = {row.id: row.uuid for row in self.history_rows}
        read.update({c.id: c.uuid for c in checklists})
        return [record for records in followup.followups_by_id(
            self.session, {i: read[i] for i in sorted(read)}, keyring=self.keyring).values()
            for record in records]

    def _decided_on_submission(self, checklist: Any) -> str | None:
        """The lead's latest decision if it is on the checklist as last submitted: a
        decision before a resubmission (a return) is not a review of what came back."""
        decided = self.decided.get(checklist.id)
        if decided is None or (checklist.submitted_at is not None
                               and decided < checklist.submitted_at):
            return None
        return iso_utc(decided)

    def _alerts(self, households: list[Household]) -> dict[int, list[dict[str, Any]]]:
        alerts: dict[int, list[dict[str, Any]]] = {h.id: [] for h in households}
        public_ids = {h.id: h.uuid for h in households}
        for alert in self.session.scalars(
                select(Alert).where(Alert.household_id.in_(list(alerts))).order_by(Alert.id)
                .options(joinedload(Alert.concern), joinedload(Alert.user))):
            alerts[alert.household_id].append({
                "concern_id": alert.concern.uuid,
                "household_id": public_ids[alert.household_id],
                "user_id": alert.user.uuid,
                "professional_name": alert.user.name,
                "acknowledged_at": iso_utc(alert.acknowledged_at),
            })
        return alerts

    def context(self, checklist: Checklist, *, now: datetime | None = None) -> dict[str, Any]:
        """The context of docs/rules.md for one of the checklists read for: what was
        read, through the step the tablet takes too (`build_context`)."""
        household = checklist.household
        if checklist.id in self.answers:  # among the latest of its household: read already
            answers = self.answers[checklist.id]
        else:
            answers = decrypt_fields(checklist, keyring=self.keyring).get("answers", {})
        linked = self.linked[household.id]
        # Only what concerns this household's linked households: a reading serves
        # several checklists at once.
        linked_persons = {m["person_id"] for h in linked
                          for m in self.households[h.id]["members"]}
        history = []
        for linked_household in linked:
            earlier = [h for h in self.history[linked_household.id]
                       if h["id"] != checklist.uuid]
            history += earlier[:HISTORY_PER_HOUSEHOLD]
        moment = now or datetime.now(UTC)
        return build_context(
            visit={
                "id": checklist.uuid,
                "household_id": household.uuid,
                "status": checklist.status,
                "answers": answers,
                "submitted_at": iso_utc(checklist.submitted_at),
                "lead_decision_at": self._decided_on_submission(checklist),
                "flags": json.loads(checklist.flag_summary or "[]"),
            },
            household=self.households[household.id],
            households=[self.households[h.id] for h in linked],
            persons=[view for p, view in self.persons.items() if p in linked_persons],
            concerns=[c for c in self.concerns if c["person_id"] in linked_persons],
            history=history,
            alerts=self.alerts[household.id],
            now=iso_utc(moment) or "",
            bank_holidays=self.bank_holidays(moment),
            followups=[f for f in self.followups
                       if f["checklist_id"] in {checklist.uuid, *(h["id"] for h in history)}],
        )

    def bank_holidays(self, moment: datetime) -> list[str]:
        """England and Wales bank holidays around `moment`, worked out once per reading."""
        year = moment.year
        if year not in self._holidays:
            self._holidays[year] = bank_holidays(today=moment.date())
        return self._holidays[year]
