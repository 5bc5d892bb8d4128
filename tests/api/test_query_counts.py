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
from visitcheck.review import queue as review


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


def _reads(statements: list[str]) -> int:
    """Statements other than the audit trail's own inserts: each item shown is audited
    as its own event (DESIGN.md), which SQLite writes one INSERT at a time."""
    return sum(not s.lstrip().startswith("INSERT INTO audit_events") for s in statements)


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


def _page_ids_statement(app, filters: review.QueueFilters) -> tuple[str, object]:
    """The statement that reads a filtered page's ids in the urgency order (the one
    SELECT with both an ORDER BY and a LIMIT), with its parameters."""
    [paging] = _page_reads(app, filters)
    return paging


def _page_reads(app, filters: review.QueueFilters) -> list[tuple[str, object]]:
    statements: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            review.team_queue(db.session, lead=_lead(db.session), keyring=keyring(),
                              filters=filters, per_page=25)
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
            db.session.rollback()
    return [(s, p) for s, p in statements if s.lstrip().startswith("SELECT")
            and "ORDER BY" in s and "LIMIT" in s]


def test_a_filter_the_counters_say_keeps_nothing_reads_no_page(app, demo):
    """The counters know that no submitted checklist carries poc-contact (tests/bulk.py
    puts it on approved ones only): the page is not looked for. Walking the team's order
    to find that out passed every submitted checklist (docs/performance.md)."""
    _grow(app, 60)
    filters = review.QueueFilters(flag="poc-contact", status="submitted")
    assert _page_reads(app, filters) == []
    with app.app_context():
        shown = review.team_queue(db.session, lead=_lead(db.session), keyring=keyring(),
                                  filters=filters, per_page=25)
        db.session.rollback()
    assert (shown.total, shown.rows) == (0, [])


def test_a_severity_filter_reads_its_page_off_the_flags_severity_index(app, demo):
    """A severity as the only filter is read off `ix_checklist_flags_severity_order`
    (team, severity, the queue's order; migration 0029), not by walking the team's order
    and probing each checklist's flags: that walk passes every checklist before the
    first one with a flag of that severity (docs/performance.md)."""
    _grow(app, 60)
    for severity in ("urgent", "action"):
        statement, parameters = _page_ids_statement(
            app, review.QueueFilters(severity=severity, page=2))
        assert "FROM checklist_flags" in statement, statement
        assert "checklists." not in statement, statement
        with app.app_context(), db.engine.connect() as conn:
            if conn.dialect.name != "sqlite":
                continue  # PostgreSQL's plan over a few rows is a scan: the bench shows it
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters))
        assert "COVERING INDEX ix_checklist_flags_severity_order" in plan, plan


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


# --- the pull -----------------------------------------------------------------------


def _family(hv, number: int) -> None:
    """A household as a device makes it: a child, an adult with a concern, a visit."""
    from tests.factories import make_checklist, make_concern, make_household

    made = make_household(hv, f"{number} Count Street", children=[{"name": f"Child {number}"}],
                          adults=[f"Adult {number}"])
    make_concern(hv, made["adults"][0], {made["children"][0]: "supervised"})
    make_checklist(hv, made["id"], made["children"])


def _pull_queries(app, hv, *, cursor: int = 0, limit: int = 500) -> tuple[int, dict]:
    with app.app_context(), counting() as statements:
        answer = hv.pull(cursor=cursor, limit=limit)
        assert answer.status_code == 200
    return len(statements), answer.get_json()


def test_a_pull_page_costs_the_same_queries_however_many_changes_it_holds(app, demo,
                                                                           api_client):
    hv = api_client("hv")
    for number in range(2):
        _family(hv, number)
    small, answer = _pull_queries(app, hv)
    kinds = {c["type"] for c in answer["changes"]}
    assert {"household", "person", "concern", "checklist"} <= kinds
    for number in range(2, 12):
        _family(hv, number)
    large, answer = _pull_queries(app, hv)
    assert {c["type"] for c in answer["changes"]} == kinds
    assert len(answer["changes"]) > 40
    assert large == small
    # Smaller pages through the same history: never more than the page holding all.
    cursor, more = 0, True
    while more:
        queries, answer = _pull_queries(app, hv, cursor=cursor, limit=15)
        assert queries <= large
        cursor, more = answer["cursor"], answer["more"]


def test_a_pull_page_stops_at_its_byte_budget_and_the_next_goes_on(app, demo, api_client,
                                                                   monkeypatch):
    from visitcheck.sync import pull as pull_page

    hv = api_client("hv")
    for number in range(3):
        _family(hv, number)
    everything = hv.pull(cursor=0, limit=500).get_json()
    assert everything["more"] is False
    monkeypatch.setattr(pull_page, "PAGE_BYTES", 2000)
    seen: list[int] = []
    cursor, more, answers = 0, True, 0
    while more:
        answer = hv.pull(cursor=cursor, limit=500).get_json()
        assert answer["changes"], "every answer moves the catch-up on"
        seen += [c["seq"] for c in answer["changes"]]
        cursor, more, answers = answer["cursor"], answer["more"], answers + 1
    assert answers > 2
    # Cut into pages, nothing skipped, nothing twice, the same content.
    assert seen == [c["seq"] for c in everything["changes"]]


