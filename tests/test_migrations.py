"""Every schema change is a migration; the chain upgrades a database that holds data."""

from __future__ import annotations

import base64
import os

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from tests.conftest import make_config
from visitcheck import create_app
from visitcheck.database import Base
from visitcheck.demo import seed_demo
from visitcheck.extensions import db, keyring
from visitcheck.people.models import Household
from visitcheck.setup_service import init_database


def test_migrations_build_the_models_schema_and_keep_data_across_a_round_trip(tmp_path):
    key = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    app = create_app(make_config(f"sqlite:///{tmp_path / 'm.sqlite3'}", key, tmp_path / "i"))
    with app.app_context():
        init_database(db.session, keyring=keyring())
        seed_demo(db.session, password="demo-visit-password", keyring=keyring())
        db.session.commit()

        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables

        upgrade()  # at head already: a no-op that must not touch the data
        assert db.session.scalar(select(func.count()).select_from(Household)) == 4

        db.session.remove()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert {t.name for t in Base.metadata.sorted_tables} <= set(
            inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_upgrade_from_the_first_revision_keeps_existing_users_signed_up(tmp_path):
    from sqlalchemy import text

    key = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    app = create_app(make_config(f"sqlite:///{tmp_path / 'u.sqlite3'}", key, tmp_path / "i"))
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO teams (uuid, name, created_at) VALUES "
                              "('9f0c6d1e-0000-4000-8000-000000000001', 'T', '2026-01-01')"))
            conn.execute(text(
                "INSERT INTO users (uuid, username, name, role, team_id, password_hash, active,"
                " created_at) VALUES ('9f0c6d1e-0000-4000-8000-000000000002', 'old', 'Old',"
                " 'health_visitor', 1, 'x', 1, '2026-01-01')"))
        upgrade()
        with db.engine.connect() as conn:
            epoch = conn.execute(text("SELECT session_epoch FROM users WHERE username='old'"))
            assert epoch.scalar_one() == 0
        db.engine.dispose()


def test_ciphertext_is_stored_without_compression_on_postgresql(app):
    """Encrypted fields never compress: PostgreSQL must not spend CPU trying (0012)."""
    from sqlalchemy import text

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            # SQLite stores values as given; there is no storage mode to check.
            assert db.engine.dialect.name == "sqlite"
            return
        storage = dict(db.session.execute(text(
            "SELECT c.relname, a.attstorage FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE a.attname = 'sealed_fields' AND c.relkind = 'r'")).all())
        assert "checklists" in storage
        assert set(storage.values()) == {"e"}, storage


def test_0013_rewrites_a_stored_home_visit_v1_to_ordered_let_bindings_and_back(tmp_path):
    """A database made before 0013 holds home-visit v1 as the old code stored it (sorted
    keys, `let` from objects: `poc-contact` and `no-access-repeat` could not fire).
    0013 rewrites it to the built-in file's rules; downgrading gives the old text back."""
    import json
    from pathlib import Path

    from sqlalchemy import text

    from visitcheck.checklists.service import builtin_template_files
    from visitcheck.rules.engine import evaluate

    before = (Path(__file__).parent / "vectors" / "home-visit.v1.stored-before-0013.json"
              ).read_text()
    shipped = next(t for t in builtin_template_files()
                   if t["template"] == "home-visit" and t["version"] == 1)
    key = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    app = create_app(make_config(f"sqlite:///{tmp_path / 't.sqlite3'}", key, tmp_path / "i"))
    with app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO checklist_templates (template, version, definition,"
                              " loaded_at) VALUES ('home-visit', 1, :d, '2026-11-01')"),
                         {"d": before})

        upgrade()
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT definition FROM checklist_templates")).scalar_one()
        # Equal as JSON, `let` bindings (lists) in the file's order.
        assert json.loads(stored) == shipped
        init_database(db.session, keyring=keyring())  # loading the file finds it the same
        db.session.commit()
        # The stored rules now raise poc-contact for a person of concern who lives here.
        context = {
            "household": {"id": "h-1", "members": [
                {"person_id": "p-kid", "is_child": True, "residence": "lives_here"},
                {"person_id": "p-poc", "is_child": False, "residence": "lives_here"}]},
            "persons": {"p-poc": {"id": "p-poc", "names": ["Ray"]}},
            "concerns": [{"id": "c-1", "person_id": "p-poc", "basis": ["convicted_child_offence"],
                          "contact": {}}],
        }
        raised = {(f["rule"], f["subject"]) for f in evaluate(json.loads(stored)["rules"],
                                                              context)}
        assert ("poc-contact", "p-kid") in raised

        db.session.remove()
        with db.engine.begin() as conn:  # 0013 is about home-visit v1: other built-ins out
            conn.execute(text("DELETE FROM checklist_templates"
                              " WHERE template != 'home-visit' OR version != 1"))
        downgrade(revision="0012")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT definition FROM checklist_templates")
                                ).scalar_one() == before


