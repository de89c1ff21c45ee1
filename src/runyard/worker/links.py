"""``RunLink``: one run a worker executes, as the worker sees it.

It holds what the worker last learnt of the run's status (from heartbeats and replies),
and the outbox: step records and progress not yet sent. A step's start and a progress
report wait in the outbox; the worker's shipper sends what has waited a moment, and the
next call that must land takes them along. A finished step's result must land before
anything after it takes effect, so ``flush`` sends it before the next step starts, and
the calls that park or end the run carry the outbox with them. So a one-step run costs
no request of its own between its claim and its end, and a run of n steps n - 1.

Sends go one at a time and in order (``_sending``), so a later state of a step can never
be overwritten by an earlier one; the outbox itself is guarded by a short lock
(``_state``), so noting a step never waits for a send.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from runyard.core.errors import LeaseLost, Unavailable
from runyard.core.models import Run, Step
from runyard.core.statuses import RunStatus
from runyard.worker import logs
from runyard.worker.transport import Transport


class Disconnected(Exception):
    """runyard could not be reached for a call the run cannot go on without (raised in
    place of ``Unavailable``, which a workflow's own code may raise for other reasons)."""


@contextmanager
def _calling() -> Iterator[None]:
    """A call of the run's to runyard: not the run's log, and ``Disconnected`` when
    runyard is away."""
    try:
        with logs.quiet():
            yield
    except Unavailable as exc:
        raise Disconnected(exc.detail) from exc


class RunLink:
    def __init__(
        self, run_id: str, transport: Transport, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.run_id = run_id
        self.transport = transport
        self.monotonic = monotonic
        self._state = threading.Lock()
        self._sending = threading.RLock()
        self._pending: dict[int, Step] = {}
        self._must_land: set[int] = set()  # seqs whose record must land before going on
        self._progress: int | None = None
        self._since: float | None = None  # when the oldest unsent record was noted
        self._status = RunStatus.RUNNING
        self._lost = False

    # -- what the worker knows of the run ------------------------------------------------

    def learn(self, status: RunStatus | None) -> None:
        """The run's status as runyard last said it (None: this worker no longer holds it)."""
        with self._state:
            if status is None:
                self._lost = True
            else:
                self._status = status

    def seen(self) -> tuple[RunStatus, bool]:
        """The last status learnt, and whether the lease was lost."""
        with self._state:
            return self._status, self._lost

    # -- the outbox ------------------------------------------------------------------------

    def note(self, step: Step, *, must_land: bool = False) -> None:
        with self._state:
            self._pending[step.seq] = step
            if must_land:
                self._must_land.add(step.seq)
            if self._since is None:
                self._since = self.monotonic()

    def note_progress(self, percent: int) -> None:
        with self._state:
            self._progress = percent
            if self._since is None:
                self._since = self.monotonic()

    def waited(self, seconds: float) -> bool:
        """Whether something unsent has waited at least ``seconds``."""
        with self._state:
            return self._since is not None and self.monotonic() - self._since >= seconds

    def flush(self, *, all_of_it: bool = False) -> None:
        """Send the outbox if it holds a result that must land (or anything, with
        ``all_of_it``). ``LeaseLost`` marks the run lost and propagates."""
        with self._sending:
            with self._state:
                if not self._pending and self._progress is None:
                    return
                if not all_of_it and not self._must_land:
                    return
                steps, progress = dict(self._pending), self._progress
            try:
                with _calling():
                    status = self.transport.record(self.run_id, list(steps.values()), progress)
            except LeaseLost:
                self.learn(None)
                raise
            with self._state:
                for seq, step in steps.items():
                    if self._pending.get(seq) is step:
                        del self._pending[seq]
                        self._must_land.discard(seq)
                if self._progress == progress:
                    self._progress = None
                if not self._pending and self._progress is None:
                    self._since = None
            self.learn(status)

    def _take(self) -> list[Step]:
        """Everything in the outbox, for a call that carries it; progress has no such
        call, so it is sent first if any is waiting."""
        if self._progress is not None:
            self.flush(all_of_it=True)
        with self._state:
            steps = list(self._pending.values())
            self._pending.clear()
            self._must_land.clear()
            self._since = None
        return steps

    # -- calls that carry the outbox -------------------------------------------------------

    def suspend(self, *, until: datetime | None = None, event: str | None = None) -> None:
        with self._sending, _calling():
            self.transport.suspend(self.run_id, self._take(), until=until, event=event)

    def start_child(self, workflow: str, data: dict[str, Any], key: str) -> Run:
        with self._sending, _calling():
            return self.transport.start_child(self.run_id, workflow, data, key, self._take())

    def child(self, child_id: str) -> Run:
        with _calling():
            return self.transport.child(self.run_id, child_id)

    def take_for_ending(self) -> tuple[Step, ...]:
        """The outbox's steps, to travel with the run's ending. Progress waiting to be
        sent is dropped rather than sent on its own: a completed run is at 100 anyway."""
        with self._sending:
            with self._state:
                self._progress = None
            return tuple(self._take())
