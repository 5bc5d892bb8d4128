"""At start-up the app refuses, in one clear line and without a traceback, a master key
that is malformed or that cannot open what the database holds; with secure cookies it
sends HSTS for a year."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import make_config
from visitcheck import create_app
from visitcheck.extensions import db, keyring
from visitcheck.setup_service import init_database

ROOT = Path(__file__).resolve().parents[1]


def _new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()


@pytest.fixture
def written_database(tmp_path) -> tuple[str, str]:
    """A database made with one master key: (its URL, the key)."""
    key = _new_key()
    url = f"sqlite:///{tmp_path / 'start.sqlite3'}"
    app = create_app(make_config(url, key, tmp_path / "made"))
    with app.app_context():
        init_database(db.session, keyring=keyring())
        db.session.commit()
        db.engine.dispose()
    return url, key


def _flask(tmp_path: Path, *, database_url: str, master_key: str) -> subprocess.CompletedProcess:
    """`flask --app visitcheck routes`, as an operator starts it (configured from the
    environment)."""
    env = {**os.environ, "DATABASE_URL": database_url, "VISITCHECK_MASTER_KEY": master_key,
           "SECRET_KEY": "start-up-test-secret"}
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "flask", "--app", "visitcheck", "routes"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=False)


def _one_line_refusal(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_malformed_master_key_stops_the_start_with_one_clear_line(tmp_path,
                                                                     written_database):
    url, _ = written_database

    line = _one_line_refusal(_flask(tmp_path, database_url=url, master_key="not a key!"))

    assert line.startswith("visitcheck cannot start:")
    assert "VISITCHECK_MASTER_KEY" in line


def test_a_master_key_of_the_wrong_length_stops_the_start(tmp_path, written_database):
    url, _ = written_database
    short = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()

    line = _one_line_refusal(_flask(tmp_path, database_url=url, master_key=short))

    assert "32 bytes" in line


def test_a_master_key_that_cannot_open_the_database_stops_the_start(tmp_path,
                                                                    written_database):
    url, _ = written_database

    line = _one_line_refusal(_flask(tmp_path, database_url=url, master_key=_new_key()))

    assert "cannot open the data in the database" in line


def test_the_right_master_key_starts(tmp_path, written_database):
    url, key = written_database

    result = _flask(tmp_path, database_url=url, master_key=key)

    assert result.returncode == 0, result.stderr
    assert "/api/v1/bootstrap" in result.stdout


def test_the_factory_refuses_a_key_that_cannot_open_the_database(tmp_path, written_database):
    url, _ = written_database
    config = replace(make_config(url, _new_key(), tmp_path / "other"),
                     check_master_key_at_start=True)

    with pytest.raises(SystemExit) as stopped:
        create_app(config)

    assert "cannot open the data in the database" in str(stopped.value.code)


def test_secure_cookies_bring_hsts_for_a_year(app_config):
    secure = create_app(replace(app_config, session_cookie_secure=True))

    response = secure.test_client().get("/login")

    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains")


def test_no_hsts_without_secure_cookies(app):
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
