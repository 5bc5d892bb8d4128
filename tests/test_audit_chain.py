"""The audit trail is a keyed hash chain: `audit verify` finds an edited, deleted or
reordered entry, and the chain stays whole with several workers writing at once."""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import replace

from sqlalchemy import func, select, text

from visitcheck.audit import chain
from visitcheck.audit import service as audit
from visitcheck.audit.models import AuditEvent
from visitcheck.extensions import db, keyring


def _write_entries(app, count: int, action: str = "test.entry") -> None:
    with app.app_context():
        for i in range(count):
            audit.record(db.session, action=action, actor_username="tester",
                         detail={"n": i}, object_type="person",
                         object_id="0b6f0a2e-1b1c-4c5e-9d3e-000000000001")
            db.session.commit()


def _verify(app):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def _ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.seq)))


def _sql(app, statement: str, **params) -> None:
    with app.app_context():
        db.session.execute(text(statement), params)
        db.session.commit()


def test_an_untouched_trail_verifies(app, api_client):
    hv = api_client("hv")
    hv.pull()
    _write_entries(app, 3)

    code, output = _verify(app)

    assert code == 0, output
    assert "chain intact" in output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.seq.is_(None))) == 0


def test_changing_one_byte_of_one_entry_is_detected_and_named(app):
    _write_entries(app, 5)
    victim = _ids(app)[2]
    _sql(app, "UPDATE audit_events SET detail = :d WHERE id = :i", d='{"n": 9}', i=victim)

    code, output = _verify(app)

    assert code == 1
    assert f"entry {victim} " in output


def test_changing_when_an_entry_happened_is_detected(app):
    _write_entries(app, 3)
    victim = _ids(app)[1]
    _sql(app, "UPDATE audit_events SET actor_username = 'someone' WHERE id = :i", i=victim)

    code, output = _verify(app)

    assert code == 1
    assert f"entry {victim} " in output


def test_deleting_an_entry_is_detected(app):
    _write_entries(app, 5)
    ids = _ids(app)
    _sql(app, "DELETE FROM audit_events WHERE id = :i", i=ids[2])

    code, output = _verify(app)

    assert code == 1
    assert f"entry {ids[3]} " in output
    assert "deleted" in output


def test_deleting_the_last_entries_is_detected(app):
    _write_entries(app, 4)
    ids = _ids(app)
    _sql(app, "DELETE FROM audit_events WHERE id = :i", i=ids[-1])

    code, output = _verify(app)

    assert code == 1
    assert "deleted" in output


def test_swapping_two_entries_is_detected(app):
    _write_entries(app, 5)
    ids = _ids(app)
    a, b = ids[1], ids[3]
    # Swap their places in the chain (seq is unique: go through a free number).
    _sql(app, "UPDATE audit_events SET seq = -1 WHERE id = :a", a=a)
    _sql(app, "UPDATE audit_events SET seq = 2 WHERE id = :b", b=b)
    _sql(app, "UPDATE audit_events SET seq = 4 WHERE id = :a", a=a)

    code, output = _verify(app)

    assert code == 1
    assert f"entry {b} " in output


def test_an_entry_slipped_in_without_the_key_is_detected(app):
    _write_entries(app, 2)
    _sql(app, "INSERT INTO audit_events (at, action) VALUES ('2026-11-29 10:00:00', 'forged')")

    code, output = _verify(app)

    assert code == 1
    assert "not in the chain" in output


def test_concurrent_writers_on_two_app_instances_keep_one_whole_chain(app, another_app):
    workers = [app, another_app(), another_app()]
    errors: list[BaseException] = []

    def work(worker_app, n):
        try:
            _write_entries(worker_app, 15, action=f"worker.{n}")
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w, n)) for n, w in enumerate(workers)
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    code, output = _verify(app)
    assert code == 0, output
    with app.app_context():
        places = list(db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
    assert places == list(range(1, 6 * 15 + 1))


def test_entries_chained_before_a_master_key_rotation_still_verify(app, app_config,
                                                                   another_app):
    _write_entries(app, 3)
    new_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    rotated = another_app(replace(app_config, master_key=f"{new_key},{app_config.master_key}"))
    _write_entries(rotated, 3)

    code, output = _verify(rotated)

    assert code == 0, output
    with rotated.app_context():
        key_ids = set(db.session.scalars(select(AuditEvent.chain_key_id)))
        assert len(key_ids) == 2
    # Without the old master key the older entries can no longer be vouched for.
    only_new = another_app(replace(app_config, master_key=new_key))
    code, output = _verify(only_new)
    assert code == 1
    assert "not in the keyring" in output


def test_a_rolled_back_entry_is_never_chained(app):
    with app.app_context():
        audit.record(db.session, action="kept")
        savepoint = db.session.begin_nested()
        audit.record(db.session, action="rolled.back")
        savepoint.rollback()
        db.session.commit()
        report = chain.verify(db.session, keyring=keyring())
        actions = list(db.session.scalars(select(AuditEvent.action)))
    assert report.intact, report.problem
    assert actions == ["kept"]


def test_entries_from_before_the_chain_are_reported_not_verifiable_but_not_broken(app):
    _sql(app, "INSERT INTO audit_events (at, action) VALUES ('2026-11-01 10:00:00', 'old')")
    _write_entries(app, 2)

    code, output = _verify(app)

    assert code == 0, output
    assert "1 entries from before the chain" in output
