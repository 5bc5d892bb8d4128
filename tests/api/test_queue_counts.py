"""The lead's queue's counters and order (migration 0027) equal a straightforward
recomputation from the checklists and their stored flags, whatever was written before:
submissions, decisions, withdrawals, flag refreshes, purges, and generated sequences of
row writes of every kind the writers make."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from tests.bulk import seed_checklists
from tests.review_support import (
    apply,
    csrf_token,
    set_checklist,
    store_flags,
    submit_checklist,
    web_client,
)
from visitcheck.auth.models import User
from visitcheck.checklists.models import Checklist
from visitcheck.extensions import db, keyring
from visitcheck.review import decisions, queue
from visitcheck.review import queue as review
from visitcheck.review.models import QueueCount
from visitcheck.rules import service as flag_store
from visitcheck.rules.models import ChecklistFlag

STATUSES = ["draft", "submitted", "returned", "approved", "escalated"]
FLAG_SETS: list[list[tuple[str, str]]] = [
    [],
    [("mappa-check", "action")],
    [("poc-contact", "urgent"), ("mappa-check", "action")],
    [("unseen-adult", "review"), ("unseen-adult", "review")],  # two subjects, one rule
    [("overdue-review", "urgent"), ("mappa-check", "review")],  # a stored overdue flag
    [("mappa-check", "urgent"), ("mappa-check", "action")],  # one rule, two severities
    [("poc-contact", "urgent")],
]
# Far enough on for every submitted checklist with an urgent flag to be overdue.
LATER = datetime(2027, 6, 1, tzinfo=UTC)


def _lead() -> User:
    return db.session.scalars(select(User).where(User.username == "lead")).one()


def _set_flags(checklist: Checklist, flags: list[tuple[str, str]]) -> None:
    """As the rules store a changed set: the rows, the summary and the rank together."""
    raised = [{"rule": r, "severity": s, "subject": f"s{n}", "reason": f"{r} (test)"}
              for n, (r, s) in enumerate(flags)]
    db.session.execute(delete(ChecklistFlag).where(ChecklistFlag.checklist_id == checklist.id))
    store_flags(checklist.id, raised)
    checklist.flag_summary = flag_store.summary(raised)
    checklist.flag_rank = flag_store.rank(raised)


def _recounted(team_id: int) -> Counter[tuple[str, str, str]]:
    """The counters as they should be, from the checklists' stored flags (the
    `checklist_flags` rows, not the summary the triggers read)."""
    expected: Counter[tuple[str, str, str]] = Counter()
    flags: dict[int, set[tuple[str, str]]] = {}
    for checklist_id, rule, severity in db.session.execute(
            select(ChecklistFlag.checklist_id, ChecklistFlag.rule, ChecklistFlag.severity)):
        if rule != queue.OVERDUE_RULE:
            flags.setdefault(checklist_id, set()).add((rule, severity))
    for checklist in db.session.scalars(select(Checklist).where(Checklist.team_id == team_id)):
        mine = flags.get(checklist.id, set()) if checklist.flag_summary != "[]" else set()
        keys = {("", ""), *mine, *{(r, "*") for r, _ in mine}, *{("*", s) for _, s in mine}}
        for rule, severity in keys:
            expected[checklist.status, rule, severity] += 1
    return expected


def _kept(team_id: int) -> Counter[tuple[str, str, str]]:
    return Counter({(c.status, c.rule, c.severity): c.checklists for c in db.session.scalars(
        select(QueueCount).where(QueueCount.team_id == team_id)) if c.checklists})


def _expected_queue(lead: User, filters: queue.QueueFilters, now: datetime
                    ) -> tuple[list[str], int, dict[tuple[str, str], int]]:
    """The queue's order, total and flag counts, worked out in Python over every row."""
    rows = db.session.scalars(select(Checklist).where(
        Checklist.team_id == lead.team_id,
        Checklist.status.in_(["submitted", "returned", "approved", "escalated"]))).all()
    if filters.status:
        rows = [c for c in rows if c.status == filters.status]
    stored: dict[int, set[tuple[str, str]]] = {}
    for checklist_id, rule, severity in db.session.execute(
            select(ChecklistFlag.checklist_id, ChecklistFlag.rule, ChecklistFlag.severity)):
        if rule != queue.OVERDUE_RULE:
            stored.setdefault(checklist_id, set()).add((rule, severity))
    overdue = {c.id for c in rows if queue.is_overdue(c, now=now)}
    counts: Counter[tuple[str, str]] = Counter()
    for c in rows:
        counts.update(stored.get(c.id, set()))
    if overdue:
        counts[queue.OVERDUE_RULE, "urgent"] = len(overdue)

    def keep(c: Checklist) -> bool:
        mine = stored.get(c.id, set())
        if filters.flag == queue.OVERDUE_RULE and c.id not in overdue:
            return False
        if filters.flag and filters.flag != queue.OVERDUE_RULE and not any(
                r == filters.flag for r, _ in mine):
            return False
        if filters.severity == "urgent":
            return c.id in overdue or any(s == "urgent" for _, s in mine)
        return not filters.severity or any(s == filters.severity for _, s in mine)

    kept = [c for c in rows if keep(c)]
    far = datetime.max.replace(tzinfo=UTC)
    kept.sort(key=lambda c: (c.id not in overdue, c.status not in decisions.DECIDABLE,
                             c.flag_rank, c.submitted_at is None, c.submitted_at or far, c.id))
    return [c.uuid for c in kept], len(kept), dict(counts)


