"""A new tablet's catch-up (issue 14 items 2 and 6): a 500-household caseload pulled
from cursor 0 through HTTP (gunicorn, one worker), page after page until `more` is
false. Target on this machine: 2 s.

Each household has a parent and two children and two full submitted home visits,
with the server's flags evaluated and stored. The baseline, in the same run: the
same pages read in process (sync.service.pull, no HTTP, no JSON on the wire).

The client asks for compressed answers as a browser does (`Accept-Encoding: br,
gzip`; `--identity` for none). Besides wall time, which other work on a shared
machine stretches, the server worker's CPU seconds are read from /proc, and the
baseline's from the process clock: those show the pull's own cost.

    .venv/bin/python bench/pull_catchup.py [--families 500] [--visits 2] [--runs 5]
        [--db sqlite|postgres|both]

PostgreSQL: database `visitcheck_queue_bench` on 127.0.0.1, dropped afterwards.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import brotli  # noqa: E402
import review_queue  # noqa: E402
from review_queue import make_database  # noqa: E402
from sync_ingest import Client, full_checklist, prepare, sealed, start_gunicorn, sync_key  # noqa: E402

from visitcheck.auth.models import User  # noqa: E402
from visitcheck.config import Config  # noqa: E402
from visitcheck.devices import service as devices  # noqa: E402
from visitcheck.extensions import db, keyring  # noqa: E402
from visitcheck.keys import b64url_decode  # noqa: E402
from visitcheck.rules import service as rules  # noqa: E402
from visitcheck.sync import service as sync  # noqa: E402

LIMIT = 500  # the most a device asks for (MAX_PULL_LIMIT)
# Its own PostgreSQL database, so that it never drops the queue bench's mid-run.
review_queue.PG_NAME = "visitcheck_pull_bench"
ACCEPT = {"": {}, "br": {"Accept-Encoding": "br, gzip"}}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pid(master: int) -> int:
    """The one gunicorn worker the master started."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def decoded(data: bytes, encoding: str | None) -> bytes:
    if encoding == "br":
        return brotli.decompress(data)
    if encoding == "gzip":
        return gzip.decompress(data)
    return data


def catch_up_http(port: int, username: str, encoding: str = "br", worker: int | None = None
                  ) -> tuple[float, float, int, int, int, int]:
    """Seconds, the server worker's CPU seconds (when `worker` is given; sign-in not
    included), pages, changes, bytes on the wire and bytes of JSON of one catch-up
    from cursor 0."""
    client = Client(port)
    boot = client.sign_in(username)
    device_id = str(uuid.uuid4())
    headers = {"Content-Type": "application/json", "X-CSRFToken": boot["csrf_token"],
               "X-Visitcheck-Device": device_id}
    client.call("POST", "/api/v1/devices", json.dumps({"device_id": device_id}), headers)
    cursor, more, pages, changes, size, plain = 0, True, 0, 0, 0, 0
    cpu = cpu_seconds(worker) if worker else 0.0
    began = time.perf_counter()
    while more:
        status, data = client.call("GET", f"/api/v1/sync/pull?cursor={cursor}&limit={LIMIT}",
                                   headers={"X-Visitcheck-Device": device_id,
                                            **ACCEPT[encoding]})
        if status != 200:
            raise SystemExit(f"pull answered {status}: {data[:200]!r}")
        body = decoded(data, client.last_encoding)
        answer = json.loads(body)
        cursor, more = answer["cursor"], answer["more"]
        pages, changes = pages + 1, changes + len(answer["changes"])
        size, plain = size + len(data), plain + len(body)
    took = time.perf_counter() - began
    cpu = cpu_seconds(worker) - cpu if worker else 0.0
    return took, cpu, pages, changes, size, plain


def catch_up_in_process(app, username: str) -> tuple[float, float]:
    """Seconds and CPU seconds of the same pages read in process."""
    with app.app_context():
        user = db.session.query(User).filter_by(username=username).one()
        cursor, more = 0, True
        began, cpu = time.perf_counter(), time.process_time()
        while more:
            answer = sync.pull(db.session, user=user, cursor=cursor, limit=LIMIT,
                               keyring=keyring())
            cursor, more = answer["cursor"], answer["more"]
        took = time.perf_counter() - began, time.process_time() - cpu
        db.session.rollback()
        return took


def figures(label: str, values: list[float], unit: str = "s", extra: str = "") -> None:
    print(f"  {label:<32} {statistics.median(values):6.2f} {unit} "
          f"[{min(values):.2f}-{max(values):.2f}]{extra}")


def run(kind: str, args) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url, drop = make_database("sqlite" if kind == "sqlite" else "postgresql", workdir)
        server = None
        try:
            key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
            config = Config(instance_path=workdir / "instance", database_url=url,
                            secret_key="bench-secret", master_key=key)  # noqa: S106
            began = time.perf_counter()
            app, template, caseloads = prepare(config, 0, args.families)
            username, homes = caseloads[0]
            with app.app_context():
                boot = sync_key(app)
                public_key, kid = b64url_decode(boot["public_key"]), boot["kid"]
                user = db.session.query(User).filter_by(username=username).one()
                device = str(uuid.uuid4())
                devices.register(db.session, user=user, device_id=device, label="seed")
                db.session.commit()
                for home in homes:
                    for _ in range(args.visits):
                        op = sealed(full_checklist(template, *home, rng, "submitted"),
                                    public_key, kid)
                        answer = sync.apply_op(db.session, user=user, device_id=device,
                                               op=op, keyring=keyring())
                        assert answer["status"] == "applied", answer  # noqa: S101
                    db.session.commit()
                while rules.evaluate_due_flags(db.session, keyring=keyring(), limit=200):
                    db.session.commit()
                db.session.commit()
            print(f"\n{kind}: {len(homes)} households, {len(homes) * args.visits} visits "
                  f"(seeded in {time.perf_counter() - began:.0f} s)")
            server, port = start_gunicorn(config, 1, workdir)
            encoding = "" if args.identity else "br"
            catch_up_http(port, username, encoding)  # warm the worker
            worker = worker_pid(server.pid)
            http, http_cpu, base, base_cpu = [], [], [], []
            for _ in range(args.runs):
                seconds, cpu, pages, changes, size, plain = catch_up_http(
                    port, username, encoding, worker)
                http.append(seconds)
                http_cpu.append(cpu)
                took, cpu = catch_up_in_process(app, username)
                base.append(took)
                base_cpu.append(cpu)
            print(f"  {changes} changes in {pages} pages, {plain / 1e6:.1f} MB of JSON, "
                  f"{size / 1e6:.2f} MB on the wire ({encoding or 'identity'}); "
                  f"load average {Path('/proc/loadavg').read_text().split()[0]}")
            ratio = statistics.median(http) / statistics.median(base)
            figures("catch-up over HTTP", http, extra="  target 2 s")
            figures("baseline in process", base, extra=f"  HTTP x{ratio:.2f}")
            figures("server worker CPU", http_cpu, extra=(
                f"  x{statistics.median(http_cpu) / statistics.median(base_cpu):.2f}"
                " of the baseline's"))
            figures("baseline CPU", base_cpu)
        finally:
            if server is not None:
                server.terminate()
                server.wait()
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=500)
    parser.add_argument("--visits", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--identity", action="store_true",
                        help="ask for uncompressed answers (no Accept-Encoding)")
    args = parser.parse_args()
    print(f"{platform.node()}: {platform.machine()}, Python {platform.python_version()}, "
          f"{args.runs} runs, median [min-max]")
    for kind in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        run(kind, args)


if __name__ == "__main__":
    main()
