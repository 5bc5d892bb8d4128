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
from .keys import DecryptionFailed, Keyring, KeyUnavailable, load_keyring
from .keys.keyring import MASTER_KEY_FILE
from .resources import PACKAGE_DIR, resource_dir
from .uk_time import when_words

# resource_dir stays importable from the package, where tests and packaging look.
__all__ = ["PACKAGE_DIR", "create_app", "resource_dir"]


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
    app.extensions["visitcheck.keyring"] = _load_keyring(config)
    if config.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client's address and scheme as the trusted proxies saw them.
        app.wsgi_app = ProxyFix(app.wsgi_app,  # type: ignore[method-assign]
                                x_for=config.trusted_proxies, x_proto=config.trusted_proxies)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from . import models_registry  # noqa: F401 - every table known to SQLAlchemy/Alembic
    from .admin.views import bp as admin_bp
    from .api import create_api_blueprint
    from .auth.views import bp as auth_bp
    from .chronology.views import bp as chronology_bp
    from .cli import register_commands
    from .compression import register_compression
    from .people.views import bp as people_bp
    from .review.views import bp as review_bp
    from .review.views import map_bp as review_map_bp
    from .security import register_security
    from .shell.views import bp as shell_bp
    from .shell.views import static_file as serve_static
    from .visits.views import bp as visits_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(create_api_blueprint())
    app.register_blueprint(review_bp)
    app.register_blueprint(review_map_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(admin_bp)
    from .retention.views import bp as retention_bp

    app.register_blueprint(retention_bp)
    app.register_blueprint(shell_bp)
    app.register_blueprint(chronology_bp)
    app.register_blueprint(visits_bp)
    # Flask's /static/<path> route, served precompressed and versioned (shell/views.py).
    app.view_functions["static"] = serve_static
    register_security(app)
    register_compression(app)
    register_commands(app)
    from .audit.web import init_app as init_audit

    init_audit(app)
    app.add_template_filter(visit_time)
    app.add_template_filter(when_words, name="when")
    if config.check_master_key_at_start:
        _check_master_key_opens_database(app)
    return app


class CannotStart(SystemExit):
    """The app refuses to start; the message is one line for the operator, and exiting
    through SystemExit prints it without a traceback (flask, gunicorn --preload)."""

    def __init__(self, reason: str):
        super().__init__(f"visitcheck cannot start: {reason}")


def _load_keyring(config: Config) -> Keyring:
    try:
        return load_keyring(env_value=config.master_key, instance_path=config.instance_path)
    except (ValueError, KeyUnavailable) as error:
        where = ("VISITCHECK_MASTER_KEY" if config.master_key
                 else str(config.instance_path / MASTER_KEY_FILE))
        raise CannotStart(f"the master key in {where} is not valid ({error}); give one or "
                          "more base64url keys of 32 bytes, comma-separated, current "
                          "first") from None


def _check_master_key_opens_database(app: Flask) -> None:
    """A wrong key would let people sign in and then fail every read: refuse to start."""
    from sqlalchemy.exc import SQLAlchemyError

    from .keys.service import check_keyring_opens_database
    from .models_registry import ENCRYPTED_MODELS

    with app.app_context():
        try:
            check_keyring_opens_database(db.session, keyring=app.extensions["visitcheck.keyring"],
                                         models=ENCRYPTED_MODELS)
        except (KeyUnavailable, DecryptionFailed) as error:
            raise CannotStart(
                f"the master key cannot open the data in the database ({error}); start "
                "with the key or keys it was written with (docs/security.md, \"Keeping "
                "the keys\")") from None
        except SQLAlchemyError:
            # No schema yet (before init-db), or the database is not reachable now:
            # there is nothing to check against; requests will say what is wrong.
            pass
        finally:
            db.session.remove()


def visit_time(value: str | None) -> str:
    """An ISO visit time as people read it, in UK local time (kept as a name for the
    templates that used it; the words come from `uk_time.when_words`)."""
    return when_words(value)


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
