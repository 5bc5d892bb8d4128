"""Sign-in and sign-out (server-rendered; the app shell sends people here)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..api_edge import is_api_request, problem, refuse_if_revoked
from ..audit import service as audit
from ..extensions import db, limiter, login_manager
from . import service, sessions
from .forms import LoginForm, LogoutForm
from .models import Role

bp = Blueprint("auth", __name__)


def _limits() -> sessions.SessionLimits:
    config = current_app.config["VISITCHECK"]
    return sessions.SessionLimits(
        idle=timedelta(seconds=config.session_idle_seconds),
        absolute=timedelta(seconds=config.session_absolute_seconds),
        device_idle=timedelta(seconds=config.device_session_idle_seconds))


@login_manager.user_loader
def load_user(session_id: str):
    user = service.user_for_session(db.session, session_id)
    if user is None:
        return None
    record = sessions.check(db.session, token=session.get(sessions.SESSION_TOKEN_KEY),
                            user=user, limits=_limits())
    if record is None:
        return None
    g.user_session = record
    return user


@bp.before_app_request
def check_session_first():
    """Whether the session is still open is settled before the view runs, and its last
    use (or its end) committed at once, before the view writes anything of its own."""
    if request.endpoint == "static":
        return
    _ = current_user.is_authenticated  # loads the user, checking the session
    record = g.get("user_session")
    device_id = record.device_id if record is not None else None
    db.session.commit()
    if device_id is not None:
        return _refuse_if_device_revoked(device_id)
    return None


def _refuse_if_device_revoked(device_id: str):
    """A tablet's session is bound to the device it registered: once that device is
    revoked, its calls are refused whether or not they name the device in a header."""
    if not is_api_request():
        return None
    return refuse_if_revoked(device_id)


@login_manager.unauthorized_handler
def unauthorized():
    if is_api_request():
        return problem(401, "unauthenticated", "Sign in first")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _safe_next(target: str | None) -> str | None:
    """Only paths on this site: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user) -> str:
    return url_for("review.queue") if user.role == Role.TEAM_LEAD else url_for("shell.app_shell")


# --- sign-in limits ----------------------------------------------------------------
# Only failed sign-ins count, in the limiter's storage (Redis when RATELIMIT_STORAGE_URI
# names it, so every worker and host shares the counts). Three limits together:
#  - per account and address: the usual guesser, slowed at once;
#  - per address, whatever the usernames: one address trying many accounts;
#  - per account from anywhere, slower: a guesser spread over many addresses. A browser
#    where the account signed in before carries a signed cookie and is exempt from this
#    one, so such a flood cannot lock the real user out (OWASP's "device cookies").
KNOWN_BROWSER_COOKIE = "visitcheck_known"
KNOWN_BROWSER_MAX_AGE = 90 * 24 * 60 * 60


def _username() -> str:
    return request.form.get("username", "").strip().casefold()[:80]


def _address() -> str:
    return request.remote_addr or "unknown"


def _pair_key() -> str:
    return f"login:{_username()}@{_address()}"


def _address_key() -> str:
    return f"login-address:{_address()}"


def _account_key() -> str:
    return f"login-account:{_username()}"


def _failed(response) -> bool:
    return response.status_code != 302


def _known_browsers() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                  salt="visitcheck known browser")


def _known_browser() -> bool:
    """This browser signed in to the account it is signing in to now."""
    value = request.cookies.get(KNOWN_BROWSER_COOKIE)
    if not value:
        return False
    try:
        return _known_browsers().loads(value, max_age=KNOWN_BROWSER_MAX_AGE) == _username()
    except BadSignature:
        return False


def _config():
    return current_app.config["VISITCHECK"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: _config().login_rate_limit, key_func=_pair_key, methods=["POST"],
               deduct_when=_failed)
@limiter.limit(lambda: _config().login_address_rate_limit, key_func=_address_key,
               methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: _config().login_account_rate_limit, key_func=_account_key,
               methods=["POST"], deduct_when=_failed, exempt_when=_known_browser)
def login():
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = service.authenticate(db.session, username=form.username.data.strip(),
                                        password=form.password.data)
        except service.InvalidCredentials:
            audit.record(db.session, action="auth.sign_in_failed",
                         actor_username=form.username.data.strip()[:80], ip=request.remote_addr)
            db.session.commit()
            error, status = "That username and password do not match an account.", 401
        else:
            audit.record(db.session, action="auth.sign_in", actor=user, ip=request.remote_addr)
            token = sessions.start(db.session, user=user)
            db.session.commit()
            # A new session, never the one the browser came with (session fixation).
            session.clear()
            session[sessions.SESSION_TOKEN_KEY] = token
            login_user(user)
            # Make the session's CSRF token now, in the cookie set with the redirect:
            # two API calls racing to make it would otherwise each set a different one.
            generate_csrf()
            response = redirect(_safe_next(request.args.get("next")) or home_for(user))
            response.set_cookie(KNOWN_BROWSER_COOKIE, _known_browsers().dumps(_username()),
                                max_age=KNOWN_BROWSER_MAX_AGE, httponly=True, samesite="Lax",
                                secure=current_app.config["SESSION_COOKIE_SECURE"])
            return response
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.login"))
    if current_user.is_authenticated:
        audit.record(db.session, action="auth.sign_out", actor=current_user,
                     ip=request.remote_addr)
    # Ended on the server: a copy of the cookie is worth nothing from now on.
    sessions.end(db.session, token=session.get(sessions.SESSION_TOKEN_KEY))
    db.session.commit()
    logout_user()
    session.clear()
    response = redirect(url_for("auth.login"))
    # The tablet also wipes its own vault first: it may be offline when signing out.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))
