"""The installable app shell: which files the service worker precaches, and its version.

The version is a hash of the shell's files, so any change to them gives a new
service worker (and a new cache) that waits until the user chooses to update.
The shell's static files are addressed under that version
(`/static/<version>/app/main.js`): the URL changes whenever any file does, so
browsers may keep them for a year without asking again. One version for the
whole shell rather than one hash per file, because the app is plain ES modules
(no bundler): `import "./db.js"` inside `/static/<version>/app/main.js` then
resolves to the same version without rewriting a line of the source.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .imports import start_modules

SHELL_PAGES = ["/app", "/offline"]
# site.css is for the server's pages (online only); the shell and its offline page
# use app.css. The PNG icons are for installing (the manifest names them, and the
# browser fetches them online when it installs the app): the shell shows icon.svg.
STATIC_SHELL_GLOBS = ["app/**/*.js", "css/app.css", "icons/icon.svg", "manifest.webmanifest",
                      "vendor/**/*"]
# The manifest keeps its plain URL: Chromium knows an installed app by it.
UNVERSIONED = {"manifest.webmanifest"}

VERSION_PATTERN = re.compile(r"^[0-9a-f]{12}$")


@dataclass(frozen=True)
class Shell:
    version: str
    # Paths below /static/ of the files the service worker precaches: all of them,
    # so the whole app works offline.
    static_paths: tuple[str, ...]
    # Paths below /static/ of the modules a start needs: main.js and what it
    # imports statically (imports.py). The rest is loaded with import() when first
    # needed (static/app/screens/later.js).
    start_paths: tuple[str, ...] = ()

    @property
    def files(self) -> list[str]:
        """The URLs the service worker precaches: the pages, then the static files."""
        return SHELL_PAGES + [self.asset_url(path) for path in self.static_paths]

    def module_urls(self) -> list[str]:
        """The start's modules, for the page to fetch all at once (modulepreload)
        rather than discover them import by import; only those, so a start fetches
        and compiles no module it does not run."""
        return [self.asset_url(path) for path in self.start_paths]

    def asset_url(self, path: str) -> str:
        """The URL of a static file: under this version, so it may be cached for good."""
        if path in UNVERSIONED:
            return f"/static/{path}"
        return f"/static/{self.version}/{path}"

    def import_map(self) -> str:
        """An import map sending `/static/app/x.js` to this version's copy, so a module
        imported by its plain URL is the very instance the shell loaded (one vault
        key in memory, not two copies of every module)."""
        return json.dumps(
            {"imports": {"/static/app/": f"/static/{self.version}/app/"}},
            separators=(",", ":"),
        )

    def render_worker(self, source: str) -> str:
        return source.replace("__SHELL_VERSION__", self.version).replace(
            "__SHELL_FILES__", json.dumps(self.files)
        )


def split_versioned(filename: str) -> tuple[str | None, str]:
    """`<version>/app/main.js` -> ("<version>", "app/main.js"); a plain path -> (None, path)."""
    head, _, rest = filename.partition("/")
    if rest and VERSION_PATTERN.match(head):
        return head, rest
    return None, filename


# Where the headers of the shell's pages are made (the content security policy above
# all): the service worker keeps /app with its headers and opens the app from that
# copy, so a change to them must make a new version like a change to the page.
PAGE_HEADERS = (Path(__file__).resolve().parent.parent / "security.py",
                Path(__file__).resolve().parent / "views.py")


def build_shell(*, static_dir: Path, template_dir: Path, worker: Path) -> Shell:
    static_files = sorted(
        {p for pattern in STATIC_SHELL_GLOBS for p in static_dir.glob(pattern) if p.is_file()}
    )
    hashed = [*static_files, template_dir / "app.html", template_dir / "offline.html", worker,
              *PAGE_HEADERS]
    # Hashing is only redone when a file's size or modification time moves, so a
    # changed file on disk is still seen at once without reading every file per request.
    stamp = tuple(
        (str(path), stat.st_mtime_ns, stat.st_size)
        for path in hashed if path.exists() for stat in [path.stat()]
    )
    version = _version(stamp)
    relative = [p.relative_to(static_dir).as_posix() for p in static_files]
    app_dir = static_dir / "app"
    start = (tuple(f"app/{name}" for name in start_modules(str(app_dir), version))
             if (app_dir / "main.js").is_file() else ())
    return Shell(version=version, static_paths=tuple(relative), start_paths=start)


@lru_cache(maxsize=8)
def _version(stamp: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _mtime, _size in stamp:
        path = Path(name)
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]
