"""``Database``: the engine plus read and write transactions over it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeAlias

from sqlalchemy import Connection, Engine, exc, text

from runyard.core.errors import Unavailable
from runyard.store import migrate, signals
from runyard.store.backends import Backend, backend_for
from runyard.store.engine import make_engine
from runyard.store.outages import unavailable_when_lost
from runyard.store.violations import duplicates_refused

# An open transaction, as ``read`` and ``write`` yield it: a service holds one only to hand
# it back to the store's functions.
Tx: TypeAlias = Connection


class Database:
    """One per process, built from the configuration and passed to whoever needs it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # What differs on this database (``store/backends``).
        self.backend: Backend = backend_for(engine.dialect)
        self.upkeep = self.backend.start_upkeep(engine)
        # What committed write transactions noted, for this process's waiters.
        self.signals = signals.Signals()

    @classmethod
    def connect(cls, database_url: str, *, pool_size: int = 10) -> Database:
        return cls(make_engine(database_url, pool_size=pool_size))

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with unavailable_when_lost(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits when the block ends and rolls back on an exception.
        What it noted (``signals.note``) is published once it has committed."""
        with (
            unavailable_when_lost(),
            duplicates_refused(),
            self.engine.connect().execution_options(write=True) as conn,
        ):
            try:
                with conn.begin():
                    yield conn
            finally:
                noted = signals.take_notes(conn)  # dropped on a rollback
        self.signals.publish(noted)

    def upgrade(self) -> None:
        """Apply the pending migrations. A database that cannot be reached (no server, no
        such database, a file in a missing folder) is ``Unavailable``, naming it and why."""
        try:
            with self.engine.connect():
                pass
        except (exc.OperationalError, exc.InterfaceError) as failed:
            reason = str(getattr(failed, "orig", None) or failed).strip().splitlines()[0]
            where = self.engine.url.render_as_string(hide_password=True)
            raise Unavailable(f"cannot reach the database {where}: {reason}") from None
        # Processes starting together on a new database migrate one after another.
        migrate.upgrade(self.engine, first=self.backend.lock_for_migrations)

    def ping(self) -> None:
        """Ask the database to answer (``Unavailable`` if it cannot)."""
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    def revision(self) -> str | None:
        """The schema revision the database is at (None before the first migration)."""
        return migrate.current_revision(self.engine)

    def dispose(self) -> None:
        self.upkeep.stop()
        self.engine.dispose()
