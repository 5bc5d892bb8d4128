"""The app shell, its service worker at /sw.js, and the offline page."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template

from .. import resource_dir
from .service import build_shell

bp = Blueprint("shell", __name__)


def _shell():
    # Built per request: cheap, and a changed file on disk is seen at once.
    return build_shell(
        static_dir=Path(current_app.static_folder),
        template_dir=Path(current_app.template_folder),
        worker=resource_dir("service_worker") / "sw.js",
    )


@bp.get("/app")
def app_shell():
    # The shell holds no personal data: it is the same for everyone and works offline.
    return render_template("app.html", shell_version=_shell().version)


@bp.get("/offline")
def offline():
    return render_template("offline.html")


@bp.get("/sw.js")
def service_worker():
    shell = _shell()
    source = (resource_dir("service_worker") / "sw.js").read_text()
    response = Response(shell.render_worker(source), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response
