"""A page costs the same number of queries whatever its size or the team's history:
the lead's queue, the alerts page, the family map's lists and the pull (issue 14).

Statements are counted by an engine listener around the very call a request makes;
the team's history is grown by bulk inserts (tests/bulk.py) between two counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from sqlalchemy import event, select

from tests.bulk import seed_checklists
from visitcheck.auth.models import User
from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db, keyring
from visitcheck.review import service as review


@contextmanager
def counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _lead(session) -> User:
    return session.scalars(select(User).where(User.username == "lead")).one()


def _grow(app, to: int) -> None:
    """The lead's team holds `to` checklists."""
    with app.app_context():
        lead = _lead(db.session)
        have = db.session.query(Checklist).filter(Checklist.team_id == lead.team_id).count()
        seed_checklists(db.session, team_id=lead.team_id, count=to - have, keyring=keyring())
        db.session.commit()


def _queries(app, call: Callable[[], object]) -> int:
    with app.app_context(), counting() as statements:
        call()
        db.session.rollback()
    return len(statements)


def _queue_counts(app) -> dict[tuple[int, int], int]:
    counts = {}
    for per_page in (25, 100):
        for page in (1, 3):
            def call(page=page, per_page=per_page):
                lead = _lead(db.session)
                shown = review.team_queue(db.session, lead=lead, keyring=keyring(),
                                          filters=replace(review.QueueFilters(), page=page),
                                          per_page=per_page)
                assert shown.rows, "a page of the queue shows checklists"
            counts[page, per_page] = _queries(app, call)
    return counts


def test_the_queue_costs_the_same_queries_whatever_the_page_or_the_history(app, demo):
    _grow(app, 30)
    small = _queue_counts(app)
    _grow(app, 300)
    large = _queue_counts(app)
    assert len({*small.values(), *large.values()}) == 1, (small, large)


def test_a_flag_filter_costs_the_same_queries_whatever_the_history(app, demo):
    def call():
        lead = _lead(db.session)
        shown = review.team_queue(db.session, lead=lead, keyring=keyring(),
                                  filters=review.QueueFilters(flag="mappa-check", page=2),
                                  per_page=25)
        assert all(any(f.rule == "mappa-check" for f in r.flags) for r in shown.rows)

    _grow(app, 30)
    small = _queries(app, call)
    _grow(app, 300)
    assert _queries(app, call) == small


def test_the_queue_page_over_http_costs_the_same_queries_whatever_the_history(app, demo):
    from tests.review_support import web_client

    client = web_client(app, "lead")

    def count(path: str) -> int:
        with app.app_context(), counting() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    _grow(app, 30)
    small = [count("/review"), count("/review?page=2")]
    _grow(app, 300)
    large = [count("/review"), count("/review?page=3")]
    assert small == large, (small, large)
