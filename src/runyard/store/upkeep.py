"""Database upkeep threads: a pass every few seconds, or at once when nudged."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from runyard.core.errors import Unavailable
from runyard.store.outages import unavailable_when_lost

log = logging.getLogger("runyard.store")


class Upkeep:
    """Runs ``run_once`` on a daemon thread every ``interval`` seconds and when nudged.

    A failing pass is logged and retried on the next one; the database away (restarting,
    say) is one line of warning, not a traceback.
    """

    name = "upkeep"

    def __init__(self, engine: Engine, interval: float) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def nudge(self) -> None:
        """A bulk write just committed: do a pass now rather than at the next tick."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def run_once(self) -> object:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                with unavailable_when_lost():
                    self.run_once()
            except Unavailable as exc:  # the database is down or restarting: next pass
                log.warning("%s: %s", self.name, exc.detail)
            except Exception:
                log.exception("%s pass failed", self.name)
