"""Profile: where a push of submissions spends its time, in process (no HTTP).

One practitioner with a caseload of 25 families (a parent and two children);
13 pushes of 25 full home-visit submissions give every family a dozen earlier
visits, then one more push is profiled with cProfile: the push's own
transaction (`sync.apply_ops`, commit) and the rules after it
(`sync.push.evaluate_flags`), as `apply_push` runs them. Prints the two
phases' times and the top functions by cumulative time.

    .venv/bin/python bench/push_profile.py --db postgres
    .venv/bin/python bench/push_profile.py --db sqlite --top 40
    .venv/bin/python bench/push_profile.py --db postgres --timed 8

`--timed N` profiles nothing: it times N more pushes' rules phase and prints the
medians of its CPU time (`time.process_time`, which another process's load moves
far less than the wall clock) and of its parts: reading the team's data, the
contexts, the rules. A profiler inflates the rules' Python calls several times
over; compare two trees' code with this, run in the same minutes.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import pstats
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

from sqlalchemy import event  # noqa: E402
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
    parser.add_argument("--status", choices=["submitted", "draft"], default="submitted",
                        help="the status of every push's checklists")
    parser.add_argument("--save", help="write the raw profile here (pstats)")
    parser.add_argument("--timed", type=int, default=0, metavar="N",
                        help="no profile: time N pushes' rules phase in CPU, by part")
    parser.add_argument("--pyinstrument", action="store_true",
                        help="profile with pyinstrument (a sampling profiler, installed "
                             "apart) instead of cProfile, and print its tree")
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
                    return [sealed(full_checklist(template, *home, rng, args.status),
                                   public_key, kid) for home in homes]

                user = db.session.query(User).filter_by(username=username).one()
                device = str(uuid.uuid4())
                devices.register(db.session, user=user, device_id=device, label="profile")
                db.session.commit()
                for _ in range(args.rounds):
                    unit_of_work.apply_push(db.session, user=user, device_id=device,
                                            ops=push_ops(), keyring=keyring())
                if args.timed:
                    timed(args, lambda: push_ops(), user, device)
                    db.engine.dispose()
                    return
                ops = push_ops()
                statements: list[int] = []

                def count(*_: object) -> None:
                    statements.append(1)

                event.listen(db.engine, "before_cursor_execute", count)
                collecting = Collections()
                gc.callbacks.append(collecting)
                profile = Sampler() if args.pyinstrument else cProfile.Profile()
                profile.start() if args.pyinstrument else profile.enable()
                start = time.perf_counter()
                answers = sync.apply_ops(db.session, user=user, device_id=device, ops=ops,
                                         keyring=keyring())
                db.session.commit()
                applied, in_push = time.perf_counter(), len(statements)
                unit_of_work.evaluate_flags(db.session, ops=ops, answers=answers,
                                            keyring=keyring())
                done = time.perf_counter()
                profile.stop() if args.pyinstrument else profile.disable()
                event.remove(db.engine, "before_cursor_execute", count)
                gc.callbacks.remove(collecting)
                db.engine.dispose()
        finally:
            drop()
    print(f"{args.db}: push of {len(ops)} {args.status} checklists, {args.rounds} earlier"
          f" visits per family:"
          f" apply+commit {1000 * (applied - start):.0f} ms, rules after it "
          f"{1000 * (done - applied):.0f} ms (profiled, so slower than unprofiled); "
          f"statements: {in_push} in the push, {len(statements) - in_push} in the rules; "
          f"garbage collections: {collecting}")
    if args.pyinstrument:
        print(profile.output_text(show_all=False))
        return
    if args.save:
        profile.dump_stats(args.save)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


def timed(args: argparse.Namespace, push_ops, user, device) -> None:
    """`--timed`: N pushes applied and committed, then their rules phase timed in CPU,
    with the reading, the contexts and the rules' own evaluation apart."""
    from visitcheck.rules import context, engine
    from visitcheck.sync import push as unit_of_work
    from visitcheck.sync import service as sync

    parts: dict[str, float] = {}

    def part(owner: type, name: str, label: str) -> None:
        original = getattr(owner, name)

        def run(*a: object, **k: object) -> object:
            began = time.process_time()
            try:
                return original(*a, **k)
            finally:
                parts[label] = parts.get(label, 0.0) + time.process_time() - began

        setattr(owner, name, run)

    part(context.TeamReading, "__init__", "reading")
    part(context.TeamReading, "context", "contexts")
    part(engine.CompiledRules, "evaluate", "rules")
    runs: list[dict[str, float]] = []
    for _ in range(args.timed):
        ops = push_ops()
        answers = sync.apply_ops(db.session, user=user, device_id=device, ops=ops,
                                 keyring=keyring())
        db.session.commit()
        parts.clear()
        cpu, wall = time.process_time(), time.perf_counter()
        unit_of_work.evaluate_flags(db.session, ops=ops, answers=answers, keyring=keyring())
        runs.append({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
                     **parts})
    medians = {key: statistics.median(run.get(key, 0.0) for run in runs)
               for key in ("cpu", "wall", "reading", "contexts", "rules")}
    print(f"{args.db}: rules phase of {args.timed} pushes of {args.families} "
          f"{args.status} checklists, medians in ms: "
          + ", ".join(f"{key} {1000 * value:.1f}" for key, value in medians.items())
          + f"; fastest wall {1000 * min(run['wall'] for run in runs):.1f}")


class Collections:
    """The garbage collector's runs while profiling, and the time they took, by
    generation (a sampling profiler puts their time on whatever allocated last)."""

    def __init__(self) -> None:
        self.runs = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.began = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.began = time.perf_counter()
        else:
            self.runs[info["generation"]] += 1
            self.seconds[info["generation"]] += time.perf_counter() - self.began

    def __str__(self) -> str:
        return ", ".join(f"gen {g} x{n} {1000 * t:.0f} ms" for g, (n, t) in
                         enumerate(zip(self.runs, self.seconds, strict=True)))


class Sampler:
    """pyinstrument's profiler, imported only when asked for (not a dependency)."""

    def __init__(self) -> None:
        from pyinstrument import Profiler
        self.profiler = Profiler(interval=0.0005)

    def start(self) -> None:
        self.profiler.start()

    def stop(self) -> None:
        self.profiler.stop()

    def output_text(self, **options: bool) -> str:
        return self.profiler.output_text(**options)


if __name__ == "__main__":
    main()
