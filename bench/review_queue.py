"""The lead's queue over a trust's worth of checklists (issue 14 items 1 and 6).

Seeds N checklists (default 100,000) for one team with bulk inserts (tests/bulk.py:
sealed rows, stored flags with encrypted reasons), then times the queue's service
call as a request makes it (server time, no HTTP): the first page, a later page and
a flag filter, and counts its queries for page sizes 25 and 100. The baseline, in
the same run: the bare SQL a page took before the queue was served by an index and
counters (a COUNT over the team's reviewable checklists and their ids sorted by
flag_rank and submitted_at), with no rows built and nothing decrypted. A ratio below
1 is a page, built and decrypted, cheaper than that bare SQL alone.

    .venv/bin/python bench/review_queue.py [--checklists 100000] [--runs 5]
        [--databases sqlite,postgresql] [--keep DIR] [--explain] [--no-vacuum]
        [--pg-database NAME]

PostgreSQL: database `visitcheck_queue_bench` on 127.0.0.1 (or --pg-database), dropped
afterwards, `VACUUM ANALYZE`d after seeding unless --no-vacuum.
With `--keep DIR` the seeded databases are kept (SQLite's file, the master key and
the instance in DIR; PostgreSQL's database as it is) and a later run with the same
DIR reuses them, migrating them first: seeding 100,000 checklists takes minutes, and
the code of two branches can be measured over the same rows. `--explain` prints
PostgreSQL's plans (EXPLAIN ANALYZE, BUFFERS) of every query of the slow cases.
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, func, select, text  # noqa: E402

from tests.bulk import seed_checklists  # noqa: E402
from visitcheck import create_app  # noqa: E402
from visitcheck.auth.models import User  # noqa: E402
from visitcheck.checklists.models import Checklist  # noqa: E402
from visitcheck.config import Config  # noqa: E402
from visitcheck.demo import seed_demo  # noqa: E402
from visitcheck.extensions import db, keyring  # noqa: E402
from visitcheck.review import queue as review  # noqa: E402
from visitcheck.review.decisions import REVIEWABLE  # noqa: E402
from visitcheck.setup_service import init_database  # noqa: E402

PG_NAME = "visitcheck_queue_bench"
# What --databases accepts. "postgres" once ran PostgreSQL without the VACUUM ANALYZE
# below (it checked for "postgresql" only): a run of 30 November measured a database
# with no statistics (docs/performance.md).
DATABASES = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql"}


def make_database(kind: str, workdir: Path, *, keep: bool,
                  name: str = PG_NAME) -> tuple[str, Callable[[], None]]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}", lambda: None
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        there = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                            {"name": name})
        if not (keep and there):
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"CREATE DATABASE {name}"))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    if keep:
        admin.dispose()
        return url, lambda: None

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    return url, drop


def master_key(workdir: Path) -> str:
    """The key the kept rows were sealed under (a new one for a fresh workdir)."""
    kept = workdir / "master.key"
    if kept.exists():
        return kept.read_text().strip()
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    kept.write_text(key)
    return key


def timed(call: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        out.append((time.perf_counter() - began) * 1000)
        db.session.rollback()  # the audit event of each showing: not kept
    return out


def queries(call: Callable[[], object]) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        db.session.rollback()
    return len(statements)


def explain(call: Callable[[], object], *, slower_than_ms: float = 2.0) -> None:
    """PostgreSQL's plan (EXPLAIN ANALYZE, BUFFERS) of each SELECT the call makes: one
    line each, and the whole plan of those slower than `slower_than_ms`."""
    statements: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
        db.session.rollback()
    with db.engine.connect() as conn:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            plan = [line for (line,) in conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)]
            took = next((float(line.split()[2]) for line in plan
                         if line.startswith("Execution Time")), 0.0)
            print(f"    {took:7.2f} ms  {' '.join(statement.split())[:110]}")
            if took >= slower_than_ms:
                print("\n".join("              " + line for line in plan))
        conn.rollback()


def table_state() -> str:
    """Whether PostgreSQL has statistics and a visibility map for the queue's tables:
    without them its plans for a deep page and for 100 rows are other plans
    (docs/performance.md, 30 November)."""
    out = []
    for name, pages, visible, analyzed in db.session.execute(text(
            "SELECT c.relname, c.relpages, c.relallvisible,"
            " coalesce(s.last_analyze, s.last_autoanalyze) IS NOT NULL"
            " FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid"
            " WHERE c.relname IN ('checklists', 'checklist_flags') ORDER BY 1")):
        out.append(f"{name}: {'analyzed' if analyzed else 'never analyzed'}, "
                   f"{visible} of {pages} pages all-visible")
    return "; ".join(out)


def spread(ms: list[float]) -> str:
    return f"{statistics.median(ms):8.1f} ms [{min(ms):.1f}-{max(ms):.1f}]"


def run(kind: str, args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.keep or tmp) / kind
        workdir.mkdir(parents=True, exist_ok=True)
        url, drop = make_database(kind, workdir, keep=bool(args.keep), name=args.pg_database)
        try:
            app = create_app(Config(instance_path=workdir / "instance", database_url=url,
                                    secret_key="bench-secret",  # noqa: S106
                                    master_key=master_key(workdir)))
            with app.app_context():
                init_database(db.session, keyring=keyring())
                began = time.perf_counter()
                if not db.session.scalar(select(User.id).where(User.username == "lead")):
                    seed_demo(db.session, password="bench-password-1",  # noqa: S106
                              keyring=keyring())
                lead = db.session.scalars(select(User).where(User.username == "lead")).one()
                if db.session.scalar(select(func.count()).select_from(Checklist)
                                     ) < args.checklists:
                    seed_checklists(db.session, team_id=lead.team_id,
                                    count=args.checklists, keyring=keyring())
                db.session.commit()
                if kind == "postgresql" and not args.no_vacuum:
                    # As autovacuum leaves a table that has settled: statistics, and a
                    # visibility map so that index-only scans stay index-only. This
                    # machine's PostgreSQL runs with autovacuum off (its CI settings),
                    # so without it the planner has no statistics at all.
                    with db.engine.connect().execution_options(
                            isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(text("VACUUM ANALYZE"))
                seeded = time.perf_counter() - began
                lead = db.session.scalars(select(User).where(User.username == "lead")).one()
                total = db.session.scalar(select(func.count()).select_from(Checklist))
                print(f"\n{kind}: {total} checklists in the team (seeded in {seeded:.0f} s)")
                if kind == "postgresql":
                    print(f"  {table_state()}")
                    db.session.rollback()

                def page(number: int, per_page: int = 25, **filters):
                    def call():
                        review.team_queue(db.session, lead=lead, keyring=keyring(),
                                          filters=review.QueueFilters(page=number, **filters),
                                          per_page=per_page)
                    return call

                def bare(number: int, per_page: int = 25):
                    """The baseline: the SQL of a page before 0027 (a count, the ids sorted)."""
                    def call():
                        scope = [Checklist.team_id == lead.team_id,
                                 Checklist.status.in_(REVIEWABLE)]
                        db.session.scalar(select(func.count()).select_from(Checklist)
                                          .where(*scope))
                        db.session.scalars(select(Checklist.id).where(*scope).order_by(
                            Checklist.flag_rank, Checklist.submitted_at, Checklist.id)
                            .limit(per_page).offset((number - 1) * per_page)).all()
                    return call

                page(1)()  # warm: templates loaded, caches filled
                db.session.rollback()
                base = timed(bare(1), args.runs)
                cases = {"first page": page(1), "page 200": page(200),
                         "flag filter (mappa-check)": page(1, flag="mappa-check"),
                         # Its first match 40,000 checklists into the order (the urgent
                         # flag is on approved ones, after every one awaiting).
                         "flag filter (poc-contact)": page(1, flag="poc-contact"),
                         "flag filter, page 200": page(200, flag="mappa-check"),
                         # Urgent, as poc-contact, only on approved ones: the first
                         # 40,000 checklists in the order carry none.
                         "severity filter (urgent)": page(1, severity="urgent"),
                         "severity filter, page 200": page(200, severity="urgent"),
                         "severity filter (action)": page(1, severity="action"),
                         # A flag with another filter is not read off the flags' index
                         # (queue._read_off_flags): the order is walked, each probed.
                         "flag and status (poc-contact, submitted)":
                             page(1, flag="poc-contact", status="submitted"),
                         "flag and status (mappa-check, approved)":
                             page(1, flag="mappa-check", status="approved"),
                         "first page, 100 rows": page(1, per_page=100)}
                print(f"  {'baseline: bare SQL of a page':40} {spread(base)}")
                for name, call in cases.items():
                    ms = timed(call, args.runs)
                    print(f"  {name:40} {spread(ms)}  "
                          f"x{statistics.median(ms) / statistics.median(base):.1f} baseline")
                if args.explain and kind == "postgresql":
                    for name in ("page 200", "first page, 100 rows", "flag filter (mappa-check)",
                                 "flag filter (poc-contact)", "severity filter (urgent)",
                                 "severity filter, page 200"):
                        print(f"  plans, {name}:")
                        explain(cases[name])
                for per_page in (25, 100):
                    print(f"  queries, {per_page} rows a page: page 1 "
                          f"{queries(page(1, per_page))}, page 3 {queries(page(3, per_page))}")
        finally:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checklists", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--keep", metavar="DIR", default="",
                        help="keep the seeded databases (and reuse those kept in DIR)")
    parser.add_argument("--explain", action="store_true",
                        help="print PostgreSQL's plans of the slow cases' queries")
    parser.add_argument("--pg-database", default=PG_NAME, metavar="NAME",
                        help=f"PostgreSQL's database (default {PG_NAME})")
    parser.add_argument("--no-vacuum", action="store_true",
                        help="leave PostgreSQL's tables as the bulk inserts left them: no "
                             "statistics, no visibility map (autovacuum is off here)")
    args = parser.parse_args()
    unknown = [k for k in args.databases.split(",") if k not in DATABASES]
    if unknown:
        parser.error(f"--databases: not one of {', '.join(DATABASES)}: {', '.join(unknown)}")
    print(f"{platform.node()}: {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, {args.runs} runs, median [min-max]")
    for kind in args.databases.split(","):
        run(DATABASES[kind], args)


if __name__ == "__main__":
    main()
