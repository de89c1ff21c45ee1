"""A waiter woken by notices of committed changes (``store/signals.py`` publishes them),
on a thread (``wait``) or on the event loop (``await wait_async``): plain synchronisation,
no I/O, so that any layer may wait on it."""

from __future__ import annotations

import asyncio
import threading
from contextlib import suppress


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
