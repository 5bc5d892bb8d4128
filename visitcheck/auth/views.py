"""Sign-in and sign-out (server-rendered; the app shell sends people here)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from ..audit import service as audit
from ..extensions import db, limiter, login_manager
from . import service
from .forms import LoginForm, LogoutForm
from .models import Role

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_id: str):
    return service.user_for_session(db.session, session_id)


@login_manager.unauthorized_handler
def unauthorized():
    from ..api import is_api_request, problem

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


def _account_key() -> str:
    return "login:" + request.form.get("username", "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["VISITCHECK"].login_rate_limit,
               key_func=_account_key, methods=["POST"],
               deduct_when=lambda response: response.status_code != 302)
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
            db.session.commit()
            session.clear()
            login_user(user)
            # Make the session's CSRF token now, in the cookie set with the redirect:
            # two API calls racing to make it would otherwise each set a different one.
            generate_csrf()
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
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
