"""`flask --app visitcheck retention purge|hold …`: prompts around retention.service."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from ..command_errors import refusals_end_the_command
from ..extensions import db, keyring
from . import service

OPERATOR = "cli"


@click.group("retention", cls=AppGroup)
def retention_group():
    """Retention: the purge of records past their time, and legal holds."""


@retention_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Report what would be deleted; change nothing.")
@click.option("--today", "today", default=None, metavar="YYYY-MM-DD",
              help="Purge as of this date (default: today, UTC).")
def purge_command(dry_run: bool, today: str | None):
    """Delete the records of children past retention (25th birthday; 26th if 17 at the
    end of care), and whatever exists only because of them; print the report."""
    try:
        as_of = date.fromisoformat(today) if today else None
    except ValueError:
        raise click.BadParameter("a date as YYYY-MM-DD", param_hint="--today") from None
    from ..database import utcnow

    report = service.purge(db.session, today=as_of or utcnow().date(), keyring=keyring(),
                           dry_run=dry_run, run_by=OPERATOR)
    # A dry run keeps only its audit entry (it read everyone's date of birth).
    db.session.commit()
    for line in report.lines():
        click.echo(line)


@retention_group.group("hold", cls=AppGroup)
def hold_group():
    """Legal holds: nothing held is purged, whatever its age."""


@hold_group.command("add")
@click.option("--household", "household_id", default=None, help="Public id of a household.")
@click.option("--person", "person_id", default=None, help="Public id of a person.")
@click.option("--reason", required=True, help="The order or inquiry (no names).")
def hold_add_command(household_id: str | None, person_id: str | None, reason: str):
    """Place a hold on a household (and everyone in it) or a person."""
    if bool(household_id) == bool(person_id):
        raise click.UsageError("give exactly one of --household and --person")
    kind, subject = ("household", household_id) if household_id else ("person", person_id)
    with refusals_end_the_command(service.HoldError):
        hold = service.place_hold(db.session, subject_type=kind, subject_id=str(subject),
                                  reason=reason, placed_by=OPERATOR)
    db.session.commit()
    click.echo(f"Hold {hold.uuid} placed on {kind} {subject}.")


@hold_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Released holds too.")
def hold_list_command(show_all: bool):
    """The holds in force (with --all, released ones too)."""
    holds = service.all_holds(db.session) if show_all else service.active_holds(db.session)
    if not holds:
        click.echo("No holds." if show_all else "No holds in force.")
    for hold in holds:
        state = (f"released {hold.released_at:%Y-%m-%d} by {hold.released_by}: "
                 f"{hold.release_reason}" if hold.released_at else "in force")
        click.echo(f"{hold.uuid}  {hold.subject_type:9} {hold.subject_id}  placed "
                   f"{hold.placed_at:%Y-%m-%d} by {hold.placed_by}: {hold.reason}  [{state}]")


@hold_group.command("release")
@click.argument("hold_id")
@click.option("--reason", required=True, help="Why the hold ends.")
def hold_release_command(hold_id: str, reason: str):
    """Release a hold; the records become subject to retention again."""
    with refusals_end_the_command(service.HoldError):
        service.release_hold(db.session, hold_id=hold_id, reason=reason, released_by=OPERATOR)
    db.session.commit()
    click.echo(f"Hold {hold_id} released.")
