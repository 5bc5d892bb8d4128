"""Sign-in, sign-out, throttling, the audit of both, and the headers on every answer."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import CSRF_INPUT, sign_in
from visitcheck.audit.models import AuditEvent
from visitcheck.extensions import db


def _actions(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        return [(e.action, e.actor_username) for e in events if e.action.startswith("auth.")]


def test_sign_in_success_and_failure_are_audited(app, demo):
    client = app.test_client()

    failed = sign_in(client, "hv", "wrong password")
    ok = sign_in(client, "hv", demo.PASSWORD)

    assert failed.status_code == 401
    assert "do not match" in failed.get_data(as_text=True)
    assert ok.status_code == 302
    assert ok.headers["Location"] == "/app"
    assert _actions(app) == [("auth.sign_in_failed", "hv"), ("auth.sign_in", "hv")]


def test_lead_lands_on_the_review_queue(app, demo):
    response = sign_in(app.test_client(), "lead", demo.PASSWORD)

    assert response.headers["Location"] == "/review"


def test_next_may_not_leave_the_site(app, demo):
    client = app.test_client()
    page = client.get("/login?next=https://evil.example/")
    token = CSRF_INPUT.search(page.get_data(as_text=True)).group(1)

    response = client.post("/login?next=https://evil.example/",
                           data={"username": "hv", "password": demo.PASSWORD,
                                 "csrf_token": token})

    assert response.headers["Location"] == "/app"


def test_sixth_failed_sign_in_within_a_minute_is_throttled(app, demo):
    client = app.test_client()
    answers = [sign_in(client, "hv", f"wrong-{i}").status_code for i in range(6)]

    assert answers == [401] * 5 + [429]
    # Even the right password waits: the account is being guessed at.
    assert sign_in(client, "hv", demo.PASSWORD).status_code == 429
    # Another account is not affected.
    assert sign_in(client, "sn", demo.PASSWORD).status_code == 302


def test_sign_in_without_csrf_token_is_refused(app, demo):
    response = app.test_client().post("/login", data={"username": "hv",
                                                      "password": demo.PASSWORD})

    assert response.status_code == 400
    assert _actions(app) == []


def test_sign_out_clears_site_data(app, demo):
    client = app.test_client()
    sign_in(client, "hv", demo.PASSWORD)
    token = client.get("/api/v1/bootstrap").get_json()["csrf_token"]

    response = client.post("/logout", data={"csrf_token": token})

    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert client.get("/api/v1/bootstrap").status_code == 401


def test_api_without_a_session_answers_401_problem_json(app, demo):
    response = app.test_client().get("/api/v1/bootstrap")

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"].endswith("/unauthenticated")


def test_bootstrap_gives_the_device_what_it_needs(demo, api_client):
    boot = api_client("hv").bootstrap

    assert boot["user"] == {"id": demo.users["hv"], "name": "Asha Patel",
                            "role": "health_visitor"}
    assert boot["policy"] == {"idle_lock_seconds": 300, "max_unlock_failures": 10,
                              "pbkdf2_iterations": 600000,
                              "sync_backoff_max_seconds": 300}
    assert boot["sealing_key"]["alg"] == "ECDH-P256+HKDF-SHA256+A256GCM"
    assert boot["sealing_key"]["public_key"].startswith("B")  # 0x04: an uncompressed point
    assert [(t["template"], t["version"]) for t in boot["templates"]] == [
        ("child-observation", 1), ("home-visit", 1), ("home-visit", 2)]


def test_every_page_carries_the_security_headers(app, demo):
    client = app.test_client()
    for path in ["/login", "/app", "/sw.js", "/api/v1/bootstrap"]:
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert "script-src 'self'" in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path


def test_api_and_review_answers_are_not_stored_by_caches(app, demo):
    client = app.test_client()
    sign_in(client, "lead", demo.PASSWORD)

    assert client.get("/api/v1/bootstrap").headers["Cache-Control"] == "no-store"
    assert client.get("/review").headers["Cache-Control"] == "no-store"


def test_device_registration_is_idempotent(demo, api_client):
    hv = api_client("hv")

    again = hv.post("/api/v1/devices", {"device_id": hv.device_id, "label": "tablet"})
    bad = hv.post("/api/v1/devices", {"device_id": "not-a-uuid"})

    assert again.status_code == 200
    assert bad.status_code == 400
    assert bad.get_json()["errors"][0]["field"] == "device_id"
