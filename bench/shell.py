"""Benchmark: the app shell's size on the wire, and its offline cold start in Chromium.

1. Size: every file the service worker precaches (the shell), fetched from the
   app as a browser would (`Accept-Encoding: br, gzip` and plain), per file and
   in total. Baselines from the same run: the same files as written in the
   repository with no compression, and gzipped as they are written (how the
   shell was measured before it was served compressed). Two totals, printed
   apart: the *start* (what opening the app needs: /app, the files it names,
   and every module main.js reaches by static imports, read here from the
   served modules) and the *install* (the whole precache, which the service
   worker fetches once per version so that everything works offline).
2. Cold start: headless Chromium (Debian's, with the browser tests' launch
   arguments) on a profile where hv has signed in, set a passphrase and synced;
   the browser is started afresh for each run (cold: no process, no memory
   cache) and opens /app offline. Times are from the navigation's start, on the
   page's own clock:
   - to the passphrase step: the unlock screen shown, its field focused;
   - unlock (PBKDF2, 600,000 rounds, by design) to the caseload shown;
   - "New visit" to the checklist rendered.
   The baseline is the same cold start online (the page and the bootstrap from
   the server). Medians of several runs, with the spread.
3. Optionally (`--floor`), the browser's own floor for such a start on this
   machine, in the same run: the same Chromium opens, offline, a page of a few
   lines served by a service worker with the app's static routes (the page and
   one module from its cache, the worker not started), and the same page whose
   module first opens an IndexedDB database and reads one key. No app can start
   sooner than the first of these on the machine it runs on.
4. Optionally (`--lighthouse`), Lighthouse's mobile performance score for /app
   (signed in, so it shows the passphrase step), installed from npm into
   .venv/lighthouse when missing.

    .venv/bin/python bench/shell.py                 # sizes and 5 cold starts
    .venv/bin/python bench/shell.py --runs 9 --lighthouse
    .venv/bin/python bench/shell.py --runs 7 --floor --compare /work/main
    git archive "$(git merge-base main HEAD)" | tar -x -C /tmp/before && \
      .venv/bin/python bench/shell.py --lighthouse --compare /tmp/before

Everything runs on 127.0.0.1 against the app served by gunicorn; the run stops
by itself.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urljoin
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parent.parent

CHROMIUM = os.environ.get("VISITCHECK_CHROMIUM", "/usr/bin/chromium")
# The browser tests' launch arguments (tests/browser/conftest.py).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
PASSWORD = "bench-shell-demo-password"
PASSPHRASE = "correct horse battery"
LIGHTHOUSE_DIR = ROOT / ".venv" / "lighthouse"

# Records, on the page's clock, when each step of the start is on screen. Runs
# before any of the page's scripts (Playwright's init script).
TIMING_SCRIPT = """
(() => {
  const marks = {};
  window.__shellBench = marks;
  const shown = (id) => { const el = document.getElementById(id); return el && !el.hidden; };
  new MutationObserver(() => {
    const now = performance.now();
    if (!marks.unlock && shown("screen-unlock")) marks.unlock = now;
    if (!marks.list && shown("screen-list") && document.querySelector("#households .household"))
      marks.list = now;
    if (!marks.form && shown("screen-form") && document.querySelector("#checklist-body fieldset"))
      marks.form = now;
  }).observe(document, { subtree: true, childList: true, attributes: true,
                         attributeFilter: ["hidden"] });
})();
"""


# Where a start's time goes, on the page's clock: the page answered, the last of the
# start's modules answered, the modules run (DOMContentLoaded waits for them). The
# start's modules are those requested before DOMContentLoaded: the screens loaded
# later (import() when first needed, or warmed once the first screen shows) are not.
STEPS_SCRIPT = """() => {
  const navigation = performance.getEntriesByType("navigation")[0];
  const modules = performance.getEntriesByType("resource").filter((e) => e.name.includes("/app/")
    && e.startTime < navigation.domContentLoadedEventStart);
  return { page: navigation.responseEnd, modules: Math.max(0, ...modules.map((e) => e.responseEnd)),
           run: navigation.domContentLoadedEventStart };
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workdir: Path, root: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
           "SECRET_KEY": "bench-secret", "VISITCHECK_SYNC_RATE_LIMIT": "1000000/minute",
           # The code under test: this checkout, or the one given with --compare.
           "PYTHONPATH": str(root)}
    env.pop("VISITCHECK_MASTER_KEY", None)
    flask = [sys.executable, "-m", "flask", "--app", "visitcheck"]
    for command in (["init-db"], ["demo", "--password", PASSWORD]):
        subprocess.run([*flask, *command], env=env, cwd=workdir, check=True,  # noqa: S603
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--chdir", str(workdir), "visitcheck:create_app()"],
        # Not this checkout's directory: `python -m` puts the working directory first
        # on the import path, ahead of PYTHONPATH.
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def fetch(url: str, encoding: str | None) -> tuple[bytes, str | None]:
    headers = {"Accept-Encoding": encoding} if encoding else {}
    with urlopen(Request(url, headers=headers), timeout=30) as response:  # noqa: S310 - loopback
        return response.read(), response.headers.get("Content-Encoding")


def source_of(url: str, root: Path) -> bytes | None:
    """The file as written in the repository, for the baseline."""
    match = re.match(r"^/static/(?:[0-9a-f]{12}/)?(.+)$", url)
    if match:
        return (root / "static" / match.group(1)).read_bytes()
    return None


# A static import in a served module (comments are cut, so none is commented out):
# `import ... from "x"`, `export ... from "x"`, `import "x"`; not `import("x")`.
STATIC_IMPORT = re.compile(
    rb'^\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"', re.M | re.S)


def start_urls(base: str, files: list[str]) -> set[str]:
    """What opening the app needs: /app, the static files the page names (the
    iOS-only touch icon aside), and the modules main.js reaches statically."""
    page, _ = fetch(f"{base}/app", None)
    page = re.sub(rb'<link rel="apple-touch-icon"[^>]*>', b"", page)
    named = {url.decode() for url in re.findall(rb'(?:src|href)="(/static/[^"]+)"', page)}
    [main] = [url for url in files if url.endswith("/app/main.js")]
    reached, waiting = set(), [main]
    while waiting:
        url = waiting.pop()
        if url in reached:
            continue
        reached.add(url)
        source, _ = fetch(base + url, None)
        for match in STATIC_IMPORT.finditer(source):
            specifier = (match.group(1) or match.group(2)).decode()
            waiting.append(urljoin(url, specifier))
    preloaded = {url.decode() for url in re.findall(rb'rel="modulepreload" href="([^"]+)"', page)}
    missing = reached - preloaded - {main}
    if missing:
        print(f"  note: {len(missing)} start modules are not preloaded: {sorted(missing)}")
    return {"/app"} | named | reached


def measure_sizes(base: str, root: Path) -> dict:
    worker, _ = fetch(f"{base}/sw.js", None)
    files = json.loads(re.search(rb"const SHELL_FILES = (\[.*?\]);", worker).group(1))
    rows = []
    for url in files:
        plain, _ = fetch(base + url, None)
        brotli_body, br_coding = fetch(base + url, "br")
        gzip_body, gz_coding = fetch(base + url, "gzip")
        written = source_of(url, root) or plain
        rows.append({
            "url": url, "written": len(written), "served": len(plain),
            "br": len(brotli_body), "br_coding": br_coding,
            "gzip": len(gzip_body), "gzip_coding": gz_coding,
            "written_gzip": len(gzip.compress(written, 9)),
        })
    start = start_urls(base, files)
    for row in rows:
        row["start"] = row["url"] in start
    return {"files": rows}


def print_sizes(sizes: dict) -> int:
    rows = sizes["files"]
    print(f"\nShell (the service worker's precache list): {len(rows)} files")
    print(f"{'file (* = needed by a start)':48} {'as written':>10} {'served':>8} {'br':>7} "
          f"{'gzip':>7}")
    for row in rows:
        name = re.sub(r"/static/[0-9a-f]{12}/", "/static/<v>/", row["url"])
        name = f"{'*' if row['start'] else ' '} {name}"
        print(f"{name:48} {row['written']:>10} {row['served']:>8} "
              f"{row['br']:>7} {row['gzip']:>7}")
    total = {key: sum(row[key] for row in rows)
             for key in ("written", "served", "br", "gzip", "written_gzip")}
    print(f"{'total':48} {total['written']:>10} {total['served']:>8} "
          f"{total['br']:>7} {total['gzip']:>7}")
    start = [row for row in rows if row["start"]]
    start_br = sum(row["br"] for row in start)
    print(f"\nthe start (opening the app, {len(start)} files), compressed (br): "
          f"{start_br / 1024:.1f} KiB ({start_br} bytes), gzip: "
          f"{sum(row['gzip'] for row in start) / 1024:.1f} KiB; target < 50 KB")
    print(f"the install (the whole precache, {len(rows)} files), compressed (br): "
          f"{total['br'] / 1024:.1f} KiB ({total['br']} bytes), "
          f"gzip: {total['gzip'] / 1024:.1f} KiB")
    print(f"ratio to the files as written, uncompressed: {total['br'] / total['written']:.3f} "
          f"(br), {total['gzip'] / total['written']:.3f} (gzip)")
    written_gzip = total["written_gzip"]
    print(f"ratio to the files as written, gzipped: {total['br'] / written_gzip:.3f} (br), "
          f"{total['gzip'] / written_gzip:.3f} (gzip)")
    return {"br": total["br"], "start_br": start_br}


def prepare_profile(playwright, base: str, profile: Path) -> None:
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
        viewport={"width": 1024, "height": 768}, locale="en-GB", service_workers="allow")
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{base}/login?next=/app")
        page.get_by_label("Username").fill("hv")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/app$"))
        page.locator("#passphrase").fill(PASSPHRASE, timeout=60_000)
        page.locator("#passphrase-confirm").fill(PASSPHRASE)
        page.locator("#set-passphrase").click()
        page.locator("#households .household").first.wait_for(timeout=60_000)
        wait_until(page, "navigator.serviceWorker.controller !== null")
        wait_until(page, "document.querySelector('#sync-status').dataset.phase === 'idle'"
                         " || document.querySelector('#sync-status').dataset.waiting === '0'")
    finally:
        context.close()


