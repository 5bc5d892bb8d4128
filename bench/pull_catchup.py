"""A new tablet's catch-up (issue 14 items 2 and 6): a 500-household caseload pulled
from cursor 0 through HTTP (gunicorn, one worker), page after page until `more` is
false. Target on this machine: 2 s.

Each household has a parent and two children and two full submitted home visits,
with the server's flags evaluated and stored. The baseline, in the same run: the
same pages read in process (sync.service.pull, no HTTP, no JSON on the wire).

    .venv/bin/python bench/pull_catchup.py [--families 500] [--visits 2] [--runs 5]
        [--db sqlite|postgres|both]

PostgreSQL: database `visitcheck_queue_bench` on 127.0.0.1, dropped afterwards.
"""

from __future__ import annotations

import argparse
import base64
import json
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


def catch_up_http(port: int, username: str) -> tuple[float, int, int, int]:
    """Seconds, pages, changes and bytes of one catch-up from cursor 0."""
    client = Client(port)
    boot = client.sign_in(username)
    device_id = str(uuid.uuid4())
    headers = {"Content-Type": "application/json", "X-CSRFToken": boot["csrf_token"],
               "X-Visitcheck-Device": device_id}
    client.call("POST", "/api/v1/devices", json.dumps({"device_id": device_id}), headers)
    cursor, more, pages, changes, size = 0, True, 0, 0, 0
    began = time.perf_counter()
    while more:
        status, data = client.call("GET", f"/api/v1/sync/pull?cursor={cursor}&limit={LIMIT}",
                                   headers={"X-Visitcheck-Device": device_id})
        if status != 200:
            raise SystemExit(f"pull answered {status}: {data[:200]!r}")
        answer = json.loads(data)
        cursor, more = answer["cursor"], answer["more"]
        pages, changes, size = pages + 1, changes + len(answer["changes"]), size + len(data)
    return time.perf_counter() - began, pages, changes, size


def catch_up_in_process(app, username: str) -> float:
    with app.app_context():
        user = db.session.query(User).filter_by(username=username).one()
        cursor, more = 0, True
        began = time.perf_counter()
        while more:
            answer = sync.pull(db.session, user=user, cursor=cursor, limit=LIMIT,
                               keyring=keyring())
            cursor, more = answer["cursor"], answer["more"]
        took = time.perf_counter() - began
        db.session.rollback()
        return took


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
            catch_up_http(port, username)  # warm the worker
            http, base = [], []
            for _ in range(args.runs):
                seconds, pages, changes, size = catch_up_http(port, username)
                http.append(seconds)
                base.append(catch_up_in_process(app, username))
            print(f"  {changes} changes in {pages} pages, {size / 1e6:.1f} MB on the wire")
            print(f"  catch-up over HTTP   {statistics.median(http):6.2f} s "
                  f"[{min(http):.2f}-{max(http):.2f}]  target 2 s")
            print(f"  baseline in process  {statistics.median(base):6.2f} s "
                  f"[{min(base):.2f}-{max(base):.2f}]  "
                  f"HTTP x{statistics.median(http) / statistics.median(base):.2f}")
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
    args = parser.parse_args()
    print(f"{platform.node()}: {platform.machine()}, Python {platform.python_version()}, "
          f"{args.runs} runs, median [min-max]")
    for kind in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        run(kind, args)


if __name__ == "__main__":
    main()
