"""Engines: one per process, built from a database URL and passed in (never global)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.engine import URL

from runyard.core.errors import InvalidInput
from runyard.store.backends import backend_for


def normalize_url(database_url: str) -> URL:
    """Accept ``sqlite:///file.db`` and ``postgresql://...``; PostgreSQL goes through psycopg 3."""
    try:
        url = make_url(database_url)
    except Exception:
        raise InvalidInput(
            f"RUNYARD_DATABASE_URL {database_url!r} is not a database URL "
            "(examples: sqlite:///./runyard.db, postgresql://user@host:5432/db)"
        ) from None
    return backend_for(url).driver_url(url)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _loads(value: Any) -> Any:
    """JSON text to a value. SQLite gives a column declared ``JSON`` numeric affinity, so a
    document that is a bare number (``2``, ``2.5``) comes back already as that number."""
    if isinstance(value, int | float):
        return value
    return orjson.loads(value)


def make_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    url = normalize_url(database_url)
    options: dict[str, Any] = {
        "json_serializer": _dumps,
        "json_deserializer": _loads,
        "pool_size": pool_size,
        "max_overflow": 2 * pool_size,
        # A connection dropped by a database restart is replaced, not handed out.
        "pool_pre_ping": True,
        # Batches go to the driver's executemany (psycopg pipelines it) instead of one
        # giant multi-row statement that the driver would parse anew for every batch.
        "use_insertmanyvalues": False,
    }
    backend = backend_for(url)
    engine = create_engine(url, **backend.engine_options(url, options))
    backend.configure(engine)
    return engine