def wait_until(page, expression: str, timeout: float = 60.0):
    """Polls an expression (the page's policy forbids the eval Playwright's
    wait_for_function would use for a string)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(f"() => ({expression})")
        if value:
            return value
        time.sleep(0.02)
    raise TimeoutError(expression)


def cold_start(playwright, base: str, profile: Path, *, offline: bool) -> dict:
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
        viewport={"width": 1024, "height": 768}, locale="en-GB", service_workers="allow",
        offline=offline)
    try:
        context.add_init_script(TIMING_SCRIPT)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{base}/app")
        wait_until(page, "window.__shellBench && window.__shellBench.unlock")
        steps = page.evaluate(STEPS_SCRIPT)
        page.locator("#unlock-passphrase").fill(PASSPHRASE)
        clicked = page.evaluate("() => performance.now()")
        page.locator("#unlock").click()
        wait_until(page, "window.__shellBench.list")
        new_visit = page.locator("#households .household").first.get_by_role(
            "button", name=re.compile("New visit", re.I))
        new_visit.wait_for()
        opened = page.evaluate("() => performance.now()")
        new_visit.click()
        wait_until(page, "window.__shellBench.form")
        marks = page.evaluate("() => window.__shellBench")
        controlled = page.evaluate("() => navigator.serviceWorker.controller !== null")
    finally:
        context.close()
    return {"to_passphrase": marks["unlock"], "unlock_to_list": marks["list"] - clicked,
            "new_visit_to_form": marks["form"] - opened, "controlled": controlled, **steps}


def spread(values: list[float]) -> str:
    return (f"{statistics.median(values):7.0f} ms  [{min(values):.0f}–{max(values):.0f}]")


def run_cold_starts(base: str, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    profile = Path(tempfile.mkdtemp(prefix="shell-bench-profile-"))
    try:
        with sync_playwright() as playwright:
            prepare_profile(playwright, base, profile)
            results: dict[str, list[dict]] = {"offline": [], "online": []}
            # Alternated, so that a busy moment of the machine hits both alike.
            for _ in range(runs):
                for mode in ("offline", "online"):
                    results[mode].append(
                        cold_start(playwright, base, profile, offline=mode == "offline"))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return results


def print_cold_starts(results: dict) -> float:
    print(f"\nCold start, headless Chromium, {len(results['offline'])} runs each "
          "(median [min–max], from the navigation's start):")
    for key, label in (("to_passphrase", "to the passphrase step"),
                       ("unlock_to_list", "unlock (PBKDF2) to the caseload"),
                       ("new_visit_to_form", "New visit to the checklist")):
        offline = [r[key] for r in results["offline"]]
        online = [r[key] for r in results["online"]]
        ratio = statistics.median(offline) / statistics.median(online)
        print(f"  {label:34} offline {spread(offline)}   online {spread(online)}   "
              f"ratio {ratio:.2f}")
    print("  where the offline start to the passphrase step goes (medians, ms from the start):")
    for key, label in (("page", "/app answered"), ("modules", "the last start module answered"),
                       ("run", "the modules run (DOMContentLoaded)"),
                       ("to_passphrase", "the passphrase step (the vault's meta, bootstrap)")):
        print(f"    {label:50} {statistics.median(r[key] for r in results['offline']):6.0f}")
    assert all(r["controlled"] for r in results["offline"]), "the service worker must serve"
    print("  target: offline to the passphrase step < 200 ms")
    return statistics.median(r["to_passphrase"] for r in results["offline"])


# The floor: a page with a loading line and a hidden "unlock" screen, one module
# that shows the screen (after opening IndexedDB and reading one key, on the
# second page), and a worker whose static routes answer both from its cache.
FLOOR_FILES = {
    "page.html": """<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<title>floor</title><script type="module" src="/start.js"></script></head>
