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
        seed_demo(db.session, password="demo-password", keyring=keyring())
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
