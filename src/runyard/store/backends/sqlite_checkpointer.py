"""A thread that copies SQLite's write-ahead log back into the database file.

By default the connection whose commit pushes the WAL past 1,000 pages does that copy
itself, inside the commit, so a write request pays for everyone's pages. At millions
of runs that was a quarter of an import's time. Here a thread checkpoints (PASSIVE:
it never blocks readers or the writer) a few times a second instead; the automatic
checkpoint stays on at a higher mark as a backstop for when no thread runs (the CLI).
"""

from __future__ import annotations

from sqlalchemy import Engine

from runyard.store.upkeep import Upkeep

# Pages of WAL at which a committing connection still checkpoints by itself (~80 MiB).
BACKSTOP_PAGES = 20_000


class Checkpointer(Upkeep):
    name = "sqlite-checkpointer"

    def __init__(self, engine: Engine, interval: float = 0.25) -> None:
        super().__init__(engine, interval)

    def run_once(self) -> None:
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cursor.close()
        finally:
            connection.close()
