"""In-process notices of committed changes, so that waiters need not poll.

A write transaction notes what it changed (``note``: "project P has runs queued", "run
R has new log lines"); ``Database.write`` publishes the notes once the transaction has
committed, never before, and drops them on a rollback. Waiters subscribe to topics and
sleep until a notice or their time-out, on a thread (``Waiter.wait``) or on the event loop
(``await Waiter.wait_async``). Notices reach only this process: waiters still look now
and then for changes other processes made.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Connection

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


class Waiter:
    """One subscriber: woken by a notice of any of its topics."""

    def __init__(self) -> None:
        self._fired = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async: asyncio.Event | None = None

    def fire(self) -> None:
        self._fired.set()
        loop, event = self._loop, self._async
        if loop is not None and event is not None:
            with suppress(RuntimeError):  # the loop has closed: nobody waits there any more
                loop.call_soon_threadsafe(event.set)

    def wait(self, timeout: float) -> bool:
        """Sleep until a notice (True) or ``timeout`` seconds (False)."""
        fired = self._fired.wait(max(timeout, 0.0))
        self._fired.clear()
        return fired

    async def wait_async(self, timeout: float) -> bool:
        """``wait`` on the running event loop."""
        if self._async is None:
            self._async = asyncio.Event()
            self._loop = asyncio.get_running_loop()
        if not self._fired.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(self._async.wait(), max(timeout, 0.0))
        fired = self._fired.is_set()
        self._fired.clear()
        self._async.clear()
        return fired


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
