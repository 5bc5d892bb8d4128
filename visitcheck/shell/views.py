"""The app shell, its service worker at /sw.js, the offline page and the static files."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request
from werkzeug.security import safe_join

from ..resources import resource_dir
from ..security import CONTENT_SECURITY_POLICY
from .assets import compressed, load_asset
from .service import Shell, build_shell, split_versioned

bp = Blueprint("shell", __name__)

# A versioned URL names one content for good; anything else is checked every time.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def _shell() -> Shell:
    # Built per request (cheap: the files' hash is only redone when one changes),
    # so a changed file on disk is seen at once.
    return build_shell(
        static_dir=Path(current_app.static_folder or resource_dir("static")),
        template_dir=Path(current_app.template_folder or resource_dir("templates")),
        worker=resource_dir("service_worker") / "sw.js",
    )


@bp.app_context_processor
def shell_assets():
    # Looked up only by the templates that use it (the shell's pages).
    return {"shell_asset": lambda path: _shell().asset_url(path)}


@bp.get("/app")
def app_shell():
    # The shell holds no personal data: it is the same for everyone and works offline.
    shell = _shell()
    import_map = shell.import_map()
    html = render_template("app.html", shell_version=shell.version, import_map=import_map,
                           modules=shell.module_urls())
    response = _precompressed(html.encode(), "text/html")
    # The import map is an inline script: allowed by its hash, nothing else inline.
    digest = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
    response.headers["Content-Security-Policy"] = _with_script_hash(
        CONTENT_SECURITY_POLICY, f"'sha256-{digest}'"
    )
    response.headers["Cache-Control"] = REVALIDATE
    return response


@bp.get("/offline")
def offline():
    response = _precompressed(render_template("offline.html").encode(), "text/html")
    response.headers["Cache-Control"] = REVALIDATE
    return response


@bp.get("/sw.js")
def service_worker():
    shell = _shell()
    source = (resource_dir("service_worker") / "sw.js").read_text()
    response = Response(shell.render_worker(source), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def static_file(filename: str) -> Response:
    """Serves /static/<path> and /static/<version>/<path> (Flask's `static` endpoint).

    Precompressed bodies (assets.py); `immutable` only when the version in the URL
    is the current one, since only then does the URL name exactly these bytes. An
    old or unknown version still gets the current file, checked on every use, so a
    page loaded just before a deployment keeps working."""
    version, path = split_versioned(filename)
    static_dir = current_app.static_folder or str(resource_dir("static"))
    full = safe_join(static_dir, path)
    if full is None or not Path(full).is_file():
        abort(404)
    asset = load_asset(Path(full))
    response = _negotiated(asset.body, asset.mimetype, asset.encoded, asset.etag)
    current = version is not None and version == _shell().version
    response.headers["Cache-Control"] = IMMUTABLE if current else REVALIDATE
    response.make_conditional(request)  # 304 for a copy the browser still has
    return response


def _precompressed(body: bytes, mimetype: str) -> Response:
    """A shell page, compressed at the best setting once per distinct content."""
    return _negotiated(body, mimetype, compressed(body), hashlib.sha256(body).hexdigest()[:20])


def _negotiated(body: bytes, mimetype: str, encoded: dict[str, bytes], etag: str) -> Response:
    coding = _chosen_coding(encoded)
    response = Response(encoded[coding] if coding else body, mimetype=mimetype)
    if coding:
        response.headers["Content-Encoding"] = coding
    if encoded:
        response.vary.add("Accept-Encoding")
    # One tag per representation: a gzip body is not the plain one.
    response.set_etag(f"{etag}-{coding or 'identity'}")
    return response


def _with_script_hash(policy: str, source: str) -> str:
    directives = [part.strip() for part in policy.split(";") if part.strip()]
    for index, directive in enumerate(directives):
        if directive.split()[0] == "script-src":
            directives[index] = f"{directive} {source}"
            break
    else:
        directives.append(f"script-src 'self' {source}")
    return "; ".join(directives)


def _chosen_coding(available: dict[str, bytes]) -> str | None:
    accepted = request.accept_encodings
    best: tuple[float, str] | None = None
    for coding in available:  # br first: the smaller
        quality = accepted[coding]
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, coding)
    return best[1] if best else None
