"""Benchmark: how many sealed checklists per second the sync endpoint ingests.

Pushes N sealed `checklist.put` ops, each a full home-visit checklist filled
from the template, from D concurrent simulated devices against the app served
by gunicorn, and compares with a baseline measured in the same run: opening
the envelope and storing the checklist directly, in process, without HTTP.
Each device is a practitioner with a caseload of their own families; visits
go round them, so by the end each family has about a dozen earlier visits.

Two kinds of op: a draft save, and a submission, for which the push also runs
the server's rules over everything the team holds before it answers (after
its commit, outside the feed lock). The baselines store without the rules:

- the strict baseline (issue 14): the same batches, one commit per push, in
  process through the push's unit of work minus its rules (`sync.apply_ops`),
  no HTTP. `ratio` is over this one;
- the per-op baseline (the bench's first): one op, one commit, which is slower
  than the pushes it is compared with (their ratios looked like 2 to 5).

`--sweep` measures instead how ingest grows with devices and teams: 8 devices in
one team, then 32 devices across 4 teams (each team its own feed lock), the same
number of visits per family; ops/s and p50 per push, and the ratio of the two.

    .venv/bin/python bench/sync_ingest.py                     # both, SQLite and PostgreSQL
    .venv/bin/python bench/sync_ingest.py --db sqlite --status draft --ops 2000
    .venv/bin/python bench/sync_ingest.py --db postgres --status submitted --sweep

Prints ops/s, p50/p95 latency per request and the ratio to the baseline.
Target on a 2-core machine: >= 400 checklists/s and >= 0.7 of the strict
baseline; 32 devices across 4 teams at least match 8 devices in one.
Everything runs on 127.0.0.1; the run stops by itself.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answers import fill  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from visitcheck import create_app  # noqa: E402
from visitcheck.auth import service as auth  # noqa: E402
from visitcheck.checklists import service as checklists  # noqa: E402
from visitcheck.config import Config  # noqa: E402
from visitcheck.extensions import db, keyring  # noqa: E402
from visitcheck.keys import b64url_decode, seal, sealed_aad  # noqa: E402
from visitcheck.people import service as people  # noqa: E402
from visitcheck.people.models import Residence  # noqa: E402
from visitcheck.setup_service import init_database  # noqa: E402
from visitcheck.sync import service as sync  # noqa: E402

PASSWORD = "benchmark-password"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


# --- a realistic checklist ---------------------------------------------------------


def full_checklist(template, household_id, children, rng, status: str) -> dict:
    answers = {s["id"]: fill(s["fields"], rng, {"children": children})
               for s in template["sections"]}
    return {"template": template["template"], "template_version": template["version"],
            "household_id": household_id, "status": status, "answers": answers,
            "saved_at": datetime.now(UTC).isoformat()}


def sealed(payload: dict, public_key: bytes, kid: str) -> dict:
    op_id, entity_id = str(uuid.uuid4()), str(uuid.uuid4())
    envelope = seal(json.dumps(payload).encode(), public_key=public_key, kid=kid,
                    aad=sealed_aad("checklist.put", entity_id, op_id, 0))
    return {"op_id": op_id, "type": "checklist.put", "entity_id": entity_id, "base_rev": 0,
            "sealed": envelope}


# --- set-up ----------------------------------------------------------------------


def make_database(kind: str, workdir: Path) -> tuple[str, callable]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}", lambda: None
    name = f"visitcheck_bench_{os.getpid()}"
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


def prepare(config: Config, devices: int, families: int, teams: int = 1):
    """Practitioners spread over `teams` teams (device n in team n % teams; the last
    one is the baselines'), each with a caseload of `families` households of a parent
    and two children. Returns the app, the template, and per practitioner their
    username and [(household, children)]."""
    app = create_app(config)
    with app.app_context():
        init_database(db.session, keyring=keyring())
        team_rows = [auth.get_or_create_team(db.session, name=f"Bench Team {t}")
                     for t in range(teams)]
        spec = people.MemberSpec
        caseloads = []
        for n in range(devices + 1):
            team = team_rows[n % teams]
            user = auth.create_user(db.session, username=f"bench{n}", password=PASSWORD,
                                    role="health_visitor", team=team)
            homes = []
            for f in range(families):
                household = people.create_household(
                    db.session, team=team, address=f"{f + 1} Bench Road {n}", keyring=keyring(),
                    members=[spec("Parent", Residence.LIVES_HERE),
                             spec("Child one", Residence.LIVES_HERE, is_child=True),
                             spec("Child two", Residence.LIVES_HERE, is_child=True)])
                people.assign_caseload(db.session, user=user, household=household)
                homes.append((household.uuid, sorted(people.child_ids(db.session, household))))
            caseloads.append((user.username, homes))
        db.session.commit()
        version = max(t["version"] for t in checklists.all_templates(db.session)
                      if t["template"] == "home-visit")
        template = checklists.template_definition(db.session, template="home-visit",
                                                  version=version)
        return app, template, caseloads


def flags_still_due(usernames: list[str]) -> int:
    """Submissions pushed by these users whose server flags were not evaluated."""
    from sqlalchemy import func, select

    from visitcheck.auth.models import User
    from visitcheck.checklists.models import Checklist

    return db.session.scalar(
        select(func.count()).select_from(Checklist).join(User, User.id == Checklist.author_id)
        .where(Checklist.flags_due.is_(True), User.username.in_(usernames)))


# --- the measurements ---------------------------------------------------------------


def strict_baseline(app, ops: list[dict], username: str, batch: int) -> float:
    """The same batches as the devices push, one commit per push, in process: the
    push's own transaction (`sync.apply_ops`) without HTTP and without the rules."""
    from visitcheck.auth.models import User
    from visitcheck.devices import service as devices

    with app.app_context():
        user = db.session.query(User).filter_by(username=username).one()
        device = str(uuid.uuid4())
        devices.register(db.session, user=user, device_id=device, label="strict baseline")
        db.session.commit()
        start = time.perf_counter()
        for first in range(0, len(ops), batch):
            answers = sync.apply_ops(db.session, user=user, device_id=device,
                                     ops=ops[first:first + batch], keyring=keyring())
            assert all(a["status"] == "applied" for a in answers), answers
            db.session.commit()
        return len(ops) / (time.perf_counter() - start)


def baseline(app, ops: list[dict], username: str) -> float:
    """Open and store each op in process, one op per transaction: the sync service
    without HTTP, and without the server's rules (a push runs them after its commit)."""
    from visitcheck.auth.models import User
    from visitcheck.devices import service as devices

    with app.app_context():
        user = db.session.query(User).filter_by(username=username).one()
        device = str(uuid.uuid4())
        devices.register(db.session, user=user, device_id=device, label="baseline")
        db.session.commit()
        start = time.perf_counter()
        for op in ops:
            answer = sync.apply_op(db.session, user=user, device_id=device, op=op,
                                   keyring=keyring())
            assert answer["status"] == "applied", answer
            db.session.commit()
        return len(ops) / (time.perf_counter() - start)


class Client:
    def __init__(self, port: int):
        self.port, self.cookies = port, {}
        self.last_encoding: str | None = None  # the last answer's Content-Encoding

    def call(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        self.last_encoding = response.getheader("Content-Encoding")
        conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, data

    def sign_in(self, username: str) -> dict:
        _, page = self.call("GET", "/login")
        token = CSRF_INPUT.search(page.decode()).group(1)
        status, _ = self.call("POST", "/login",
                              f"username={username}&password={PASSWORD}&csrf_token={token}",
                              {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302, status
        return json.loads(self.call("GET", "/api/v1/bootstrap")[1])


def over_http(port: int, users: list[str], ops_by_device: list[list[dict]], batch: int):
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []

    def device(username: str, ops: list[dict]):
        client = Client(port)
        boot = client.sign_in(username)
        device_id = str(uuid.uuid4())
        headers = {"Content-Type": "application/json", "X-CSRFToken": boot["csrf_token"],
                   "X-Visitcheck-Device": device_id}
        client.call("POST", "/api/v1/devices", json.dumps({"device_id": device_id}), headers)
        # Made before the clock starts: on a real tablet this is the tablet's work, not
        # the server machine's.
        bodies = [json.dumps({"device_id": device_id, "ops": ops[start:start + batch]})
                  for start in range(0, len(ops), batch)]
        prepared.wait()
        for body in bodies:
            began = time.perf_counter()
            status, data = client.call("POST", "/api/v1/sync/push", body, headers)
            took = time.perf_counter() - began
            results = json.loads(data)["results"] if status == 200 else []
            with lock:
                latencies.append(took)
                if status != 200 or any(r["status"] != "applied" for r in results):
                    errors.append(f"{status} {data[:200]!r}")

    # Everyone signed in, registered and ready before the clock starts; a device that
    # fails before then breaks the barrier instead of hanging the run.
    prepared = threading.Barrier(len(users) + 1, timeout=300)
    threads = [threading.Thread(target=device, args=(u, o)) for u, o in
               zip(users, ops_by_device, strict=True)]
    for thread in threads:
        thread.start()
    prepared.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")
    total = sum(len(o) for o in ops_by_device)
    return total / elapsed, latencies


def start_gunicorn(config: Config, workers: int, workdir: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": config.database_url,
           "VISITCHECK_MASTER_KEY": config.master_key, "SECRET_KEY": "bench-secret",
           "VISITCHECK_SYNC_RATE_LIMIT": "1000000/minute"}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--chdir", str(workdir), "--timeout", "300", "visitcheck:create_app()"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def run(kind: str, status: str, args, *, devices: int | None = None, teams: int = 1,
        families: int | None = None) -> dict:
    import random

    devices = devices or args.devices
    families = families or args.families
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url, drop = make_database(kind, workdir)
        try:
            key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
            config = Config(instance_path=workdir / "instance", database_url=url,
                            secret_key="bench-secret", master_key=key)
            app, template, caseloads = prepare(config, devices, families, teams)
            with app.app_context():
                boot_key = sync_key(app)
            public_key, kid = b64url_decode(boot_key["public_key"]), boot_key["kid"]

            def ops(n, homes):
                return [sealed(full_checklist(template, *homes[i % len(homes)], rng, status),
                               public_key, kid) for i in range(n)]

            per_device = args.ops // devices
            http_ops = [ops(per_device, homes) for _, homes in caseloads[:-1]]
            base_ops = ops(args.baseline_ops, caseloads[-1][1])
            strict_ops = ops(args.baseline_ops, caseloads[-1][1])
            sample = json.dumps(base_ops[0])
            strict_rate = strict_baseline(app, strict_ops, caseloads[-1][0], args.batch)
            base_rate = baseline(app, base_ops, caseloads[-1][0]) if not args.sweep else 0.0
            with app.app_context():
                db.engine.dispose()
            process, port = start_gunicorn(replace(config), args.workers, workdir)
            try:
                rate, latencies = over_http(port, [u for u, _ in caseloads[:-1]], http_ops,
                                            args.batch)
            finally:
                process.terminate()
                process.wait(timeout=60)
            with app.app_context():
                due = flags_still_due([u for u, _ in caseloads[:-1]])
                db.engine.dispose()
        finally:
            drop()
    latencies.sort()
    return {
        "db": kind, "status": status, "ops": per_device * devices,
        "devices": devices, "teams": teams, "batch": args.batch, "workers": args.workers,
        "op_bytes": len(sample), "ops_per_s": rate, "baseline_ops_per_s": base_rate,
        "strict_ops_per_s": strict_rate, "ratio": rate / strict_rate,
        "per_op_ratio": rate / base_rate if base_rate else 0.0, "flags_due": due,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
    }


def sync_key(app) -> dict:
    from visitcheck.keys.service import current_sealing_key

    return current_sealing_key(db.session).as_json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--status", choices=["draft", "submitted", "both"], default="both")
    parser.add_argument("--ops", type=int, default=4000)
    parser.add_argument("--baseline-ops", type=int, default=1000)
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--families", type=int, default=25, help="households per device")
    parser.add_argument("--batch", type=int, default=25, help="ops per push (the tablet sends 25)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--sweep", action="store_true",
                        help="8 devices in 1 team vs 32 devices across 4 teams")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.platform()}")
    print(f"{args.ops} ops from {args.devices} devices ({args.families} families each), "
          f"batches of {args.batch}, gunicorn -w {args.workers}")
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    statuses = ["draft", "submitted"] if args.status == "both" else [args.status]
    if args.sweep:
        sweep(kinds, statuses, args)
        return
    print(f"{'db':9} {'op':9} {'ops':>6} {'bytes/op':>8} {'ops/s':>8} {'p50 ms':>8} "
          f"{'p95 ms':>8} {'strict/s':>9} {'ratio':>6} {'per-op/s':>9} {'ratio':>6} "
          f"{'flags due':>9}")
    for kind in kinds:
        for status in statuses:
            r = run(kind, status, args)
            print(f"{r['db']:9} {r['status']:9} {r['ops']:>6} {r['op_bytes']:>8} "
                  f"{r['ops_per_s']:>8.0f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
                  f"{r['strict_ops_per_s']:>9.0f} {r['ratio']:>6.2f} "
                  f"{r['baseline_ops_per_s']:>9.0f} {r['per_op_ratio']:>6.2f} "
                  f"{r['flags_due']:>9}", flush=True)


# 8 devices in one team, then 32 across four: the same visits per family in both.
SWEEP = [(8, 1), (32, 4)]


def sweep(kinds: list[str], statuses: list[str], args) -> None:
    visits_per_family = max(1, args.ops // args.devices // args.families)
    print(f"sweep: {visits_per_family} visits per family in every run")
    print(f"{'db':9} {'op':9} {'devices':>7} {'teams':>5} {'ops':>6} {'ops/s':>8} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'strict/s':>9} {'ratio':>6} {'vs 8':>6}")
    for kind in kinds:
        for status in statuses:
            first = None
            for devices, teams in SWEEP:
                families = max(1, args.ops // devices // visits_per_family)
                r = run(kind, status, args, devices=devices, teams=teams, families=families)
                first = first or r["ops_per_s"]
                print(f"{r['db']:9} {r['status']:9} {devices:>7} {teams:>5} {r['ops']:>6} "
                      f"{r['ops_per_s']:>8.0f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
                      f"{r['strict_ops_per_s']:>9.0f} {r['ratio']:>6.2f} "
                      f"{r['ops_per_s'] / first:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
