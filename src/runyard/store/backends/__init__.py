"""The database seam: everything that differs between SQLite and PostgreSQL lives in this
package (``base.Backend`` and its two implementations); ``backend_for`` is the one place
that picks an implementation by the database's name."""

from __future__ import annotations

from sqlalchemy import Connection, Dialect
from sqlalchemy.engine import URL

from runyard.core.errors import InvalidInput
from runyard.store.backends.base import MIN_INDEXED_TERM, Backend, like_pattern
from runyard.store.backends.postgres import PostgresBackend
from runyard.store.backends.sqlite import SqliteBackend

__all__ = ["MIN_INDEXED_TERM", "Backend", "backend_for", "backend_of", "like_pattern"]

_POSTGRES = PostgresBackend()
BACKENDS: dict[str, Backend] = {
    "sqlite": SqliteBackend(),
    "postgresql": _POSTGRES,
    "postgres": _POSTGRES,  # the name libpq also accepts
}


def backend_for(name_or_dialect: str | Dialect | URL) -> Backend:
    """The backend of a database, by its dialect, URL, or name."""
    if isinstance(name_or_dialect, URL):
        name = name_or_dialect.get_backend_name()
    elif isinstance(name_or_dialect, str):
        name = name_or_dialect
    else:
        name = name_or_dialect.name
    try:
        return BACKENDS[name]
    except KeyError:
        raise InvalidInput(f"unsupported database {name!r}: use sqlite or postgresql") from None


def backend_of(conn: Connection) -> Backend:
    return backend_for(conn.dialect)
