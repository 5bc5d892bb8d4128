"""`flask --app visitcheck …` commands: prompts around the same services the web uses."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .auth import service as auth
from .checklists import service as checklists
from .command_errors import refusals_end_the_command
from .database import utcnow
from .demo import DEMO_TEAM, USERS, seed_demo
from .devices import service as devices
from .errors import OpRefused
from .extensions import db, keyring
from .keys import load_keyring
from .keys import service as keys
from .keys.keyring import add_master_key_to_file
from .models_registry import ENCRYPTED_MODELS
from .rules import service as rules
from .setup_service import init_database
from .sync import export as sync_export


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
        with refusals_end_the_command(auth.AccountError):
            auth.create_user(db.session, username=username, password=password, role=role,
                             team=team, name=name)
        db.session.commit()
        click.echo(f"Created {role} {username} in {team_name}.")

    @app.cli.command("demo")
    @click.option("--password", required=True, help="Password for every demo user.")
    def demo_command(password: str):
        """Seed a demo team (hv, sn, lead, admin) with households and caseloads."""
        with refusals_end_the_command(auth.AccountError):
            demo = seed_demo(db.session, password=password, keyring=keyring())
        db.session.commit()
        if demo is None:
            click.echo(f"The demo team {DEMO_TEAM!r} exists already; nothing changed.")
        else:
            click.echo(f"Demo team {DEMO_TEAM!r} created.")
        for username, name, role in USERS:
            click.echo(f"  {username:6} {role.value:15} {name}")

    app.cli.add_command(devices_group)
    app.cli.add_command(keys_group)
    app.cli.add_command(templates_group)
    app.cli.add_command(sync_group)
    from .notify.cli import notify_group

    app.cli.add_command(notify_group)
    from .audit.cli import audit_group

    app.cli.add_command(audit_group)
    from .retention.cli import retention_group

    app.cli.add_command(retention_group)
    from .retention.export_cli import export_group

    app.cli.add_command(export_group)
    app.cli.add_command(flags_group)


@click.group("devices", cls=AppGroup)
def devices_group():
    """Tablets and browsers holding a vault."""


@devices_group.command("list")
@click.option("--username", default=None, help="Only this user's devices.")
def devices_list_command(username: str | None):
    from .auth.models import User

    user = None
    if username:
        user = db.session.query(User).filter_by(username=username).first()
        if user is None:
            raise click.ClickException(f"no user {username!r}")
    for device in devices.devices_of(db.session, user=user):
        state = f"revoked ({device.revoke_mode})" if device.revoked_at else "active"
        click.echo(f"{device.device_id}  {device.label:30}  {state}")


@devices_group.command("revoke")
@click.argument("device_id")
@click.option("--mode", type=click.Choice([m.value for m in devices.RevokeMode]),
              default=devices.RevokeMode.LOST.value, show_default=True,
              help="retire: may push its outbox, then wipes. lost: refused at once, wipes on "
                   "contact, and the user's sessions end.")
def devices_revoke_command(device_id: str, mode: str):
    """Revoke a device (remote wipe)."""
    try:
        devices.revoke(db.session, device_id=device_id, mode=devices.RevokeMode(mode))
    except devices.UnknownDevice:
        raise click.ClickException(f"no device {device_id}") from None
    db.session.commit()
    click.echo(f"Device {device_id} revoked ({mode}).")


@click.group("keys", cls=AppGroup)
def keys_group():
    """Master keys and sealing keys."""


@keys_group.command("rotate")
@click.option("--new-master-key", is_flag=True,
              help="Add a new master key first in instance/master.key before re-wrapping.")
@click.option("--sealing-key", is_flag=True,
              help="Also make a new sealing key; older ones keep opening older envelopes.")
def keys_rotate_command(new_master_key: bool, sealing_key: bool):
    """Re-wrap every data key under the current (first) master key. Runs while the app serves."""
    config = current_app.config["VISITCHECK"]
    ring = keyring()
    if new_master_key:
        if config.master_key:
            raise click.ClickException(
                "VISITCHECK_MASTER_KEY is set: put the new key first in it (comma-separated, "
                "old keys after) and run `keys rotate` without --new-master-key")
        key_id = add_master_key_to_file(config.instance_path)
        ring = load_keyring(env_value=None, instance_path=config.instance_path)
        current_app.extensions["visitcheck.keyring"] = ring
        click.echo(f"New master key {key_id} added to instance/master.key. Restart the app "
                   "servers so new records are written under it.")
    counts = keys.rewrap_all(db.session, keyring=ring, models=ENCRYPTED_MODELS)
    if sealing_key:
        new = keys.rotate_sealing_key(db.session, keyring=ring)
        click.echo(f"New sealing key {new.kid}.")
    db.session.commit()
    for table, count in counts.items():
        click.echo(f"  {table:20} {count} re-wrapped")
    click.echo(f"Every data key is wrapped under {ring.current_master_id}.")


@keys_group.command("status")
def keys_status_command():
    """What is wrapped under which master key, and the sealing keys."""
    ring = keyring()
    click.echo(f"Current master key: {ring.current_master_id}")
    click.echo(f"Master keys held: {', '.join(ring.master_keys)}")
    for table, usage in keys.key_usage(db.session, models=ENCRYPTED_MODELS).items():
        parts = ", ".join(f"{key_id}: {count}" for key_id, count in sorted(usage.items()))
        click.echo(f"  {table:20} {parts or 'no rows'}")
    for key in keys.sealing_keys(db.session):
        state = f"retired {key.retired_at:%Y-%m-%d}" if key.retired_at else "current"
        click.echo(f"Sealing key {key.kid}: {state}")


@click.group("templates", cls=AppGroup)
def templates_group():
    """Checklist template versions."""


@templates_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def templates_load_command(file: Path):
    """Add a template version from a JSON file; existing versions never change."""
    with refusals_end_the_command(ValueError, OpRefused):
        definition = json.loads(file.read_text())
        row = checklists.load_template(db.session, definition=definition)
    db.session.commit()
    click.echo(f"Template {row.template} version {row.version} loaded.")


@click.group("sync", cls=AppGroup)
def sync_group():
    """Device sync: the last-resort export files."""


@sync_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--username", required=True,
              help="The practitioner whose device made the export (checked against the file).")
def sync_import_command(file: Path, username: str):
    """Apply a device's export file as that device's push would; importing twice is harmless."""
    with refusals_end_the_command(sync_export.UnknownUser, sync_export.ExportInvalid,
                                  sync_export.ExportForAnotherUser):
        result = sync_export.import_export(db.session, data=file.read_bytes(), username=username,
                                           keyring=keyring(), actor_username="cli")
    db.session.commit()
    counts = ", ".join(f"{count} {status}" for status, count in result.counts.items())
    click.echo(f"Export {result.export_id} from device {result.device_id} for {username}: "
               f"{len(result.answers)} ops: {counts}.")
    for answer in result.answers:
        if answer["status"] in ("conflict", "rejected"):
            detail = answer.get("error", {}).get("title") or f"server revision {answer.get('rev')}"
            click.echo(f"  {answer['op_id']}: {answer['status']} ({detail})")


@click.group("flags", cls=AppGroup)
def flags_group():
    """The server's flags on checklists."""


