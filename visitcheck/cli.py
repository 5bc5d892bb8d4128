"""`flask --app visitcheck …` commands: prompts around the same services the web uses."""

from __future__ import annotations

import sys

import click
from flask import Flask

from .auth import service as auth
from .demo import DEMO_TEAM, USERS, seed_demo
from .extensions import db, keyring
from .setup_service import init_database


def _read_password(prompt: str) -> str:
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def register_commands(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db_command():
        """Create or upgrade the database; load templates; make the first keys."""
        init_database(db.session, keyring=keyring())
        db.session.commit()
        click.echo("Database ready.")

    @app.cli.command("create-user")
    @click.option("--username", required=True)
    @click.option("--role", required=True,
                  type=click.Choice(["health_visitor", "school_nurse", "team_lead", "admin"]))
    @click.option("--team", "team_name", required=True, help="Team name (created if new).")
    @click.option("--name", default="", help="Display name (defaults to the username).")
    def create_user_command(username: str, role: str, team_name: str, name: str):
        """Create a user; the password is read from standard input when it is not a terminal."""
        password = _read_password("Password")
        team = auth.get_or_create_team(db.session, name=team_name)
        try:
            auth.create_user(db.session, username=username, password=password, role=role,
                             team=team, name=name)
        except auth.AccountError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        db.session.commit()
        click.echo(f"Created {role} {username} in {team_name}.")

    @app.cli.command("demo")
    @click.option("--password", required=True, help="Password for every demo user.")
    def demo_command(password: str):
        """Seed a demo team (hv, sn, lead, admin) with households and caseloads."""
        try:
            demo = seed_demo(db.session, password=password, keyring=keyring())
        except auth.AccountError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        db.session.commit()
        if demo is None:
            click.echo(f"The demo team {DEMO_TEAM!r} exists already; nothing changed.")
        else:
            click.echo(f"Demo team {DEMO_TEAM!r} created.")
        for username, name, role in USERS:
            click.echo(f"  {username:6} {role.value:15} {name}")