<body><p id="screen-loading">Starting</p>
<section id="screen-unlock" hidden>
<label>Passphrase <input id="p" type="password"></label></section>
</body></html>""",
    "start.js": """async function readOneKey() {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("floor", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("meta");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  await new Promise((resolve) => {
    const tx = db.transaction("meta");
    tx.objectStore("meta").get("vault");
    tx.oncomplete = resolve;
  });
}
if (document.body.dataset.idb) await readOneKey();
document.getElementById("screen-loading").hidden = true;
document.getElementById("screen-unlock").hidden = false;
document.getElementById("p").focus();
""",
    "sw.js": """const CACHE = "floor";
self.addEventListener("install", (event) => {
  if (event.addRoutes) {
    event.addRoutes([{ condition: { urlPattern: { pathname: "/*" }, requestMethod: "GET" },
                       source: { cacheName: CACHE } }]);
  }
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(["/page.html", "/idb.html", "/start.js"])));
});
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (event) => {
  event.respondWith(caches.match(event.request).then((cached) => cached || fetch(event.request)));
});
""",
    "register.html": """<!doctype html><title>register</title>
<script type="module" src="/register.js"></script>""",
    "register.js": """await navigator.serviceWorker.register("/sw.js");
await navigator.serviceWorker.ready;
document.title = "ready";
""",
}


def measure_floor(runs: int) -> dict:
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    site = Path(tempfile.mkdtemp(prefix="shell-floor-"))
    for name, text in FLOOR_FILES.items():
        (site / name).write_text(text)
    idb_page = FLOOR_FILES["page.html"].replace("<body>", '<body data-idb="1">')
    (site / "idb.html").write_text(idb_page)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    profile = Path(tempfile.mkdtemp(prefix="shell-floor-profile-"))
    results: dict[str, list[float]] = {"page.html": [], "idb.html": []}

    def browser(playwright, offline: bool):
        return playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1024, "height": 768}, locale="en-GB",
            service_workers="allow", offline=offline)

    try:
        with sync_playwright() as playwright:
            context = browser(playwright, offline=False)
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{base}/register.html")
            wait_until(page, "document.title === 'ready'")
            page.goto(f"{base}/idb.html")  # creates the database once, as the app's exists
            wait_until(page, "navigator.serviceWorker.controller !== null")
            context.close()
            for _ in range(runs):
                for name, times in results.items():
                    context = browser(playwright, offline=True)
                    try:
                        context.add_init_script(TIMING_SCRIPT)
                        page = context.pages[0] if context.pages else context.new_page()
                        page.goto(f"{base}/{name}")
                        times.append(wait_until(page, "window.__shellBench.unlock"))
                        assert page.evaluate("() => navigator.serviceWorker.controller !== null")
                    finally:
                        context.close()
    finally:
        server.shutdown()
        shutil.rmtree(site, ignore_errors=True)
        shutil.rmtree(profile, ignore_errors=True)
    return results


def print_floor(results: dict) -> dict:
    print(f"\nThe floor on this machine: a page of a few lines through a service worker, "
          f"offline, {len(results['page.html'])} runs (median [min–max]):")
    print(f"  {'its screen shown':42} {spread(results['page.html'])}")
    print(f"  {'the same after opening IndexedDB, one read':42} {spread(results['idb.html'])}")
    return {"floor": statistics.median(results["page.html"]),
            "floor_idb": statistics.median(results["idb.html"])}


def session_cookie(base: str) -> str:
    """A signed-in hv's cookies, so Lighthouse sees the app as hv does."""
    import http.cookiejar
    from urllib.parse import urlencode
    from urllib.request import HTTPCookieProcessor, build_opener

    jar = http.cookiejar.CookieJar()
    opener = build_opener(HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if token is None:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    body = urlencode({"username": "hv", "password": PASSWORD,
                      "csrf_token": token.group(1)}).encode()
    opener.open(f"{base}/login", data=body).read()
    cookie = SimpleCookie()
    for item in jar:
        cookie[item.name] = item.value
    return "; ".join(f"{k}={v.value}" for k, v in cookie.items())


def lighthouse(base: str, runs: int) -> list[float]:
    binary = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(["npm", "install", "--prefix", str(LIGHTHOUSE_DIR), "--no-save",  # noqa: S607
                        "--no-audit", "--no-fund", "lighthouse@12"], check=True)
    scores = []
    attempts = 0
    while len(scores) < runs and attempts < runs + 3:
        attempts += 1
        headers = json.dumps({"Cookie": session_cookie(base)})
        with tempfile.TemporaryDirectory() as out:
            report = Path(out) / "report.json"
            done = subprocess.run(  # noqa: S603
                [str(binary), f"{base}/app", "--only-categories=performance",
                 "--output=json", f"--output-path={report}", "--quiet",
                 f"--extra-headers={headers}",
                 "--chrome-flags=--headless=new " + " ".join(CHROMIUM_ARGS)],
                env={**os.environ, "CHROME_PATH": CHROMIUM}, check=False)
            if done.returncode != 0:
                # Lighthouse sometimes loses its trace on a busy machine (NO_NAVSTART).
                print("  Lighthouse run failed; trying again")
                continue
            data = json.loads(report.read_text())
        score = data["categories"]["performance"]["score"] * 100
        lcp = data["audits"]["largest-contentful-paint"]["numericValue"]
        print(f"  Lighthouse mobile performance for /app: {score:.0f} (LCP {lcp:.0f} ms)")
        scores.append(score)
    if not scores:
        raise SystemExit("Lighthouse failed on every attempt")
    return scores


def measure(root: Path, args) -> dict:
    print(f"\n=== {root} ===")
    workdir = Path(tempfile.mkdtemp(prefix="shell-bench-"))
    process, base = start_server(workdir, root)
    figures: dict = {}
    try:
        figures.update(print_sizes(measure_sizes(base, root)))
        figures["to_passphrase"] = print_cold_starts(run_cold_starts(base, args.runs))
        if args.lighthouse:
            print()
            scores = lighthouse(base, args.lighthouse_runs)
            figures["lighthouse"] = statistics.median(scores)
            print(f"  median {figures['lighthouse']:.0f} "
                  f"[{min(scores):.0f}–{max(scores):.0f}]; target >= 95")
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts of each kind")
    parser.add_argument("--lighthouse", action="store_true", help="also run Lighthouse")
    parser.add_argument("--floor", action="store_true",
                        help="also measure the browser's floor: a page of a few lines "
                             "through a service worker, offline")
    parser.add_argument("--lighthouse-runs", type=int, default=3)
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="also measure another checkout (e.g. the branch point, unpacked "
                             "with git archive in DIR) in the same run, and print the ratios")
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    # The floor before and after the checkouts, so that a change of the machine's
    # load during the run shows.
    floors = [print_floor(measure_floor(args.runs))] if args.floor else []
    figures = measure(ROOT, args)
    measured = [(str(ROOT), figures)]
    if args.compare:
        other = measure(args.compare.resolve(), args)
        measured.append((str(args.compare), other))
        print(f"\nthis checkout / {args.compare}:")
        for key, label in (("start_br", "the start's bytes (br)"),
                           ("br", "the install's bytes, whole precache (br)"),
                           ("to_passphrase", "offline cold start to the passphrase step"),
                           ("lighthouse", "Lighthouse performance")):
            if key in figures and key in other:
                print(f"  {label:44} {figures[key]:8.0f} / {other[key]:8.0f} = "
                      f"{figures[key] / other[key]:.2f}")
    if args.floor:
        floors.append(print_floor(measure_floor(args.runs)))
        floor = statistics.mean(f["floor"] for f in floors)
        floor_idb = statistics.mean(f["floor_idb"] for f in floors)
        print(f"\nthe offline start to the passphrase step over the floor (the mean of the "
              f"floor's medians before and after: {floor:.0f} ms, {floor_idb:.0f} ms with "
              "IndexedDB):")
        for root, checkout in measured:
            start = checkout["to_passphrase"]
            print(f"  {root:44} {start:6.0f} ms = {start / floor:.2f} x the floor, "
                  f"{start / floor_idb:.2f} x with IndexedDB")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
