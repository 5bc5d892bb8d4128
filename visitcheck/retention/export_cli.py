"""`flask --app visitcheck export person ID`: a subject access export."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask import render_template
from flask.cli import AppGroup

from ..extensions import db, keyring
from . import subject_access


@click.group("export", cls=AppGroup)
def export_group():
    """Exports for people's rights (subject access)."""


def _write_private(path: Path, text: str) -> None:
    # 0600: it holds special-category data in clear.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


@export_group.command("person")
@click.argument("person_id")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Directory for the two files.")
def export_person_command(person_id: str, out_dir: Path):
    """Write everything held about one person, decrypted: a JSON file and a printable
    HTML page, for a subject access request. Audited."""
    try:
        export = subject_access.export_person(db.session, person_id=person_id,
                                              keyring=keyring(), requested_by="cli")
    except subject_access.UnknownPerson:
        db.session.rollback()
        raise click.ClickException(f"no person {person_id}") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"subject-access-{person_id}"
    _write_private(stem.with_suffix(".json"), json.dumps(export.data, indent=2,
                                                         ensure_ascii=False))
    _write_private(stem.with_suffix(".html"),
                   render_template("export/person.html", data=export.data))
    db.session.commit()  # the export's audit entries, once the files are written
    click.echo(f"Wrote {stem}.json and {stem}.html")