def test_upgrading_to_stored_flags_marks_every_checklist_due(tmp_path):
    """0014: flags so far were a summary without reasons, so every checklist is
    evaluated again (and its flags stored with their reasons) after the upgrade."""
    from sqlalchemy import text

    key = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    app = create_app(make_config(f"sqlite:///{tmp_path / 'f.sqlite3'}", key, tmp_path / "i"))
    with app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO teams (uuid, name, created_at) VALUES "
                              "('9f0c6d1e-0000-4000-8000-000000000001', 'T', '2026-01-01')"))
            conn.execute(text(
                "INSERT INTO users (uuid, username, name, role, team_id, password_hash, active,"
                " created_at) VALUES ('9f0c6d1e-0000-4000-8000-000000000002', 'hv', 'H',"
                " 'health_visitor', 1, 'x', 1, '2026-01-01')"))
            conn.execute(text(
                "INSERT INTO households (uuid, team_id, rev, key_id, wrapped_key, sealed_fields,"
                " created_at, updated_at) VALUES ('9f0c6d1e-0000-4000-8000-000000000003', 1, 1,"
                " 'k', x'00', x'00', '2026-01-01', '2026-01-01')"))
            conn.execute(text(
                "INSERT INTO checklists (uuid, author_id, team_id, household_id, template,"
                " template_version, status, rev, flag_summary, flags_due, key_id, wrapped_key,"
                " sealed_fields, created_at, updated_at) VALUES"
                " ('9f0c6d1e-0000-4000-8000-000000000004', 1, 1, 1, 'home-visit', 1,"
                " 'approved', 2, '[]', 0, 'k', x'00', x'00', '2026-01-01', '2026-01-01')"))
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(text(
                "SELECT flags_due, flags_rev, flags_evaluated_at FROM checklists")).one()
            assert (bool(row[0]), row[1], row[2]) == (True, 0, None)
            assert conn.execute(text("SELECT count(*) FROM checklist_flags")).scalar() == 0
        db.engine.dispose()


def test_0026_gives_each_change_its_team_and_starts_every_team_above_every_cursor(tmp_path):
    """One ordered feed per team: a change of a household goes to the household's team,
    one addressed to a user to the user's; every team's counter starts at the old one's
    value, so every later change is above any cursor a device holds."""
    from sqlalchemy import text

    key = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    app = create_app(make_config(f"sqlite:///{tmp_path / 'c.sqlite3'}", key, tmp_path / "i"))
    with app.app_context():
        upgrade(revision="0025")
        with db.engine.begin() as conn:
            for team in (1, 2):
                conn.execute(text(
                    "INSERT INTO teams (id, uuid, name, created_at) VALUES (:id,"
                    " :uuid, :name, '2026-01-01')"),
                    {"id": team, "uuid": f"9f0c6d1e-0000-4000-8000-00000000000{team}",
                     "name": f"T{team}"})
            conn.execute(text(
                "INSERT INTO users (id, uuid, username, name, role, team_id, password_hash,"
                " active, created_at) VALUES (1, '9f0c6d1e-0000-4000-8000-000000000003', 'hv',"
                " 'H', 'health_visitor', 2, 'x', 1, '2026-01-01')"))
            conn.execute(text(
                "INSERT INTO households (id, uuid, team_id, rev, key_id, wrapped_key,"
                " sealed_fields, created_at, updated_at) VALUES (1,"
                " '9f0c6d1e-0000-4000-8000-000000000004', 1, 1, 'k', x'00', x'00',"
                " '2026-01-01', '2026-01-01')"))
            for seq, household, user in ((3, 1, None), (7, None, 1), (9, None, None)):
                conn.execute(text(
                    "INSERT INTO changes (seq, type, entity_id, rev, household_id, user_id,"
                    " created_at) VALUES (:seq, 'household',"
                    " '9f0c6d1e-0000-4000-8000-000000000004', 1, :household, :user,"
                    " '2026-01-01')"), {"seq": seq, "household": household, "user": user})
            conn.execute(text("UPDATE sync_counter SET value = 40"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT team_id, seq FROM changes ORDER BY seq")
                                ).all() == [(1, 3), (2, 7)]
            assert conn.execute(text("SELECT team_id, value FROM feed_counters"
                                     " ORDER BY team_id")).all() == [(1, 40), (2, 40)]
            assert "sync_counter" not in inspect(db.engine).get_table_names()
        db.engine.dispose()
