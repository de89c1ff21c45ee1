"""``runyard db``: migrations, and backups of a SQLite database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runyard.cli.client import Target
from runyard.cli.output import err, fail
from runyard.core.errors import RunyardError

app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply every pending migration to --database-url."""
    from runyard.store.database import Database

    target: Target = ctx.obj
    db = Database.connect(target.database_url, pool_size=1)
    try:
        db.upgrade()
        err.print(f"database at revision {db.revision()}")
    finally:
        db.dispose()


@app.command("backup")
def db_backup(
    ctx: typer.Context,
    destination: Annotated[Path, typer.Argument(help="New file to write the backup to.")],
) -> None:
    """Copy a SQLite --database-url to a file, while servers and workers keep using it.

    PostgreSQL: use pg_dump (see README, "Backups")."""
    from runyard.store import backup

    target: Target = ctx.obj
    try:
        done = backup.backup(target.database_url, destination)
    except RunyardError as exc:
        fail(exc.detail)
    err.print(
        f"backed up {done.runs:,} runs ({done.bytes:,} bytes, revision {done.revision}) "
        f"to {done.path}"
    )


@app.command("restore")
def db_restore(
    ctx: typer.Context,
    backup_file: Annotated[Path, typer.Argument(help="A file written by 'runyard db backup'.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the database without asking.")
    ] = False,
) -> None:
    """Replace a SQLite --database-url with a backup (stop its servers and workers first).

    The backup is checked before anything is replaced; a backup of an older runyard is
    upgraded by 'runyard db upgrade' or the next 'runyard serve'."""
    from runyard.store import backup

    target: Target = ctx.obj
    try:
        found = backup.inspect(backup_file)
        where = backup.sqlite_path(target.database_url)
        if where.exists() and not yes:
            question = f"replace {where} with {found.runs:,} runs from {backup_file}?"
            typer.confirm(question, abort=True)
        done = backup.restore(backup_file, target.database_url)
    except RunyardError as exc:
        fail(exc.detail)
    err.print(f"restored {done.runs:,} runs (revision {done.revision}) into {done.path}")
    if not done.current:
        err.print("the backup is of an older schema: run 'runyard db upgrade' next")
