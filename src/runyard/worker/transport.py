"""What the worker loop needs of runyard, whichever way it reaches it.

``direct.DirectTransport`` does each call in this process over the database (the worker
embedded in ``runyard serve``, or ``runyard worker`` with a database URL);
``remote.HttpTransport`` sends it to a server over the worker routes (``runyard worker
--url``, holding only a project key). The worker loop, the ``Context`` and every
guarantee are the same over both: the transport only carries the calls.

Every call that names a run is refused with ``LeaseLost`` when this worker no longer
holds it. A transport raises ``Unavailable`` when runyard cannot be reached now.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from runyard.core.errors import Unavailable
from runyard.core.execution import Claim, Ended, Ending
from runyard.core.logs import LogLine
from runyard.core.models import Run, Step
from runyard.core.statuses import RunStatus

log = logging.getLogger("runyard.worker")


class Transport(Protocol):
    owner: str  # this worker's name: the holder of its leases
    outage: Outage  # says once when runyard cannot be reached, and once when it can again

    def register(self, workflows: Sequence[dict[str, Any]]) -> list[str]:
        """Create or version each workflow (``WorkflowDef.registration()``); their ids."""

    def claim(
        self,
        workflow_ids: Sequence[str],
        *,
        limit: int,
        lease: timedelta,
        wait: float,
        stop: threading.Event,
    ) -> list[Claim]:
        """Up to ``limit`` queued runs, started under this worker's lease; when there are
        none, wait up to ``wait`` seconds for some (returning early once ``stop`` is set)."""

    def interrupt(self) -> None:
        """Make a ``claim`` that is waiting return now (the worker is stopping)."""

    def renew(self, run_ids: Sequence[str], lease: timedelta) -> dict[str, RunStatus]:
        """Extend the leases; each run still held, with its current status."""

    def record(self, run_id: str, steps: Sequence[Step], progress: int | None) -> RunStatus:
        """Record steps (and progress) of a held run; its current status."""

    def suspend(
        self,
        run_id: str,
        steps: Sequence[Step],
        *,
        until: datetime | None = None,
        event: str | None = None,
    ) -> None:
        """Park a held run (after recording ``steps``) until a time or an event."""

    def start_child(
        self,
        parent_id: str,
        workflow: str,
        data: dict[str, Any],
        key: str,
        steps: Sequence[Step],
    ) -> Run:
        """Queue a child run of a held run (the same one again for the same ``key``)."""

    def child(self, parent_id: str, child_id: str) -> Run:
        """A child run of ``parent_id``, as it is now."""

    def finish(self, endings: Sequence[Ending]) -> list[Ended]:
        """End several runs' execution at once; what became of each."""

    def write_logs(self, lines: Sequence[LogLine]) -> None:
        """Append log lines to their runs' logs."""

    def close(self) -> None:
        """Let go of connections (after ``interrupt``: calls still retrying give up)."""


class Outage:
    """Says once that runyard cannot be reached, and once that it can be again: a worker
    retrying through an outage writes two lines, not one per attempt."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._since: float | None = None
        self._lock = threading.Lock()

    def failed(self, error: Unavailable) -> None:
        with self._lock:
            if self._since is not None:
                return
            self._since = time.monotonic()
        log.warning("%s cannot be reached (%s); retrying with back-off", self.what, error.detail)

    def ended(self, sent_at: float) -> None:
        """A call sent at ``sent_at`` (``time.monotonic()``) was answered: the outage is
        over, unless the call was sent before the outage was noticed (an answer already
        on its way then says nothing about now)."""
        with self._lock:
            if self._since is None or sent_at < self._since:
                return
            lasted, self._since = time.monotonic() - self._since, None
        log.warning("%s can be reached again (after %.1f s)", self.what, lasted)

    @property
    def ongoing(self) -> bool:
        with self._lock:
            return self._since is not None
