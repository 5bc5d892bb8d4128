"""One ordered change feed per team (visitcheck/feed/, issue 14 item 3): writers of
different teams take different locks, and within a team a pull never skips a change.

The concurrency test runs on both databases (CI runs the suite on PostgreSQL, where
the writers of several teams really do run at once; on SQLite the database
serialises them anyway).
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from tests.factories import make_team, make_user
from visitcheck.auth.models import User
from visitcheck.extensions import db
from visitcheck.feed import service as feed
from visitcheck.feed.models import Change

WRITERS_PER_TEAM = 2
COMMITS_PER_WRITER = 12


def _team_user(app, name: str) -> tuple[int, int]:
    team = make_team(app, name)
    username = make_user(app, team=team)
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        return user.team_id, user.id


def test_a_pull_never_skips_a_change_while_several_teams_write_at_once(app):
    teams = [_team_user(app, f"Feed team {n}") for n in range(3)]
    errors: list[BaseException] = []
    writing = threading.Event()
    writing.set()

    def write(team_id: int, user_id: int, writer: int) -> None:
        try:
            with app.app_context():
                for n in range(COMMITS_PER_WRITER):
                    feed.serialise_writers(db.session, team_ids=[team_id])
                    for _ in range(1 + (n + writer) % 3):
                        feed.record(db.session, team_id=team_id, type="household",
                                    entity_id=str(uuid.uuid4()), rev=1, user_id=user_id)
                    db.session.flush()
                    time.sleep(0.002)  # widen the window between numbering and commit
                    db.session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    seen: dict[int, list[int]] = {team_id: [] for team_id, _ in teams}
    passed: dict[int, list[int]] = {team_id: [] for team_id, _ in teams}

    def read(team_id: int, user_id: int) -> None:
        try:
            with app.app_context():
                cursor = 0
                while True:
                    done = not writing.is_set()  # read once more after the writers end
                    rows = feed.visible_since(db.session, team_id=team_id, cursor=cursor,
                                              limit=7, household_ids=[], user_id=user_id)
                    db.session.rollback()  # each pull its own snapshot, as each request
                    seen[team_id] += [row.seq for row in rows]
                    if rows:
                        cursor = rows[-1].seq
                        passed[team_id].append(cursor)
                    elif done:
                        return
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    writers = [threading.Thread(target=write, args=(team_id, user_id, w))
               for team_id, user_id in teams for w in range(WRITERS_PER_TEAM)]
    readers = [threading.Thread(target=read, args=team) for team in teams]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=300)
    writing.clear()
    for thread in readers:
        thread.join(timeout=300)

    assert errors == []
    with app.app_context():
        for team_id, _ in teams:
            stored = list(db.session.scalars(select(Change.seq).where(
                Change.team_id == team_id).order_by(Change.seq)))
            # Every change of the team was seen, once, in order: none appeared below a
            # cursor its reader had already passed (it would be missing here).
            assert seen[team_id] == stored
            assert len(stored) == sum(1 + (n + w) % 3 for n in range(COMMITS_PER_WRITER)
                                      for w in range(WRITERS_PER_TEAM))
            # Each team numbers its own changes from 1, with no gaps.
            assert stored == list(range(1, len(stored) + 1))
            assert passed[team_id] == sorted(set(passed[team_id]))


def test_a_pull_sees_only_its_own_teams_feed(app):
    (team_a, user_a), (team_b, _) = _team_user(app, "A"), _team_user(app, "B")
    with app.app_context():
        mine = feed.record(db.session, team_id=team_a, type="household",
                           entity_id=str(uuid.uuid4()), rev=1, user_id=user_a).entity_id
        feed.record(db.session, team_id=team_b, type="household",
                    entity_id=str(uuid.uuid4()), rev=1, user_id=user_a)
        db.session.commit()
        rows = feed.visible_since(db.session, team_id=team_a, cursor=0, limit=10,
                                  household_ids=[], user_id=user_a)
        assert [(r.seq, r.entity_id) for r in rows] == [(1, mine)]
        assert feed.counter(db.session, team_a) == feed.counter(db.session, team_b) == 1


def test_a_user_moving_team_finds_the_new_teams_changes_above_their_cursor(app):
    (team_a, user_a), (team_b, _) = _team_user(app, "A"), _team_user(app, "B")
    with app.app_context():
        for _ in range(5):
            feed.record(db.session, team_id=team_a, type="household",
                        entity_id=str(uuid.uuid4()), rev=1, user_id=user_a)
        feed.record(db.session, team_id=team_b, type="household",
                    entity_id=str(uuid.uuid4()), rev=1)
        db.session.commit()
        cursor = feed.visible_since(db.session, team_id=team_a, cursor=0, limit=10,
                                    household_ids=[], user_id=user_a)[-1].seq
        feed.join_team(db.session, from_team_id=team_a, to_team_id=team_b)
        db.session.get_one(User, user_a).team_id = team_b
        db.session.commit()
        later = feed.record(db.session, team_id=team_b, type="household",
                            entity_id=str(uuid.uuid4()), rev=1, user_id=user_a).entity_id
        db.session.commit()
        rows = feed.visible_since(db.session, team_id=team_b, cursor=cursor, limit=10,
                                  household_ids=[], user_id=user_a)
        assert [r.entity_id for r in rows] == [later]


def test_writers_of_two_teams_do_not_wait_for_each_other(app, another_app):
    (team_a, user_a), (team_b, user_b) = _team_user(app, "A"), _team_user(app, "B")
    other = another_app()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has one writer at a time for the whole database")
        feed.record(db.session, team_id=team_a, type="household",
                    entity_id=str(uuid.uuid4()), rev=1, user_id=user_a)
        db.session.flush()  # team A's lock held, not committed
        with other.app_context():
            db.session.execute(text("SET LOCAL lock_timeout = '5s'"))
            feed.record(db.session, team_id=team_b, type="household",
                        entity_id=str(uuid.uuid4()), rev=1, user_id=user_b)
            db.session.commit()  # did not wait for team A
            db.session.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(OperationalError):  # team A's writers do wait
                feed.serialise_writers(db.session, team_ids=[team_a])
            db.session.rollback()
        db.session.commit()
        assert {t: feed.counter(db.session, t) for t in (team_a, team_b)} == {
            team_a: 1, team_b: 1}


def test_a_practitioner_moved_to_another_team_pulls_its_households_from_their_old_cursor(
        app, demo):
    from tests.factories import make_household, signed_in
    from visitcheck.admin import service as admin
    from visitcheck.auth.models import Team

    old, new = make_team(app, "Old team"), make_team(app, "New team")
    mover, colleague = make_user(app, team=old), make_user(app, team=new)
    hv = signed_in(app, mover)
    for n in range(3):  # the old team's feed runs ahead of the new one's
        make_household(hv, f"{n} Old Road", children=[{"name": f"Child {n}"}])
    cursor = hv.pull(0, 500).get_json()["cursor"]
    home = make_household(signed_in(app, colleague), "1 New Road",
                          children=[{"name": "New child"}])
    with app.app_context():
        boss = db.session.scalars(select(User).where(User.username == "admin")).one()
        moved = db.session.scalars(select(User).where(User.username == mover)).one()
        new_team = db.session.scalars(select(Team).where(Team.name == new)).one()
        assert feed.counter(db.session, new_team.id) < cursor
        admin.update_user(db.session, admin=boss, public_id=moved.uuid, role=moved.role,
                          team_id=new_team.uuid, active=True)
        admin.assign_caseload(db.session, admin=boss, user_id=moved.uuid,
                              household_id=home["id"])
        db.session.commit()

    pulled = signed_in(app, mover).pull(cursor, 500).get_json()["changes"]

    assert home["id"] in {c["entity_id"] for c in pulled if c["type"] == "household"}
    assert set(home["children"]) <= {c["entity_id"] for c in pulled if c["type"] == "person"}