@flags_group.command("refresh")
@click.option("--now", "now_text", default=None, metavar="ISO-8601",
              help="The rules' clock (default: now, UTC); for a test or a catch-up run.")
def flags_refresh_command(now_text: str | None):
    """Evaluate the flags of every open checklist again (days passing, facts changed).

    Run it from cron or a systemd timer (README, Deployment). Safe on several hosts
    at once: on PostgreSQL one run holds an advisory lock and the others stop; a
    flag set read from older facts never overwrites a newer one.
    """
    try:
        now = datetime.fromisoformat(now_text) if now_text else None
    except ValueError:
        raise click.BadParameter("an ISO 8601 time, e.g. 2026-11-30T09:00:00Z",
                                 param_hint="--now") from None
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    with rules.refresh_lock(db.engine) as got:
        if not got:
            click.echo("Another host is refreshing the flags; nothing done here.")
            return
        started, after, looked, stored = utcnow(), 0, 0, 0
        while True:
            last, done = rules.refresh_batch(db.session, keyring=keyring(), started=started,
                                             after_id=after, now=now)
            db.session.commit()
            if last is None:
                break
            looked, stored, after = looked + 1, stored + done, last
    click.echo(f"Flags refreshed: {stored} checklist{'s' if stored != 1 else ''} "
               f"evaluated{f' in {looked} batches' if looked > 1 else ''}.")
