"""How a `flask` command ends when a service refuses: the service's message, exit
status 1, and nothing written (the transaction is rolled back). One place for every
command group (cli.py, retention/, audit/, notify/...)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from .extensions import db


@contextmanager
def refusals_end_the_command(*errors: type[BaseException]) -> Iterator[None]:
    """Within the block, any of `errors` rolls back and ends the command with its text."""
    try:
        yield
    except errors as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
