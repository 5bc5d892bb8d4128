"""What the server sends compressed, what it never compresses, and how long browsers may
keep the shell's files (docs/performance.md, docs/security.md "Compression and BREACH")."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re

import brotli

from tests.conftest import sign_in
from visitcheck import resource_dir
from visitcheck.shell.assets import strip_js

IMMUTABLE = "public, max-age=31536000, immutable"


def _precached(client) -> list[str]:
    worker = client.get("/sw.js").get_data(as_text=True)
    return json.loads(re.search(r"const SHELL_FILES = (\[.*?\]);", worker).group(1))


def _versioned(client, path: str) -> str:
    [url] = [u for u in _precached(client) if u.endswith("/" + path)]
    return url


def _vary(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Vary", "").split(",")}


def test_shell_javascript_is_sent_gzipped_when_the_client_accepts_gzip(app):
    client = app.test_client()
    url = _versioned(client, "app/main.js")

    response = client.get(url, headers={"Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "accept-encoding" in _vary(response)
    assert response.mimetype == "text/javascript"
    served = gzip.decompress(response.data)
    source = (resource_dir("static") / "app" / "main.js").read_bytes()
    assert served == strip_js(source)
    assert len(response.data) < len(served) / 2


def test_brotli_is_preferred_when_the_client_accepts_both(app):
    client = app.test_client()
    url = _versioned(client, "app/sync.js")

    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})

    assert response.headers["Content-Encoding"] == "br"
    source = (resource_dir("static") / "app" / "sync.js").read_bytes()
    assert brotli.decompress(response.data) == strip_js(source)


def test_shell_javascript_is_sent_plain_when_compression_is_not_accepted(app):
    client = app.test_client()
    url = _versioned(client, "app/main.js")

    for headers in [{}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0, br;q=0"}]:
        response = client.get(url, headers=headers)

        assert "Content-Encoding" not in response.headers, headers
        assert "accept-encoding" in _vary(response), headers
        assert response.data == strip_js((resource_dir("static") / "app" / "main.js").read_bytes())


def test_a_large_api_answer_is_gzipped_when_accepted_and_plain_when_not(app, demo):
    client = app.test_client()
    sign_in(client, "hv", demo.PASSWORD)

    plain = client.get("/api/v1/bootstrap")
    zipped = client.get("/api/v1/bootstrap", headers={"Accept-Encoding": "gzip"})

    assert "Content-Encoding" not in plain.headers
    assert len(plain.data) > 4096, "the bootstrap carries the templates: a large answer"
    assert zipped.status_code == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "accept-encoding" in _vary(zipped)
    assert zipped.headers["Cache-Control"] == "no-store"
    body = json.loads(gzip.decompress(zipped.data))
    expected = plain.get_json()
    assert body["templates"] == expected["templates"]
    assert body["user"] == expected["user"]
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(plain.data) / 3


def test_a_small_api_answer_is_not_compressed(api_client):
    hv = api_client("hv")

    response = hv.post("/api/v1/devices", {"device_id": hv.device_id, "label": "again"},
                       headers={"Accept-Encoding": "gzip, br"})

    assert response.status_code == 200
    assert len(response.data) < 1024
    assert "Content-Encoding" not in response.headers


def test_server_pages_with_a_csrf_token_are_never_compressed(app, demo):
    client = app.test_client()
    login = client.get("/login?next=/app", headers={"Accept-Encoding": "gzip, br"})
    assert 'name="csrf_token"' in login.get_data(as_text=True)
    assert "Content-Encoding" not in login.headers

    sign_in(client, "lead", demo.PASSWORD)
    queue = client.get("/review", headers={"Accept-Encoding": "gzip, br"})
    assert queue.status_code == 200
    assert "Content-Encoding" not in queue.headers


def test_the_app_shell_page_is_compressed_and_revalidated(app):
    client = app.test_client()

    response = client.get("/app", headers={"Accept-Encoding": "gzip"})

    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "csrf" not in gzip.decompress(response.data).decode().lower()


def test_versioned_shell_files_may_be_cached_for_a_year(app):
    client = app.test_client()
    files = [url for url in _precached(client) if url.startswith("/static/")]
    assert len(files) > 20

    for url in files:
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, url
        if url == "/static/manifest.webmanifest":
            # Chromium knows an installed app by its manifest's URL: it stays plain.
            assert response.headers["Cache-Control"] == "no-cache"
        else:
            assert re.match(r"^/static/[0-9a-f]{12}/", url), url
            assert response.headers["Cache-Control"] == IMMUTABLE, url


def test_plain_and_other_version_urls_are_revalidated_not_kept(app):
    client = app.test_client()
    current = _versioned(client, "css/app.css")

    for url in ["/static/css/app.css", "/static/0123456789ab/css/app.css",
                "/static/icons/icon-512.png"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-cache", url
        if url.endswith(".css"):
            assert response.data == client.get(current).data, url
        assert response.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304, url


def test_a_missing_static_file_is_404_under_any_version(app):
    client = app.test_client()
    version = _versioned(client, "app/main.js").split("/")[2]

    assert client.get("/static/app/nope.js").status_code == 404
    assert client.get(f"/static/{version}/app/nope.js").status_code == 404
    assert client.get(f"/static/{version}/../pyproject.toml").status_code == 404


def test_the_shell_page_points_at_the_precached_versioned_files(app):
    client = app.test_client()
    html = client.get("/app").get_data(as_text=True)
    precached = set(_precached(client))

    # Only iOS reads the apple-touch-icon, online, when the app is added to a home screen.
    html = re.sub(r'<link rel="apple-touch-icon"[^>]*>', "", html)
    referenced = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))

    assert referenced <= precached
    assert any(url.endswith("/app/main.js") for url in referenced)
    assert not [url for url in precached if url.endswith(".png")], "install icons stay online"


# What a module imports statically (import ... from, export ... from, a bare import),
# read independently of the server's own parse; `import(...)` loads on demand.
_STATIC_IMPORT = re.compile(
    r'^\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"', re.M | re.S)


def _statically_reachable(entry: str) -> set[str]:
    app_dir = (resource_dir("static") / "app").resolve()
    reached: set[str] = set()
    waiting = [entry]
    while waiting:
        name = waiting.pop()
        if name in reached:
            continue
        reached.add(name)
        path = app_dir / name
        for match in _STATIC_IMPORT.finditer(path.read_text(encoding="utf-8")):
            target = (path.parent / (match.group(1) or match.group(2))).resolve()
            waiting.append(target.relative_to(app_dir).as_posix())
    return reached


def _preloaded(client) -> list[str]:
    html = client.get("/app").get_data(as_text=True)
    return re.findall(r'<link rel="modulepreload" href="([^"]+)">', html)


def test_the_shell_page_preloads_every_module_the_start_imports_statically(app):
    client = app.test_client()
    preloaded = {url.split("/app/", 1)[1] for url in _preloaded(client)}

    assert preloaded == _statically_reachable("main.js")


def test_the_screens_a_start_does_not_need_are_not_preloaded(app):
    client = app.test_client()
    preloaded = {url.split("/app/", 1)[1] for url in _preloaded(client)}

    # Loaded with import() when first needed (screens/later.js), warmed after the
    # passphrase step: the visit form, the people editors, the caseload.
    for name in ("screens/visit.js", "form.js", "people.js", "screens/caseload.js",
                 "conflict.js", "chronology.js", "followup.js"):
        assert name not in preloaded, name
    assert "screens/unlock.js" in preloaded


def test_the_sync_loop_and_the_export_are_not_preloaded(app):
    client = app.test_client()
    preloaded = {url.split("/app/", 1)[1] for url in _preloaded(client)}

    # Needed only once unlocked (the sync loop starts after the unlock; "Sync
    # now" and "Export" show only then): loaded with import() (screens/later.js).
    for name in ("sync.js", "sync/push.js", "sync/pull.js", "sync/queue.js",
                 "sync/backoff.js", "caseload.js", "export.js"):
        assert name not in preloaded, name
    # What the status line and a start-up wipe need stays in the start.
    assert {"sync/status.js", "outbox.js", "screens/signout.js"} <= preloaded


def test_every_module_of_the_app_is_precached_so_it_works_offline(app):
    client = app.test_client()
    modules = {url.split("/app/", 1)[1] for url in _precached(client)
               if url.endswith(".js") and "/app/" in url}

    app_dir = resource_dir("static") / "app"
    assert modules == {path.relative_to(app_dir).as_posix() for path in app_dir.rglob("*.js")}
    assert set(_preloaded(client)) < {url for url in _precached(client) if url.endswith(".js")}


def test_the_screen_modules_are_precached_and_served_with_comments_cut(app):
    client = app.test_client()
    precached = set(_precached(client))
    screens = sorted((resource_dir("static") / "app" / "screens").glob("*.js"))
    assert screens

    for path in screens:
        url = _versioned(client, f"app/screens/{path.name}")
        assert url in precached, url
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == IMMUTABLE, url
        source = path.read_bytes()
        served = gzip.decompress(response.data)
        # Parsed and cut (a file that does not parse would be served as written),
        # line for line.
        assert served == strip_js(source) != source, url
        assert served.count(b"\n") == source.count(b"\n"), url


def test_the_import_map_is_the_only_inline_script_and_the_policy_names_its_hash(app):
    client = app.test_client()
    response = client.get("/app")
    html = response.get_data(as_text=True)

    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    script_src = next(d for d in response.headers["Content-Security-Policy"].split(";")
                      if d.strip().startswith("script-src"))
    assert script_src.split()[1:] == ["'self'", f"'sha256-{digest}'"]
    version = _versioned(client, "app/main.js").split("/")[2]
    assert json.loads(inline[0]) == {"imports": {"/static/app/": f"/static/{version}/app/"}}


def test_a_change_to_the_pages_headers_makes_a_new_shell_version(tmp_path, monkeypatch):
    # The worker opens the app from its cached /app, headers and all: a new content
    # security policy must reach the tablets as a new version, like a new page.
    from visitcheck.shell import service

    headers = tmp_path / "security.py"
    headers.write_text('CONTENT_SECURITY_POLICY = "default-src \'self\'"\n')
    monkeypatch.setattr(service, "PAGE_HEADERS", (headers,))
    paths = {"static_dir": resource_dir("static"), "template_dir": resource_dir("templates"),
             "worker": resource_dir("service_worker") / "sw.js"}
    before = service.build_shell(**paths).version

    headers.write_text('CONTENT_SECURITY_POLICY = "default-src \'none\'"\n')

    assert service.build_shell(**paths).version != before
