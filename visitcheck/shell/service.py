"""The installable app shell: which files the service worker precaches, and its version.

The version is a hash of the shell's files, so any change to them gives a new
service worker (and a new cache) that waits until the user chooses to update.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

SHELL_PAGES = ["/app", "/offline"]
STATIC_SHELL_GLOBS = ["app/**/*.js", "css/**/*.css", "icons/**/*.png", "manifest.webmanifest",
                      "vendor/**/*"]


@dataclass(frozen=True)
class Shell:
    version: str
    files: list[str]

    def render_worker(self, source: str) -> str:
        return source.replace("__SHELL_VERSION__", self.version).replace(
            "__SHELL_FILES__", json.dumps(self.files)
        )


def build_shell(*, static_dir: Path, template_dir: Path, worker: Path) -> Shell:
    static_files = sorted(
        {p for pattern in STATIC_SHELL_GLOBS for p in static_dir.glob(pattern) if p.is_file()}
    )
    digest = hashlib.sha256()
    for path in [*static_files, template_dir / "app.html", template_dir / "offline.html", worker]:
        if path.exists():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    urls = SHELL_PAGES + ["/static/" + p.relative_to(static_dir).as_posix() for p in static_files]
    return Shell(version=digest.hexdigest()[:12], files=urls)
