"""Fixtures shared by every suite: a fresh app and database per test, the demo
team, signed-in API clients, and the real app served on 127.0.0.1.

The database is SQLite by default; set VISITCHECK_TEST_DATABASE_URL (CI does)
to run the same suite on PostgreSQL.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import ThreadedWSGIServer

from visitcheck import create_app
from visitcheck.config import Config, normalise_database_url
from visitcheck.database import Base
from visitcheck.demo import seed_demo
from visitcheck.extensions import db, keyring
from visitcheck.setup_service import init_database

DEMO_PASSWORD = "demo-password-1"


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    from visitcheck.auth import service as auth

    auth.use_insecure_fast_hashing_for_tests()


@pytest.fixture(scope="session")
def master_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("VISITCHECK_TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def make_config(database_url: str, master_key: str, instance: Path, **overrides) -> Config:
    return Config(
        instance_path=instance,
        database_url=database_url,
        secret_key="test-secret-key",  # noqa: S106 - tests only
        master_key=master_key,
        testing=True,
        **overrides,
    )


@pytest.fixture(scope="session")
def migrated_database(database_url, master_key, tmp_path_factory) -> str:
    """The schema, built once per run by the real migrations."""
    import visitcheck.models_registry  # noqa: F401 - every table, so drop_all drops them all

    engine = create_engine(database_url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    app = create_app(make_config(database_url, master_key, tmp_path_factory.mktemp("inst")))
    with app.app_context():
        init_database(db.session, keyring=keyring())
        db.session.commit()
        db.engine.dispose()
    return database_url


def _empty_all_tables(session) -> None:
    # DELETE, children first, on both databases: a test leaves a few rows, and on
    # PostgreSQL a TRUNCATE of every table (new files for each table and index)
    # cost 0.2-0.4 s a test, against a few milliseconds for DELETE.
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(text(f"DELETE FROM {table.name}"))  # noqa: S608 - our own table names


@pytest.fixture
def app_config(migrated_database, master_key, tmp_path) -> Config:
    return make_config(migrated_database, master_key, tmp_path / "instance")


@pytest.fixture
def app(app_config) -> Iterator:
    app = create_app(app_config)
    with app.app_context():
        _empty_all_tables(db.session)
        init_database(db.session, keyring=keyring())
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def another_app(app_config):
    """another_app(config=None) -> a second app on the same database (another worker,
    another key set), its connections closed at the end of the test."""
    made = []

    def make(config: Config | None = None):
        extra = create_app(config or app_config)
        made.append(extra)
        return extra

    yield make
    for extra in made:
        with extra.app_context():
            db.session.remove()
            db.engine.dispose()


@dataclass
class DemoData:
    PASSWORD: str
    users: dict[str, str]  # username -> public id
    households: list[str]  # hv's caseload, public ids
    school_households: list[str]  # sn's caseload
    children: dict[str, list[str]] = field(default_factory=dict)  # household -> child ids

    @property
    def password(self) -> str:
        return self.PASSWORD


@pytest.fixture
def demo(app) -> DemoData:
    with app.app_context():
        team = seed_demo(db.session, password=DEMO_PASSWORD, keyring=keyring())
        db.session.commit()
        households = team.households + team.school_households
        data = DemoData(
            PASSWORD=DEMO_PASSWORD,
            users={name: user.uuid for name, user in team.users.items()},
            households=[h.uuid for h in team.households],
            school_households=[h.uuid for h in team.school_households],
            children={
                h.uuid: [m.person.uuid for m in h.memberships if m.person.is_child]
                for h in households
            },
        )
    return data


# --- signed-in clients -----------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def sign_in(client, username: str, password: str):
    page = client.get("/login")
    token = CSRF_INPUT.search(page.get_data(as_text=True)).group(1)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


class ApiClient:
    """A test client signed in as one user, with the device protocol's calls."""

    def __init__(self, client, bootstrap: dict):
        self.client = client
        self.bootstrap = bootstrap
        self.csrf = bootstrap["csrf_token"]
        self.device_id: str | None = None

    def _headers(self, extra: dict) -> dict:
        # Like the tablet app: every call names its device once it has one.
        device = {"X-Visitcheck-Device": self.device_id} if self.device_id else {}
        return {**device, **extra}

    def post(self, path: str, body, **kwargs):
        headers = self._headers({"X-CSRFToken": self.csrf, **kwargs.pop("headers", {})})
        return self.client.post(path, json=body, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.client.get(path, headers=self._headers(kwargs.pop("headers", {})), **kwargs)

    def register_device(self) -> str:
        import uuid

        self.device_id = str(uuid.uuid4())
        response = self.post("/api/v1/devices", {"device_id": self.device_id, "label": "test"})
        assert response.status_code == 201, response.get_data(as_text=True)
        return self.device_id

    def push(self, ops: list[dict]):
        return self.post("/api/v1/sync/push", {"device_id": self.device_id, "ops": ops})

    def pull(self, cursor: int = 0, limit: int = 100):
        return self.get(f"/api/v1/sync/pull?cursor={cursor}&limit={limit}")


@pytest.fixture
def api_client(app, demo):
    """api_client("hv") -> an ApiClient signed in as hv with a registered device."""

    def make(username: str, password: str = DEMO_PASSWORD) -> ApiClient:
        client = app.test_client()
        response = sign_in(client, username, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        bootstrap = client.get("/api/v1/bootstrap").get_json()
        api = ApiClient(client, bootstrap)
        api.register_device()
        return api

    return make


# --- the real app over HTTP --------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: object


class _Server(ThreadedWSGIServer):
    """Keeps its request threads, so teardown can wait for requests still being
    answered (a page's last sync) before the database goes away under them."""

    def process_request(self, request, client_address):
        thread = threading.Thread(target=self.process_request_thread,
                                  args=(request, client_address), daemon=True)
        self.request_threads.append(thread)
        thread.start()


@pytest.fixture
def live_server(app, demo) -> Iterator[LiveServer]:
    server = _Server("127.0.0.1", 0, app)
    server.request_threads = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    server.shutdown()
    thread.join(timeout=10)
    for request_thread in server.request_threads:
        request_thread.join(timeout=10)
    server.server_close()
