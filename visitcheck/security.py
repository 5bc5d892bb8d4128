"""Headers on every response, and errors answered in the form the client expects."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .api_edge import http_error_as_problem, is_api_request, problem

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
])

HSTS_MAX_AGE = 365 * 24 * 60 * 60

# Pages and answers that carry personal data are never stored by a cache.
NO_STORE_PREFIXES = ("/api/", "/review", "/map", "/admin", "/login", "/logout")


def register_security(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config["SESSION_COOKIE_SECURE"]:
            # Cookies that only travel over HTTPS: so must everything, for a year.
            headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE}; includeSubDomains"
        if request.path.startswith(NO_STORE_PREFIXES):
            headers["Cache-Control"] = "no-store"
        return response

    @app.before_request
    def refuse_nul_in_parameters():
        # No field of any page or API call holds a NUL character; PostgreSQL
        # refuses one in any text it is asked to compare, so it would be a 500.
        fields = [*request.args.items(multi=True)]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            fields += request.form.items(multi=True)
        if not any("\x00" in key or "\x00" in value for key, value in fields):
            return None
        message = "A parameter must not contain a NUL character."
        if is_api_request():
            return problem(400, "invalid-request", "Malformed parameter", message)
        return render_template("error.html", title="Malformed request", message=message), 400

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if is_api_request() and not current_user.is_authenticated:
            # No session to hold a token: what is missing is the sign-in.
            return problem(401, "unauthenticated", "Sign in first",
                           "sign in at /login; the API uses the session cookie")
        if is_api_request():
            return problem(400, "csrf", "Missing or wrong CSRF token",
                           "send the token from /api/v1/bootstrap in the X-CSRFToken header")
        return render_template("error.html", title="The form expired",
                               message="Go back, reload the page and try again."), 400

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        if is_api_request():
            return problem(429, "rate-limited", "Too many requests", str(error.description))
        if request.endpoint == "auth.login":
            from .auth.forms import LoginForm

            return render_template(
                "login.html", form=LoginForm(),
                error="Too many failed sign-ins. Wait a few minutes and try again.",
            ), 429
        return render_template("error.html", title="Too many requests",
                               message="Wait a minute and try again."), 429

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge):
        if is_api_request():
            return problem(413, "payload-too-large", "Request too large",
                           "send at most 5 MiB per request; split the ops over several pushes")
        return render_template("error.html", title="Too large",
                               message="That was more than the server accepts."), 413

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if is_api_request():
            return http_error_as_problem(error)
        return render_template("error.html", title=error.name,
                               message=error.description), error.code
