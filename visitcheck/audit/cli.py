"""`flask --app visitcheck audit verify|access`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db, keyring
from . import chain


@click.group("audit", cls=AppGroup)
def audit_group():
    """The audit trail: check its chain; who has touched a person's records."""


@audit_group.command("verify")
def audit_verify_command():
    """Check every entry's keyed hash and place; exit 1 naming the first broken entry."""
    report = chain.verify(db.session, keyring=keyring())
    db.session.rollback()
    for line in chain.report_lines(report):
        click.echo(line)
    if not report.intact:
        raise SystemExit(1)
