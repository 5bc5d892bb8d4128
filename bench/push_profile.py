"""Profile: where a push of submissions spends its time, in process (no HTTP).

One practitioner with a caseload of 25 families (a parent and two children);
13 pushes of 25 full home-visit submissions give every family a dozen earlier
visits, then one more push is profiled with cProfile: the push's own
transaction (`sync.apply_ops`, commit) and the rules after it
(`sync.push.evaluate_flags`), as `apply_push` runs them. Prints the two
phases' times and the top functions by cumulative time.

    .venv/bin/python bench/push_profile.py --db postgres
    .venv/bin/python bench/push_profile.py --db sqlite --top 40
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import pstats
import random
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sync_ingest import full_checklist, make_database, prepare, sealed, sync_key  # noqa: E402

from visitcheck.config import Config  # noqa: E402
from visitcheck.extensions import db, keyring  # noqa: E402
from visitcheck.keys import b64url_decode  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--families", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=13, help="earlier pushes")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", help="write the raw profile here (pstats)")
    args = parser.parse_args()

    from visitcheck.auth.models import User
    from visitcheck.devices import service as devices
    from visitcheck.sync import push as unit_of_work
    from visitcheck.sync import service as sync

    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url, drop = make_database(args.db, workdir)
        try:
            key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
            config = Config(instance_path=workdir / "instance", database_url=url,
                            secret_key="bench-secret", master_key=key)
            app, template, caseloads = prepare(config, 1, args.families)
            username, homes = caseloads[0]
            with app.app_context():
                boot_key = sync_key(app)
                public_key, kid = b64url_decode(boot_key["public_key"]), boot_key["kid"]

                def push_ops():
                    return [sealed(full_checklist(template, *home, rng, "submitted"),
                                   public_key, kid) for home in homes]

                user = db.session.query(User).filter_by(username=username).one()
                device = str(uuid.uuid4())
                devices.register(db.session, user=user, device_id=device, label="profile")
                db.session.commit()
                for _ in range(args.rounds):
                    unit_of_work.apply_push(db.session, user=user, device_id=device,
                                            ops=push_ops(), keyring=keyring())
                ops = push_ops()
                profile = cProfile.Profile()
                profile.enable()
                start = time.perf_counter()
                answers = sync.apply_ops(db.session, user=user, device_id=device, ops=ops,
                                         keyring=keyring())
                db.session.commit()
                applied = time.perf_counter()
                unit_of_work.evaluate_flags(db.session, ops=ops, answers=answers,
                                            keyring=keyring())
                done = time.perf_counter()
                profile.disable()
                db.engine.dispose()
        finally:
            drop()
    print(f"{args.db}: push of {len(ops)} submissions, {args.rounds} earlier visits per family:"
          f" apply+commit {1000 * (applied - start):.0f} ms, rules after it "
          f"{1000 * (done - applied):.0f} ms (profiled, so slower than unprofiled)")
    if args.save:
        profile.dump_stats(args.save)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
