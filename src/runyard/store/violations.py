"""What the database refusing a duplicate means, for everyone who writes to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from runyard.core.errors import Duplicate

# PostgreSQL's unique_violation; SQLite's names for a UNIQUE or PRIMARY KEY refusal.
PG_UNIQUE = "23505"
SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


@contextmanager
def duplicates_refused() -> Iterator[None]:
    """A unique or primary-key violation: ``Duplicate``, a domain error callers can retry
    on or answer with 409, instead of the driver's error. Other integrity errors (a
    foreign key, a check) are bugs, and stay as they are."""
    try:
        yield
    except exc.IntegrityError as refused:
        cause = refused.orig
        unique = getattr(cause, "sqlstate", None) == PG_UNIQUE or (
            getattr(cause, "sqlite_errorname", None) in SQLITE_UNIQUE
        )
        if not unique:
            raise
        raise Duplicate("that exists already (another write stored it first)") from refused
