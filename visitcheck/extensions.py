"""Flask extensions, created once and bound to an app in create_app()."""

from __future__ import annotations

from flask import current_app
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .database import Base
from .keys import Keyring

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
compress = Compress()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def keyring() -> Keyring:
    """The app's keyring: the only way the web layer reaches key material."""
    return current_app.extensions["visitcheck.keyring"]
