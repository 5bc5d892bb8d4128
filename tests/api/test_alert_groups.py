"""The alerts page's summary (`alert_groups`, migration 0030) equals a recount from
`alerts` whatever was written before: generated sequences of alerts raised (one at a
time and in bulk), acknowledged, un-acknowledged, moved and purged; and the migration
counts the alerts a database already holds."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from tests.review_support import alerted_households, record_concern
from visitcheck.auth.models import User
from visitcheck.database import utcnow
from visitcheck.extensions import db, keyring
from visitcheck.keys import encrypt_fields
from visitcheck.people.models import Concern, Household, Person
from visitcheck.sharing.models import Alert, AlertGroupSummary

NOW = utcnow().replace(microsecond=0)


def _recounted() -> dict[tuple[int, int], tuple[int, int, int, object]]:
    """(concern, household) -> (team, recipients, unacknowledged, newest raised_at),
    counted in Python from every alert."""
    groups: dict[tuple[int, int], list] = {}
    for row in db.session.execute(select(
            Alert.concern_id, Alert.household_id, Alert.raised_at, Alert.acknowledged_at,
            Household.team_id).join(Household, Household.id == Alert.household_id)):
        groups.setdefault((row.concern_id, row.household_id), []).append(row)
    return {key: (rows[0].team_id, len(rows), sum(r.acknowledged_at is None for r in rows),
                  max(r.raised_at for r in rows)) for key, rows in groups.items()}


def _kept() -> dict[tuple[int, int], tuple[int, int, int, object]]:
    return {(g.concern_id, g.household_id): (g.team_id, g.recipients, g.unacknowledged,
                                             g.latest_raised_at)
            for g in db.session.scalars(select(AlertGroupSummary))}


def _concerns(count: int) -> list[Concern]:
    """The lead's team's concerns, `count` of them (made the first time)."""
    lead = db.session.scalars(select(User).where(User.username == "lead")).one()
    have = list(db.session.scalars(select(Concern).where(
        Concern.team_id == lead.team_id).order_by(Concern.id)))
    for number in range(len(have), count):
        person = Person(uuid=str(uuid.uuid4()), team_id=lead.team_id)
        encrypt_fields(person, {"names": [f"Adult {number}"]}, keyring=keyring())
        concern = Concern(uuid=str(uuid.uuid4()), team_id=lead.team_id, person=person,
                          created_by_id=lead.id)
        encrypt_fields(concern, {"basis": ["allegation_no_outcome"]}, keyring=keyring())
        db.session.add(concern)
        have.append(concern)
    db.session.flush()
    return have[:count]


_OPS = st.lists(st.one_of(
    # raise: recipient, concern, household, hours ago, acknowledged
    st.tuples(st.just("raise"), st.integers(0, 5), st.integers(0, 2), st.integers(0, 3),
              st.integers(0, 5), st.booleans()),
    # raise several in one statement (a bulk insert): concern, household, hours ago
    st.tuples(st.just("raise_all"), st.integers(0, 2), st.integers(0, 3), st.integers(0, 5)),
    st.tuples(st.just("ack"), st.integers(0, 99), st.integers(0, 6)),
    st.tuples(st.just("unack"), st.integers(0, 99)),
    st.tuples(st.just("move"), st.integers(0, 99), st.integers(0, 3), st.integers(0, 5)),
    st.tuples(st.just("delete"), st.integers(0, 99)),
    # a retention purge: every alert at one household, in one statement
    st.tuples(st.just("purge"), st.integers(0, 3)),
    st.tuples(st.just("touch"), st.integers(0, 99)),
), min_size=1, max_size=14)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS)
def test_the_summary_equals_a_recount_after_any_writes(app, demo, ops):
    with app.app_context():
        concerns = _concerns(3)
        households = list(db.session.scalars(select(Household).order_by(Household.id)))[:4]
        users = list(db.session.scalars(select(User).order_by(User.id)))[:6]
        for op in ops:
            alerts = db.session.scalars(select(Alert).order_by(Alert.id)).all()
            kind = op[0]
            if kind == "raise":
                _, user, concern, household, hours, acknowledged = op
                key = (users[user % len(users)].id, concerns[concern].id,
                       households[household % len(households)].id)
                if any((a.user_id, a.concern_id, a.household_id) == key for a in alerts):
                    continue
                raised = NOW - timedelta(hours=hours)
                db.session.add(Alert(user_id=key[0], concern_id=key[1], household_id=key[2],
                                     raised_at=raised,
                                     acknowledged_at=raised if acknowledged else None))
            elif kind == "raise_all":
                _, concern, household, hours = op
                concern_id = concerns[concern].id
                household_id = households[household % len(households)].id
                told = {a.user_id for a in alerts
                        if (a.concern_id, a.household_id) == (concern_id, household_id)}
                rows = [{"uuid": str(uuid.uuid4()), "user_id": u.id, "concern_id": concern_id,
                         "household_id": household_id, "rev": 1,
                         "raised_at": NOW - timedelta(hours=hours + n),
                         "acknowledged_at": None if n % 2 else NOW}
                        for n, u in enumerate(users) if u.id not in told]
                if rows:
                    db.session.execute(insert(Alert), rows)
            elif not alerts:
                continue
            else:
                alert = alerts[op[1] % len(alerts)] if kind != "purge" else None
                if kind == "ack" and alert is not None:
                    alert.acknowledged_at = alert.raised_at + timedelta(minutes=op[2])
                elif kind == "unack" and alert is not None:
                    alert.acknowledged_at = None
                elif kind == "move" and alert is not None:
                    target = households[op[2] % len(households)].id
                    if not any((a.user_id, a.concern_id, a.household_id)
                               == (alert.user_id, alert.concern_id, target) for a in alerts):
                        alert.household_id = target
                    alert.raised_at = NOW - timedelta(hours=op[3])
                elif kind == "delete" and alert is not None:
                    db.session.delete(alert)
                elif kind == "purge":
                    db.session.execute(delete(Alert).where(
                        Alert.household_id == households[op[1] % len(households)].id))
                elif alert is not None:
                    alert.rev += 1
            db.session.flush()
            db.session.expire_all()
            assert _kept() == _recounted(), op
        db.session.commit()
        assert _kept() == _recounted()


def test_the_summary_follows_the_apps_own_writes(app, demo, api_client):
    """Raised by the service when a concern is recorded, acknowledged through the API."""
    hv = api_client("hv")
    record_concern(app, hv, demo)
    alerted_households(app, [(2, 0, 5), (1, 1, 3), (0, 2, 1)])
    with app.app_context():
        assert _kept() == _recounted()
        assert any(unacknowledged for _, _, unacknowledged, _ in _kept().values())
        for alert in db.session.scalars(select(Alert)):
            alert.acknowledged_at = alert.raised_at
        db.session.commit()
        assert _kept() == _recounted()
        assert not any(unacknowledged for _, _, unacknowledged, _ in _kept().values())


def test_migration_0030_counts_the_alerts_a_database_already_holds(app, demo, api_client):
    from flask_migrate import downgrade, upgrade

    record_concern(app, api_client("hv"), demo)
    alerted_households(app, [(2, 0, 5), (1, 1, 3), (0, 2, 1), (1, 0, 7)])
    with app.app_context():
        expected = _recounted()
        assert len(expected) >= 4
        db.session.remove()
        downgrade(revision="0029")
        upgrade()
        assert _kept() == expected
        # And the triggers are back: a purge is counted.
        db.session.execute(delete(Alert).where(Alert.acknowledged_at.is_not(None)))
        db.session.commit()
        assert _kept() == _recounted()