# --- the alerts page and the family map -------------------------------------------------


def _more_households(app, count: int, *, linked_to: str | None = None) -> None:
    """`count` more households of the lead's team, each alerted about the one concern
    (a group on the alerts page), and with `linked_to` (a person) visiting each."""
    from visitcheck.auth.models import Team
    from visitcheck.people import service as people
    from visitcheck.people.models import Concern, HouseholdMember, Person, Residence
    from visitcheck.sharing.models import Alert

    with app.app_context():
        lead = _lead(db.session)
        team = db.session.get(Team, lead.team_id)
        concern = db.session.scalars(select(Concern).where(
            Concern.team_id == lead.team_id)).first()
        recipients = db.session.scalars(select(User).where(
            User.team_id == lead.team_id, User.role != "team_lead")).all()
        visitor = db.session.scalars(select(Person).where(Person.uuid == linked_to)).first()
        for number in range(count):
            household = people.create_household(
                db.session, team=team, address=f"{number} Alert Row", keyring=keyring(),
                members=[people.MemberSpec(f"Child {number}", Residence.LIVES_HERE,
                                           is_child=True)])
            if visitor is not None:
                db.session.add(HouseholdMember(household_id=household.id,
                                               person_id=visitor.id,
                                               residence=Residence.VISITS_REGULARLY.value))
            for user in recipients:
                db.session.add(Alert(user_id=user.id, concern_id=concern.id,
                                     household_id=household.id))
        db.session.commit()


def test_the_alerts_page_costs_the_same_queries_however_many_alerts(app, demo, api_client):
    from tests.review_support import record_concern, web_client

    record_concern(app, api_client("hv"), demo)
    client = web_client(app, "lead")

    def count(page: int) -> int:
        with app.app_context(), counting() as statements:
            answer = client.get(f"/review/alerts?page={page}")
            assert answer.status_code == 200
            assert f"Page {page} of" in answer.get_data(as_text=True)
        return _reads(statements)

    # A page of 20 groups: two pages, then four, the same queries for each.
    _more_households(app, 22)
    small = [count(1), count(2)]
    _more_households(app, 40)
    large = [count(1), count(2), count(4)]
    assert len({*small, *large}) == 1, (small, large)


def test_the_family_map_costs_the_same_queries_however_many_people_it_shows(app, demo,
                                                                         api_client):
    from tests.review_support import record_concern, web_client

    concern, craig = record_concern(app, api_client("hv"), demo)
    client = web_client(app, "lead")
    start = demo.households[1]

    def count() -> int:
        with app.app_context(), counting() as statements:
            assert client.get(f"/map/{start}").status_code == 200
        return _reads(statements)

    _more_households(app, 2, linked_to=craig)
    small = count()
    _more_households(app, 8, linked_to=craig)
    assert count() == small


# --- the rules after a push ------------------------------------------------------------


def _urgent_submissions(app, hv, homes: list[str], children: dict[str, list[str]]) -> list[str]:
    """One submission per household, each raising an urgent flag (red behaviour), so
    the leads are told of each."""
    import uuid

    from tests.sealing import checklist_payload, complete_visit, sealed_op

    stored = []
    for home in homes:
        answers = complete_visit(children[home])
        answers["behaviour"] = {"children": {children[home][0]: {"traffic_light": "red"}}}
        stored.append(str(uuid.uuid4()))
        result = hv.push([sealed_op(hv.bootstrap, checklist_payload(
            home, status="submitted", answers=answers), entity_id=stored[-1])]).get_json()
        assert result["results"][0]["status"] == "applied", result
    return stored


def _evaluation_queries(app, checklist_ids: list[str]) -> int:
    """Statements of one evaluation of these checklists, as a push runs it once it has
    committed: the rules' reading of the team's data, storing, telling the leads. Their
    stored flags are taken away first, so that the evaluation stores a new set, as a
    submission's first does."""
    from sqlalchemy import delete

    from visitcheck.checklists.service import checklist_by_public_id
    from visitcheck.rules import service as flags
    from visitcheck.rules.models import ChecklistFlag

    with app.app_context():
        rows = [checklist_by_public_id(db.session, c) for c in checklist_ids]
        db.session.execute(delete(ChecklistFlag).where(
            ChecklistFlag.checklist_id.in_([row.id for row in rows])))
        with counting() as statements:
            flags.evaluate_and_store(db.session, rows, keyring=keyring())
        db.session.rollback()
        assert all("red-behaviour" in row.flag_summary for row in rows)
    return len(statements)


def test_a_pushs_submissions_cost_the_same_queries_however_many_households_they_are_in(
        app, demo, api_client):
    hv = api_client("hv")
    homes = [home for home in demo.households if demo.children[home]][:3]
    assert len(homes) == 3
    stored = _urgent_submissions(app, hv, homes, demo.children)
    one, three = _evaluation_queries(app, stored[:1]), _evaluation_queries(app, stored)
    assert one == three, (one, three)
    # The reading of the team's data (10), the template, the stored flags, the feed's
    # counter, the guarded UPDATE returning the rows it took, the DELETEs of the old
    # flags and feed entries, the feed's and the flags' INSERTs (one each, however
    # many flags), the leads, their notifications.
    assert one <= 20, one
