"""``Housekeeper``: what keeps runs moving, whoever executes them.

Once a second it requeues runs whose worker vanished, wakes sleepers, times runs out,
fires due cron ticks (each once, however many processes look), delivers completion
callbacks, and prunes ended runs past the retention. It runs in every ``runyard serve``
(beside its embedded worker, or without one) and in workers that reach the database
directly; a worker over HTTP leaves it to its server.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from runyard.core.errors import Unavailable
from runyard.service.callbacks import CallbackService
from runyard.service.metrics import Metrics
from runyard.service.services import Services

log = logging.getLogger("runyard.housekeeping")


class Housekeeper:
    def __init__(
        self,
        services: Services,
        *,
        retention: timedelta | None = None,
        metrics: Metrics | None = None,
        every_seconds: float = 1.0,
    ) -> None:
        self.execution = services.execution
        self.schedules = services.schedules
        # Its own: the HTTP client that delivers callbacks is closed by ``stop``.
        self.callbacks = CallbackService(services.db, services.clock)
        self.retention = services.retention
        self.keep = retention
        self.metrics = metrics
        self.every_seconds = every_seconds
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="runyard-housekeeping", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self.callbacks.close()

    def _loop(self) -> None:
        while not self._halt.wait(self.every_seconds):
            try:
                self.run_once()
            except Unavailable as exc:  # the database is down or restarting: try again
                log.warning("housekeeping: %s", exc.detail)
            except Exception:
                log.exception("housekeeping failed; retrying")

    def run_once(self) -> None:
        upkept = self.execution.housekeeping()
        if self.metrics is not None:
            finished = self.metrics.runs_finished
            finished.labels("timed_out").inc(upkept.timed_out)
            finished.labels("canceled").inc(upkept.canceled)
        self.schedules.fire_due()
        self.callbacks.deliver_due()
        if self.keep is not None:
            self.retention.prune_due(self.keep)
