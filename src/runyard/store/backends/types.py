"""Column types whose storage differs by database, each delegating to the backend."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Dialect, Index, TypeDecorator, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TIMESTAMP, TypeEngine

from runyard.store.backends import BACKENDS, Backend


def _backend(dialect: Dialect) -> Backend:
    """A dialect that is neither (SQLAlchemy's default one, which renders statements for
    reading) stores instants as SQL's ``TIMESTAMP WITH TIME ZONE``, as PostgreSQL does."""
    return BACKENDS.get(dialect.name) or BACKENDS["postgresql"]


class UtcTimestamp(TypeDecorator[datetime]):
    """A UTC instant with microsecond precision, stored as the backend says
    (``timestamptz`` on PostgreSQL, integer microseconds on SQLite)."""

    impl = TIMESTAMP(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(_backend(dialect).timestamp_type())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        return None if value is None else _backend(dialect).bind_timestamp(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else _backend(dialect).read_timestamp(value)


# JSON documents: jsonb on PostgreSQL (compact, indexable), JSON text on SQLite.
JsonDocument = JSON().with_variant(postgresql.JSONB(), "postgresql")
# Primary keys of the big tables: BIGINT on PostgreSQL, INTEGER (the rowid) on SQLite.
BigId = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index of only the rows matching ``where``, on both databases (SQLAlchemy spells
    the condition once per dialect)."""
    condition = text(where)
    return Index(name, *columns, unique=unique, sqlite_where=condition, postgresql_where=condition)
