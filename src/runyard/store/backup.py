"""Backups of a SQLite database, taken while servers and workers use it, and restoring one.

A backup is SQLite's online backup (``sqlite3.Connection.backup``): a consistent copy of
the database as of one moment, written beside the destination, checked
(``PRAGMA integrity_check``, a runyard schema) and only then renamed into place, so a
crash never leaves a half-written backup under the destination's name. PostgreSQL is
backed up with its own tools (``pg_dump``; README, "Backups").
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from runyard.core.errors import InvalidInput
from runyard.store import migrate
from runyard.store.backends import backend_for
from runyard.store.engine import normalize_url

PAGES_PER_STEP = 4096  # copied between lock releases: writers wait at most one step


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a backup file holds."""

    path: Path
    revision: str
    runs: int
    bytes: int

    @property
    def current(self) -> bool:
        """Whether it is at this runyard's newest schema (else ``db upgrade`` it)."""
        return self.revision == migrate.head_revision()


def sqlite_path(database_url: str) -> Path:
    url = normalize_url(database_url)
    path = backend_for(url).file_path(url)
    if path is None:
        raise InvalidInput(
            "backup and restore copy SQLite databases; back up PostgreSQL with pg_dump "
            "(pg_dump -Fc -f runyard.dump <database>; restore with pg_restore -d <database> "
            "runyard.dump)"
        )
    return path


def backup(database_url: str, destination: Path) -> Snapshot:
    """Copy the database at ``database_url`` (in use or not) to ``destination``."""
    source = sqlite_path(database_url)
    if not source.is_file():
        raise InvalidInput(f"no database at {source}")
    if destination.exists():
        raise InvalidInput(f"{destination} exists; choose a new file")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst, pages=PAGES_PER_STEP)
        snapshot = inspect(partial)
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        partial.rename(destination)
    finally:
        partial.unlink(missing_ok=True)
    return Snapshot(destination, snapshot.revision, snapshot.runs, destination.stat().st_size)


def restore(backup_file: Path, database_url: str) -> Snapshot:
    """Replace the database at ``database_url`` with ``backup_file`` (checked first).

    Servers and workers on that database must be stopped: they would go on with what
    they hold in memory of the database being replaced."""
    snapshot = inspect(backup_file)
    target = sqlite_path(database_url)
    with (
        closing(sqlite3.connect(backup_file)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst, pages=PAGES_PER_STEP)
    return Snapshot(target, snapshot.revision, snapshot.runs, target.stat().st_size)


def inspect(path: Path) -> Snapshot:
    """A backup file's revision and run count; ``InvalidInput`` if it is not a whole
    runyard database."""
    if not path.is_file():
        raise InvalidInput(f"no file at {path}")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            (verdict,) = conn.execute("PRAGMA integrity_check").fetchone()
            if verdict != "ok":
                raise InvalidInput(f"{path} is damaged: {verdict}")
            (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            (runs,) = conn.execute("SELECT count(*) FROM runs").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{path} is not a runyard database ({exc})") from None
    if revision not in migrate.revisions():
        raise InvalidInput(f"{path} is at revision {revision}, which this runyard does not know")
    return Snapshot(path, str(revision), int(runs), path.stat().st_size)
