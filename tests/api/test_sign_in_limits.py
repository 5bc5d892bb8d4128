"""Sign-in resists floods without locking the real user out, and new passwords are
long and not found among common and breached ones (NIST SP 800-63B)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import sign_in
from tests.review_support import csrf_token, web_client


def _from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_wrong_passwords_for_many_usernames_from_one_address_are_throttled(app, demo):
    guesser = _from(app, "10.0.0.9")

    answers = [sign_in(guesser, f"nobody{i}", "wrong-password").status_code
               for i in range(30)]

    assert answers[:20] == [401] * 20
    assert set(answers[20:]) == {429}
    # Others go on signing in.
    assert sign_in(_from(app, "10.0.0.10"), "hv", demo.PASSWORD).status_code == 302


def test_a_flood_of_wrong_passwords_from_one_address_does_not_lock_the_real_user_out(
        app, demo):
    guesser = _from(app, "10.0.0.66")

    answers = [sign_in(guesser, "hv", f"wrong-{i}").status_code for i in range(8)]

    assert answers == [401] * 5 + [429] * 3
    assert sign_in(_from(app, "10.0.0.1"), "hv", demo.PASSWORD).status_code == 302


def test_a_flood_from_many_addresses_slows_the_account_but_not_a_browser_it_signed_in_from(
        app, demo):
    usual = _from(app, "10.0.1.1")
    assert sign_in(usual, "hv", demo.PASSWORD).status_code == 302
    usual.post("/logout", data={"csrf_token": csrf_token(usual)})

    answers = [sign_in(_from(app, f"10.0.2.{i}"), "hv", "wrong-password").status_code
               for i in range(31)]

    assert answers == [401] * 30 + [429]
    # A browser the account never used waits; the one she signs in from does not.
    assert sign_in(_from(app, "10.0.3.1"), "hv", demo.PASSWORD).status_code == 429
    assert sign_in(usual, "hv", demo.PASSWORD).status_code == 302


def test_a_known_browser_cookie_for_another_account_does_not_exempt_a_guesser(app, demo):
    guesser = _from(app, "10.0.4.1")
    assert sign_in(guesser, "sn", demo.PASSWORD).status_code == 302  # their own account
    for i in range(30):
        sign_in(_from(app, f"10.0.5.{i}"), "hv", "wrong-password")

    assert sign_in(guesser, "hv", demo.PASSWORD).status_code == 429


@pytest.mark.parametrize(("password", "why"), [
    ("eleven-char", "at least 12 characters"),
    ("1qaz2wsx3edc", "most common passwords found in breaches"),
    ("Password1234", "most common passwords found in breaches"),
    ("iloveyou1234", "too easy to guess"),
    ("monkeymonkeymonkey", "too easy to guess"),
    ("smithsmith1990", "too easy to guess"),
    ("abcdefghijklmnop", "too easy to guess"),
    ("nurse1-on-the-ward", "must not contain your username"),
    ("my-visitcheck-pass", "must not contain your username"),
])
def test_create_user_refuses_short_breached_and_guessable_passwords(app, password, why):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--username", "nurse1", "--role", "school_nurse",
              "--team", "Eastgate"], input=password + "\n")

    assert result.exit_code != 0
    assert why in result.output


def test_the_admin_page_shows_a_refused_password_next_to_its_field(app, demo):
    admin = web_client(app, "admin")
    team = re.search(r'<option value="([0-9a-f-]{36})"',
                     admin.get("/admin/users").get_data(as_text=True)).group(1)

    page = admin.post("/admin/users", data={
        "csrf_token": csrf_token(admin), "username": "hv4", "name": "New Visitor",
        "role": "health_visitor", "team": team, "password": "password1234"})

    assert page.status_code == 400
    error = re.search(r'id="password-error">([^<]*)<', page.get_data(as_text=True))
    assert "found in breaches" in error.group(1)


def test_the_demo_password_that_make_run_uses_and_the_readme_names_is_accepted(app):
    root = Path(__file__).resolve().parents[2]
    makefile = re.search(r"^DEMO_PASSWORD \?= (\S+)$", (root / "Makefile").read_text(),
                         re.MULTILINE).group(1)
    assert f"password `{makefile}`" in (root / "README.md").read_text()

    result = app.test_cli_runner().invoke(args=["demo", "--password", makefile])

    assert result.exit_code == 0, result.output
    assert sign_in(app.test_client(), "hv", makefile).status_code == 302


def test_behind_a_trusted_proxy_limits_count_the_clients_address(app_config, demo,
                                                                 another_app):
    from dataclasses import replace

    proxied = another_app(replace(app_config, trusted_proxies=1))

    def via_proxy(client_address: str):
        client = proxied.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = client_address
        return client

    answers = [sign_in(via_proxy("192.0.2.7"), "hv", f"wrong-{i}").status_code
               for i in range(6)]

    assert answers == [401] * 5 + [429]
    assert sign_in(via_proxy("192.0.2.8"), "hv", demo.PASSWORD).status_code == 302


def test_the_per_address_limit_is_shared_by_workers_through_redis(app_config, demo,
                                                                  another_app):
    import uuid
    from dataclasses import replace

    import redis

    config = replace(app_config, ratelimit_storage_uri="redis://127.0.0.1:6379/15")
    workers = [another_app(config), another_app(config)]
    address = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    store = redis.Redis(host="127.0.0.1", port=6379, db=15)
    store.delete(*(store.keys(f"*{address}*") or [b"none"]))

    answers = []
    for i in range(22):
        client = workers[i % 2].test_client()
        client.environ_base["REMOTE_ADDR"] = address
        answers.append(sign_in(client, f"nobody-{uuid.uuid4().hex[:8]}", "wrong").status_code)

    assert answers == [401] * 20 + [429] * 2
    keys = store.keys(f"*{address}*")
    assert keys
    store.delete(*keys)
