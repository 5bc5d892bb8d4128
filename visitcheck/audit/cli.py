"""`flask --app visitcheck audit verify|access`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db, keyring
from . import chain, service

OPERATOR = "cli"


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


@audit_group.command("access")
@click.option("--person", "person_id", required=True, help="Public id of the person.")
def audit_access_command(person_id: str):
    """Every read and write touching a person's records: who, when, what, which device."""
    rows = service.access_log(db.session, person_id=person_id, viewer_name=OPERATOR)
    db.session.commit()  # the asking is itself audited
    click.echo(f"{len(rows)} entries touch the records of person {person_id}:")
    for row in rows:
        click.echo(f"{row.at:%Y-%m-%d %H:%M:%S}  {row.who or '-':12} {row.action:24} "
                   f"{row.what}  device {row.device_id or '-'}  ip {row.ip or '-'}")