def _shown(lead: User, filters: queue.QueueFilters, now: datetime, per_page: int
           ) -> tuple[list[str], int, dict[tuple[str, str], int]]:
    order: list[str] = []
    page = 1
    while True:
        shown = review.team_queue(db.session, lead=lead, keyring=keyring(), now=now,
                                  filters=replace(filters, page=page), per_page=per_page)
        order += [r.id for r in shown.rows]
        if page >= shown.pages:
            break
        page += 1
    return order, shown.total, {(f.rule, f.severity): n for f, n in shown.flag_counts}


FILTERS = [queue.QueueFilters(), queue.QueueFilters(flag="mappa-check"),
           queue.QueueFilters(flag="poc-contact"), queue.QueueFilters(flag="unseen-adult"),
           queue.QueueFilters(flag="mappa-check", status="submitted"),
           queue.QueueFilters(flag=queue.OVERDUE_RULE), queue.QueueFilters(severity="urgent"),
           queue.QueueFilters(severity="review"), queue.QueueFilters(severity="action"),
           queue.QueueFilters(status="submitted"),
           queue.QueueFilters(flag=queue.OVERDUE_RULE, severity="urgent"),
           queue.QueueFilters(flag="mappa-check", severity="action")]


def _assert_flags_carry_their_checklists_order() -> None:
    """Each stored flag carries its checklist's team and place in the queue's order
    (migration 0029), whatever changed the checklist since the flag was stored."""
    carried = db.session.execute(
        select(ChecklistFlag.id, ChecklistFlag.team_id, ChecklistFlag.queue_rank,
               ChecklistFlag.submitted_at, Checklist.team_id, Checklist.queue_rank,
               Checklist.submitted_at)
        .join(Checklist, Checklist.id == ChecklistFlag.checklist_id)).all()
    assert carried, "the data has stored flags"
    assert [row for row in carried if tuple(row[1:4]) != tuple(row[4:7])] == []


def _assert_queue_as_recomputed(now: datetime) -> None:
    lead = _lead()
    assert _kept(lead.team_id) == _recounted(lead.team_id)
    _assert_flags_carry_their_checklists_order()
    for filters in FILTERS:
        for per_page in (3, 25):
            assert _shown(lead, filters, now, per_page) == _expected_queue(lead, filters, now), \
                (filters, per_page)
    db.session.rollback()


def test_counts_and_order_follow_submissions_decisions_withdrawals_refreshes_and_purges(
        app, demo, api_client):
    hv = api_client("hv")
    households = demo.households
    made = [submit_checklist(hv, households[n % 3], demo.children[households[n % 3]])
            for n in range(6)]
    draft = submit_checklist(hv, households[0], demo.children[households[0]], status="draft")
    for n, checklist_id in enumerate(made):
        set_checklist(app, checklist_id, flags=FLAG_SETS[n % len(FLAG_SETS)],
                      submitted_at=datetime.now(UTC) - timedelta(days=n))
    with app.app_context():
        _assert_queue_as_recomputed(LATER)
    lead = web_client(app, "lead")
    for checklist_id, decision in zip(made[:3], ["approve", "return", "escalate"], strict=True):
        with app.app_context():
            rev = db.session.scalars(select(Checklist.rev).where(
                Checklist.uuid == checklist_id)).one()
        answer = lead.post(f"/review/{checklist_id}/decision", data={
            "csrf_token": csrf_token(lead), "decision": decision, "comment": "Seen, thanks",
            "procedure": "child_protection_referral", "rev": str(rev)})
        assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    with app.app_context():
        _assert_queue_as_recomputed(LATER)
        # A flag refresh: every checklist of the team evaluated again by the rules.
        db.session.execute(update(Checklist).values(flags_due=True))
        flag_store.evaluate_due_flags(db.session, keyring=keyring(), team_id=_lead().team_id)
        db.session.commit()
        _assert_queue_as_recomputed(LATER)
    # A withdrawal through the API, then a purge of two rows as retention deletes them.
    with app.app_context():
        row = db.session.scalars(select(Checklist).where(Checklist.uuid == made[5])).one()
        rev, status = row.rev, row.status
    assert status == "submitted"
    if status == "submitted":
        apply(hv, "checklist.withdraw", made[5], {"withdrawn_at": datetime.now(UTC).isoformat()},
              base_rev=rev)
    with app.app_context():
        db.session.execute(delete(Checklist).where(Checklist.uuid.in_([made[4], draft])))
        db.session.commit()
        _assert_queue_as_recomputed(LATER)
        _assert_queue_as_recomputed(datetime.now(UTC))


