"""In-process notices of committed changes, so that waiters need not poll.

A write transaction notes what it changed (``note``: "project P has runs queued", "run
R has new log lines"); ``Database.write`` publishes the notes once the transaction has
committed, never before, and drops them on a rollback. Waiters subscribe to topics and
sleep until a notice or their time-out, on a thread (``Waiter.wait``) or on the event loop
(``await Waiter.wait_async``). Notices reach only this process: waiters still look now
and then for changes other processes made.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from runyard.core.waiting import Waiter

NOTES = "runyard_signal_notes"  # the topics a transaction noted, in its connection's info


def queued(project_id: str) -> str:
    """The topic of runs becoming claimable in a project."""
    return f"queued:{project_id}"


def logged(run_pk: int) -> str:
    """The topic of new log lines of a run."""
    return f"logs:{run_pk}"


def note(conn: Connection, topic: str) -> None:
    """Publish ``topic`` when this connection's transaction commits."""
    conn.info.setdefault(NOTES, set()).add(topic)


def take_notes(conn: Connection) -> set[str]:
    """The topics noted in the transaction that just ended (and forget them)."""
    found: set[str] = conn.info.pop(NOTES, None) or set()
    return found


class Signals:
    """The process's topics and their waiters (one per ``Database``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[Waiter]] = {}

    def publish(self, topics: Iterable[str]) -> None:
        with self._lock:
            woken = {w for topic in topics for w in self._waiters.get(topic, ())}
        for waiter in woken:
            waiter.fire()

    @contextmanager
    def subscribe(self, *topics: str) -> Iterator[Waiter]:
        waiter = Waiter()
        with self._lock:
            for topic in topics:
                self._waiters.setdefault(topic, set()).add(waiter)
        try:
            yield waiter
        finally:
            with self._lock:
                for topic in topics:
                    found = self._waiters.get(topic)
                    if found is not None:
                        found.discard(waiter)
                        if not found:
                            del self._waiters[topic]
