"""visitcheck: offline-first safeguarding home-visit checklists.

`create_app()` wires the capabilities; each lives in its own sub-package
(models, service, views/api) so the folder tree shows what the product does.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import Config
from .extensions import csrf, db, limiter, login_manager, migrate
from .keys import load_keyring

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """static/, templates/, service_worker/, migrations/: inside the package in a
    wheel, at the repository's top level in a checkout."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


def create_app(config: Config | None = None) -> Flask:
    app = Flask(
        __name__,
        static_folder=str(resource_dir("static")),
        template_folder=str(resource_dir("templates")),
        instance_relative_config=True,
    )
    instance_path = Path(app.instance_path)
    config = config or Config.from_env(instance_path)
    config.instance_path.mkdir(parents=True, exist_ok=True)
    app.config.update(
        VISITCHECK=config,
        TESTING=config.testing,
        SECRET_KEY=config.secret_key or _secret_key(config.instance_path),
        SQLALCHEMY_DATABASE_URI=config.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(config.database_url),
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.session_cookie_secure,
        # A tablet may sit offline for a shift: the token lives as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=config.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
    )
    app.extensions["visitcheck.keyring"] = load_keyring(
        env_value=config.master_key, instance_path=config.instance_path
    )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from . import models_registry  # noqa: F401 - every table known to SQLAlchemy/Alembic
    from .admin.views import bp as admin_bp
    from .api import bp as api_bp
    from .auth.views import bp as auth_bp
    from .cli import register_commands
    from .compression import register_compression
    from .people.views import bp as people_bp
    from .review.views import bp as review_bp
    from .security import register_security
    from .shell.views import bp as shell_bp
    from .shell.views import static_file as serve_static

    app.register_blueprint(auth_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(shell_bp)
    # Flask's /static/<path> route, served precompressed and versioned (shell/views.py).
    app.view_functions["static"] = serve_static
    register_security(app)
    register_compression(app)
    register_commands(app)
    app.add_template_filter(visit_time)
    return app


def visit_time(value: str | None) -> str:
    """An ISO visit time as people read it: "20 Nov 2026, 10:30" (UTC when it says so)."""
    from datetime import datetime

    if not value:
        return "not given"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.strftime("%-d %b %Y, %H:%M") + (" UTC" if moment.tzinfo else "")


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # Several requests (and gunicorn workers) write: wait for the lock, don't fail.
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - per connection
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else a 0600 file made on first run."""
    import os

    path = instance_path / "secret.key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass
    return path.read_text().strip()
