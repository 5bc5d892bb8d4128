"""The flask commands, run as an operator would."""

from __future__ import annotations

from sqlalchemy import func, select

from visitcheck.auth.models import User
from visitcheck.extensions import db
from visitcheck.people.models import CaseloadAssignment


def test_create_user_reads_the_password_from_standard_input(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--username", "nurse1", "--role", "school_nurse",
              "--team", "Eastgate"],
        input="a-long-enough-password\n",
    )

    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "nurse1")).one()
        assert (user.role, user.team.name) == ("school_nurse", "Eastgate")
        assert user.password_hash.startswith("$argon2id$")


def test_create_user_refuses_a_short_password_clearly(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--username", "x", "--role", "admin", "--team", "T"],
        input="short\n",
    )

    assert result.exit_code != 0
    assert "at least 12 characters" in result.output


def test_demo_seeds_the_named_users_and_caseloads_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--password", "demo-visit-password"])
    second = runner.invoke(args=["demo", "--password", "demo-visit-password"])

    assert first.exit_code == 0
    assert second.exit_code == 0
    assert "exists already" in second.output
    with app.app_context():
        names = set(db.session.scalars(select(User.username)))
        assert {"hv", "sn", "lead", "admin"} <= names
        assert db.session.scalar(select(func.count()).select_from(CaseloadAssignment)) == 4


def test_init_db_can_run_again_on_a_ready_database(app):
    result = app.test_cli_runner().invoke(args=["init-db"])

    assert result.exit_code == 0, result.output
