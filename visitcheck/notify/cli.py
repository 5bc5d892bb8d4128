"""`flask --app visitcheck notify …`: deliver the notifications waiting for team leads."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..auth.models import User
from ..extensions import db
from . import service


@click.group("notify", cls=AppGroup)
def notify_group():
    """Notifications to team leads (urgent flags, overdue reviews)."""


@notify_group.command("send")
def notify_send_command():
    """Record reviews that became overdue, then send what is waiting. Run it every
    minute from cron or a systemd timer, on one host or several: each notification is
    sent once, and one the mail server refused is kept for the next run."""
    config = current_app.config["VISITCHECK"]
    overdue = service.record_overdue(db.session)
    db.session.commit()
    report = service.deliver_due(db.session, mailer=service.mailer_for(config),
                                 base_url=config.base_url)
    click.echo(f"{overdue} newly overdue; sent {report.sent}, failed {report.failed} "
               f"(kept for the next run), {report.skipped} taken by another sender.")
    if report.failed:
        raise SystemExit(1)  # so the timer's log shows the run as failed


@notify_group.command("address")
@click.argument("username")
@click.argument("email", required=False, default="")
def notify_address_command(username: str, email: str):
    """Set (or, with no EMAIL, clear) where USERNAME's notifications are emailed."""
    user = db.session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise click.ClickException(f"No user {username}.")
    if email and ("@" not in email or any(c.isspace() for c in email)):
        raise click.ClickException("That is not an email address.")
    user.email = email or None
    db.session.commit()
    click.echo(f"Notifications for {username} go to {email or 'the log only'}.")
