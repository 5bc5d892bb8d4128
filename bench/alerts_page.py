"""The lead's alerts page over a year of alerts (issue 14 item 1, the alerts page).

Seeds N alert groups (default 5,000: one concern x household each, told to the
team's two practitioners, a third of them acknowledged by both, a third by one)
for one team, then times the service call a `/review/alerts` request makes (server
time, no HTTP): the first page, a late page, and their queries. The baseline, in the
same run: the page as it was before it was paged, every group of the team read,
decrypted, sorted in Python and audited (`sharing.alert_groups` for the team, which
the checklist page still calls for one household, and `audit_alert_groups`).

    .venv/bin/python bench/alerts_page.py [--groups 5000] [--runs 5]
        [--databases sqlite,postgresql] [--explain] [--writes 200]

The groups are read from `alert_groups`, which triggers on `alerts` keep (migration
0030); what the triggers cost the write paths is timed too: alerts raised and
acknowledged one at a time (a statement and a flush each, as sharing/service.py
writes them), with the triggers and then, in the same run, with them dropped.

PostgreSQL: database `visitcheck_alerts_bench` on 127.0.0.1, dropped afterwards.
"""

from __future__ import annotations

import argparse
import base64
import platform
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import review_queue as queue_bench  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from visitcheck import create_app  # noqa: E402
from visitcheck.auth.models import User  # noqa: E402
from visitcheck.config import Config  # noqa: E402
from visitcheck.database import DbSession, utcnow  # noqa: E402
from visitcheck.demo import seed_demo  # noqa: E402
from visitcheck.extensions import db, keyring  # noqa: E402
from visitcheck.keys import Keyring, encrypt_fields  # noqa: E402
from visitcheck.people.models import Concern, Household, Person  # noqa: E402
from visitcheck.setup_service import init_database  # noqa: E402
from visitcheck.sharing import service as sharing  # noqa: E402
from visitcheck.sharing.models import Alert, AlertGroupSummary  # noqa: E402

queue_bench.PG_NAME = "visitcheck_alerts_bench"
CONCERNS = 100


def seed_groups(session: DbSession, *, lead: User, count: int, keyring: Keyring) -> None:
    """`count` groups: households of the lead's team, each alerted about one of
    CONCERNS concerns, raised an hour apart back from now."""
    practitioners = list(session.scalars(select(User).where(
        User.team_id == lead.team_id, User.role.in_(["health_visitor", "school_nurse"]))
        .order_by(User.id)))[:2]
    concerns = []
    for number in range(CONCERNS):
        person = Person(uuid=str(uuid.uuid4()), team_id=lead.team_id)
        encrypt_fields(person, {"names": [f"Adult {number}"]}, keyring=keyring)
        concern = Concern(uuid=str(uuid.uuid4()), team_id=lead.team_id, person=person,
                          created_by_id=practitioners[0].id)
        encrypt_fields(concern, {"basis": ["allegation_no_outcome"]}, keyring=keyring)
        concerns.append(concern)
    session.add_all(concerns)
    session.flush()
    now = utcnow()
    for start in range(0, count, 1000):
        households = []
        for number in range(start, min(count, start + 1000)):
            household = Household(uuid=str(uuid.uuid4()), team_id=lead.team_id)
            encrypt_fields(household, {"address": f"{number} Bench Row"}, keyring=keyring)
            households.append(household)
        session.add_all(households)
        session.flush()
        alerts = []
        for offset, household in enumerate(households):
            number = start + offset
            raised = now - timedelta(hours=number)
            for index, user in enumerate(practitioners):
                acknowledged = raised if number % 3 > index else None
                alerts.append(Alert(user_id=user.id, concern_id=concerns[number % CONCERNS].id,
                                    household_id=household.id, raised_at=raised,
                                    acknowledged_at=acknowledged))
        session.add_all(alerts)
        session.flush()


TRIGGERS = {"postgresql": [f"DROP TRIGGER alert_groups_{name} ON alerts"
                           for name in ("insert", "delete", "update")],
            "sqlite": [f"DROP TRIGGER alert_groups_{name}"
                       for name in ("insert", "delete", "acknowledge", "update")]}