_OPS = st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(0, 4), st.integers(0, len(FLAG_SETS) - 1),
              st.integers(-1, 9)),
    st.tuples(st.just("status"), st.integers(0, 99), st.integers(0, 4)),
    st.tuples(st.just("flags"), st.integers(0, 99), st.integers(0, len(FLAG_SETS) - 1)),
    st.tuples(st.just("delete"), st.integers(0, 99)),
    st.tuples(st.just("touch"), st.integers(0, 99)),
), min_size=1, max_size=12)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS)
def test_counts_and_order_equal_a_recomputation_after_any_writes(app, demo, ops):
    with app.app_context():
        lead = _lead()
        if not db.session.scalar(select(Checklist.id).where(Checklist.team_id == lead.team_id)):
            seed_checklists(db.session, team_id=lead.team_id, count=12, keyring=keyring(),
                            start=LATER - timedelta(days=3))
        for op in ops:
            rows = db.session.scalars(select(Checklist).where(
                Checklist.team_id == lead.team_id).order_by(Checklist.id)).all()
            if op[0] == "add":
                _, status, flags, days = op
                seed_checklists(db.session, team_id=lead.team_id, count=1, keyring=keyring(),
                                start=LATER - timedelta(days=3))
                added = db.session.scalars(select(Checklist).order_by(
                    Checklist.id.desc())).first()
                added.status = STATUSES[status]
                added.submitted_at = None if days < 0 else LATER - timedelta(days=days)
                _set_flags(added, FLAG_SETS[flags])
            elif not rows:
                continue
            elif op[0] == "status":
                rows[op[1] % len(rows)].status = STATUSES[op[2]]
            elif op[0] == "flags":
                _set_flags(rows[op[1] % len(rows)], FLAG_SETS[op[2]])
            elif op[0] == "delete":
                db.session.delete(rows[op[1] % len(rows)])
            else:
                rows[op[1] % len(rows)].rev += 1
            db.session.flush()
        db.session.commit()
        # Not the same summary text as the flags table: a withdrawal's empty summary.
        assert all(json.loads(c.flag_summary) is not None for c in db.session.scalars(
            select(Checklist)))
        _assert_queue_as_recomputed(LATER)


def test_migration_0027_counts_the_checklists_a_database_already_holds(app, demo):
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        lead = _lead()
        seed_checklists(db.session, team_id=lead.team_id, count=40, keyring=keyring())
        db.session.commit()
        expected = _recounted(lead.team_id)
        assert expected["submitted", "mappa-check", "action"] > 0
        db.session.remove()
        downgrade(revision="0025")
        upgrade()
        assert _kept(lead.team_id) == expected
        # And the triggers are back: a purge is counted.
        db.session.execute(delete(Checklist).where(Checklist.status == "approved"))
        db.session.commit()
        assert _kept(lead.team_id) == _recounted(lead.team_id)


def test_migration_0029_gives_the_stored_flags_their_checklists_order(app, demo):
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        lead = _lead()
        seed_checklists(db.session, team_id=lead.team_id, count=40, keyring=keyring())
        db.session.commit()
        db.session.remove()
        downgrade(revision="0027")
        upgrade()
        _assert_flags_carry_their_checklists_order()
        # And the triggers are back: a decision moves a checklist's stored flags in
        # the order, new flags take their checklist's place.
        decided, flagged = db.session.scalars(select(Checklist).where(
            Checklist.status == "submitted", Checklist.flag_rank < 3)
            .order_by(Checklist.id).limit(2)).all()
        decided.status = "approved"
        _set_flags(flagged, FLAG_SETS[2])
        db.session.commit()
        _assert_flags_carry_their_checklists_order()
        _assert_queue_as_recomputed(LATER)
