"""A wheel carries the browser code, templates, service worker and migrations."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_static_templates_and_service_worker(tmp_path):
    subprocess.run(  # noqa: S603 - our own interpreter and paths
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True,
    )
    wheel = next(tmp_path.glob("visitcheck-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())

    for expected in ["visitcheck/service_worker/sw.js", "visitcheck/templates/app.html",
                     "visitcheck/templates/login.html", "visitcheck/static/manifest.webmanifest",
                     "visitcheck/static/app/main.js", "visitcheck/static/app/screens/visit.js",
                     "visitcheck/checklists/templates/home-visit.v1.json",
                     "visitcheck/checklists/templates/home-visit.v2.json",
                     "visitcheck/migrations/env.py"]:
        assert expected in names, expected