def write_costs(kind: str, *, lead: User, count: int) -> None:
    """Per alert: raised (an INSERT and a flush) and acknowledged (an UPDATE and a flush)
    one at a time, each into a group that already has alerts, with the summary's triggers
    and then without them. Leaves the triggers dropped: call it last."""
    user_id = db.session.scalars(select(User.id).where(
        User.team_id == lead.team_id, User.role == "school_nurse")).first()
    households = list(db.session.scalars(select(Household.id).where(
        Household.team_id == lead.team_id).order_by(Household.id.desc()).limit(count)))
    concern_ids = []
    for number in range(3):  # new concerns: each (recipient, concern, household) once
        person = Person(uuid=str(uuid.uuid4()), team_id=lead.team_id)
        encrypt_fields(person, {"names": [f"Writer {number}"]}, keyring=keyring())
        concern = Concern(uuid=str(uuid.uuid4()), team_id=lead.team_id, person=person,
                          created_by_id=lead.id)
        encrypt_fields(concern, {"basis": ["allegation_no_outcome"]}, keyring=keyring())
        db.session.add(concern)
        db.session.flush()
        concern_ids.append(concern.id)

    def measure(concern_id: int) -> tuple[float, float]:
        alerts = []
        began = time.perf_counter()
        for household_id in households:
            alert = Alert(user_id=user_id, concern_id=concern_id, household_id=household_id,
                          raised_at=utcnow())
            db.session.add(alert)
            db.session.flush()
            alerts.append(alert)
        raised = time.perf_counter() - began
        began = time.perf_counter()
        for alert in alerts:
            alert.acknowledged_at = utcnow()
            db.session.flush()
        acknowledged = time.perf_counter() - began
        db.session.commit()
        return raised * 1e6 / len(households), acknowledged * 1e6 / len(households)

    measure(concern_ids[0])  # warm
    kept = measure(concern_ids[1])
    for statement in TRIGGERS[kind]:
        db.session.execute(text(statement))
    db.session.commit()
    bare = measure(concern_ids[2])
    for name, with_triggers, without in zip(("raise", "acknowledge"), kept, bare, strict=True):
        print(f"  write: {name} one alert{'':11} {with_triggers:6.0f} µs with the triggers, "
              f"{without:6.0f} µs without (x{with_triggers / without:.2f})")


def run(kind: str, args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url, drop = queue_bench.make_database(kind, workdir)
        try:
            key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
            app = create_app(Config(instance_path=workdir / "instance", database_url=url,
                                    secret_key="bench-secret",  # noqa: S106
                                    master_key=key))
            with app.app_context():
                init_database(db.session, keyring=keyring())
                seed_demo(db.session, password="bench-password-1", keyring=keyring())  # noqa: S106
                lead = db.session.scalars(select(User).where(User.username == "lead")).one()
                began = time.perf_counter()
                seed_groups(db.session, lead=lead, count=args.groups, keyring=keyring())
                db.session.commit()
                if kind == "postgresql":
                    with db.engine.connect().execution_options(
                            isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(text("VACUUM ANALYZE"))
                seeded = time.perf_counter() - began
                lead = db.session.scalars(select(User).where(User.username == "lead")).one()
                alerts = db.session.scalar(select(func.count()).select_from(Alert))
                print(f"\n{kind}: {alerts} alerts in the team (seeded in {seeded:.0f} s)")

                def page(number: int):
                    def call():
                        shown = sharing.team_alerts(db.session, lead=lead, keyring=keyring(),
                                                    page=number)
                        assert shown.groups
                    return call

                def unpaged():
                    """The baseline: the page before it was paged."""
                    groups = sharing.alert_groups(db.session, team_id=lead.team_id,
                                                  keyring=keyring())
                    sharing.audit_alert_groups(db.session, groups=groups, viewer=lead)

                def ordered(number: int):
                    """The page's own SQL for its groups: the total, and the page's
                    groups in order (read from `alert_groups`)."""
                    def call():
                        db.session.scalar(select(func.count()).select_from(
                            AlertGroupSummary).where(
                                AlertGroupSummary.team_id == lead.team_id))
                        db.session.execute(sharing._team_groups(lead.team_id).limit(
                            sharing.ALERTS_PER_PAGE).offset(
                                (number - 1) * sharing.ALERTS_PER_PAGE)).all()
                    return call

                page(1)()  # warm: caches filled
                db.session.rollback()
                base = queue_bench.timed(unpaged, args.runs)
                print(f"  {'baseline: every group, unpaged':34} {queue_bench.spread(base)}")
                last = -(-args.groups // sharing.ALERTS_PER_PAGE)
                for name, call in {"first page": page(1),
                                   f"page {last} (last)": page(last)}.items():
                    ms = queue_bench.timed(call, args.runs)
                    print(f"  {name:34} {queue_bench.spread(ms)}  "
                          f"x{statistics.median(ms) / statistics.median(base):.3f} baseline")
                for name, call in {"its groups' SQL alone: page 1": ordered(1),
                                   f"its groups' SQL alone: page {last}": ordered(last)}.items():
                    print(f"  {name:34} {queue_bench.spread(queue_bench.timed(call, args.runs))}")
                if kind == "postgresql" and args.explain:
                    groups = sharing._team_groups(lead.team_id).limit(20)
                    compiled = groups.compile(db.engine, compile_kwargs={"literal_binds": True})
                    for (line,) in db.session.execute(text(f"EXPLAIN ANALYZE {compiled}")):
                        print(f"    {line}")
                print(f"  queries: page 1 {queue_bench.queries(page(1))}, "
                      f"page {last} {queue_bench.queries(page(last))} "
                      f"(with the audit inserts)")
                if args.writes:
                    write_costs(kind, lead=lead, count=args.writes)
        finally:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--explain", action="store_true",
                        help="print PostgreSQL's plan of the page's groups")
    parser.add_argument("--writes", type=int, default=200,
                        help="alerts raised and acknowledged one at a time (0: none)")
    args = parser.parse_args()
    print(f"{platform.node()}: {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, {args.runs} runs, median [min-max]")
    for kind in args.databases.split(","):
        run(kind, args)


if __name__ == "__main__":
    main()
