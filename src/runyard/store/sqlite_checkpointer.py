"""A thread that copies SQLite's write-ahead log back into the database file.

By default the connection whose commit pushes the WAL past 1,000 pages does that copy
itself, inside the commit, so a write request pays for everyone's pages. At millions
of runs that was a quarter of an import's time. Here a thread checkpoints (PASSIVE:
it never blocks readers or the writer) a few times a second instead; the automatic
checkpoint stays on at a higher mark as a backstop for when no thread runs (the CLI).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

log = logging.getLogger("runyard.store")

# Pages of WAL at which a committing connection still checkpoints by itself (~80 MiB).
BACKSTOP_PAGES = 20_000


class Checkpointer:
    def __init__(self, engine: Engine, interval: float = 0.25) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpointer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def nudge(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        connection = self.engine.raw_connection()
        try:
            while not self._stop.is_set():
                self._wake.wait(self.interval)
                self._wake.clear()
                try:
                    cursor = connection.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    cursor.close()
                except Exception:  # a failed pass is retried on the next tick
                    log.exception("WAL checkpoint failed")
        finally:
            connection.close()
