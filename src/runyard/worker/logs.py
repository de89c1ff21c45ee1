"""Capturing a run's log: what the workflow prints and logs while the run executes.

A worker thread executing a run is *bound* to it (``bound``); while it is, every line it
writes to ``sys.stdout`` (level info) or ``sys.stderr`` (error), and every ``logging``
record it emits, goes into the worker's ``LogBuffer`` as a line of that run's log, with
the step it ran in. Printed text still reaches the terminal too. Lines written from
threads the workflow starts itself are not captured (they are not bound), nor those a
resumed run writes again while it replays its recorded steps.

The buffer is bounded and never blocks: a workflow never waits for its log. The worker
ships the buffer in batches; when the server is away and the buffer fills, new lines are
dropped and counted, and a line saying how many goes into each run's log once there is
room again. The streams and the handler are installed once per process, however many
workers it runs (each binds its threads to its own buffer).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TextIO

from runyard.core.logs import LogLevel, LogLine, clip


class LogBuffer:
    """Lines waiting to be shipped, oldest first, within ``max_lines`` and ``max_bytes``."""

    def __init__(
        self, clock: Callable[[], datetime], max_lines: int = 20_000, max_bytes: int = 16 << 20
    ) -> None:
        self.clock = clock
        self.max_lines, self.max_bytes = max_lines, max_bytes
        self._lines: deque[LogLine] = deque()
        self._bytes = 0
        self._dropped: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, line: LogLine) -> None:
        with self._lock:
            if len(self._lines) >= self.max_lines or self._bytes + line.size > self.max_bytes:
                self._dropped[line.run_id] = self._dropped.get(line.run_id, 0) + 1
                return
            self._lines.append(line)
            self._bytes += line.size

    def take(self, max_lines: int = 1000, max_bytes: int = 512 << 10) -> list[LogLine]:
        """Up to ``max_lines`` lines (``max_bytes`` in all) to ship, oldest first, and
        then a line for each run that had lines dropped, saying how many."""
        taken: list[LogLine] = []
        size = 0
        with self._lock:
            while self._lines and len(taken) < max_lines:
                line = self._lines[0]
                if taken and size + line.size > max_bytes:
                    break
                taken.append(self._lines.popleft())
                size += line.size
                self._bytes -= line.size
            if not self._lines:
                for run_id, count in self._dropped.items():
                    note = (
                        f"runyard: the worker dropped {count:,} lines of this log (its "
                        "buffer was full while the server could not be reached)"
                    )
                    taken.append(LogLine(run_id, self.clock(), LogLevel.WARNING, note))
                self._dropped.clear()
        return taken

    def put_back(self, lines: list[LogLine]) -> None:
        """Lines a failed shipment took, back at the front (the newest dropped if over)."""
        with self._lock:
            for line in reversed(lines):
                if len(self._lines) >= self.max_lines or self._bytes + line.size > self.max_bytes:
                    self._dropped[line.run_id] = self._dropped.get(line.run_id, 0) + 1
                    continue
                self._lines.appendleft(line)
                self._bytes += line.size

    def __len__(self) -> int:
        with self._lock:
            return len(self._lines)


class _Binding(threading.local):
    sink: LogBuffer | None = None
    run_id: str = ""
    step: str | None = None
    quiet: int = 0
    replaying: bool = False
    partial: dict[str, str]

    def __init__(self) -> None:
        self.partial = {}


_here = _Binding()


def _emit(level: LogLevel, message: str) -> None:
    sink = _here.sink
    if sink is None or _here.quiet or _here.replaying:
        return
    sink.add(LogLine(_here.run_id, sink.clock(), level, clip(message), _here.step))


@contextmanager
def bound(sink: LogBuffer, run_id: str) -> Iterator[None]:
    """Capture what this thread writes as ``run_id``'s log until the block ends."""
    _wrap_streams()
    _here.sink, _here.run_id, _here.step, _here.partial = sink, run_id, None, {}
    try:
        yield
    finally:
        for name, rest in _here.partial.items():
            if rest:
                _emit(_STREAM_LEVELS[name], rest)
        _here.sink, _here.run_id, _here.step, _here.partial = None, "", None, {}
        _here.replaying = False


def replaying(on: bool) -> None:
    """While a resumed run replays what an earlier attempt already did (up to its last
    recorded step), what the workflow writes is not its log again: it was the first time."""
    _here.replaying = on


@contextmanager
def in_step(name: str) -> Iterator[None]:
    """Lines written in the block are the step ``name``'s."""
    outer, _here.step = _here.step, name
    try:
        yield
    finally:
        _here.step = outer


@contextmanager
def quiet() -> Iterator[None]:
    """runyard's own calls made on a bound thread (their HTTP client's log, say) are not
    the run's log."""
    _here.quiet += 1
    try:
        yield
    finally:
        _here.quiet -= 1


_STREAM_LEVELS = {"stdout": LogLevel.INFO, "stderr": LogLevel.ERROR}


class _Tee:
    """``sys.stdout`` or ``sys.stderr``: text goes on to the stream as before, and the
    complete lines a bound thread writes also go into its run's log."""

    def __init__(self, name: str, stream: TextIO) -> None:
        self._name, self._stream = name, stream

    def write(self, text: str) -> int:
        if _here.sink is not None and not _here.quiet and text:
            pending = _here.partial.get(self._name, "") + text
            *lines, rest = pending.split("\n")
            _here.partial[self._name] = rest
            for line in lines:
                _emit(_STREAM_LEVELS[self._name], line)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, encoding, isatty...
        return getattr(self._stream, name)


class _Handler(logging.Handler):
    """``logging`` records of bound threads, as lines of their run's log."""

    def emit(self, record: logging.LogRecord) -> None:
        if _here.sink is None or _here.quiet:
            return
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
        except Exception:  # a record that cannot be formatted is not worth a failed run
            message = str(record.msg)
        _emit(LogLevel.of_number(record.levelno), message)


_installed = 0
_lock = threading.Lock()
_wrapping = threading.Lock()
_handler = _Handler()


def _wrap_streams() -> None:
    """Tee ``sys.stdout`` and ``sys.stderr`` unless they are teed already (whoever
    replaced them since, a test runner's capture say, gets teed in turn)."""
    if isinstance(sys.stdout, _Tee) and isinstance(sys.stderr, _Tee):
        return
    with _wrapping:
        for name in ("stdout", "stderr"):
            current = getattr(sys, name)
            if current is not None and not isinstance(current, _Tee):
                setattr(sys, name, _Tee(name, current))


def install() -> None:
    """Capture from now on (once per process; ``uninstall`` as often as installed)."""
    global _installed
    with _lock:
        _installed += 1
        if _installed > 1:
            return
        _wrap_streams()
        logging.getLogger().addHandler(_handler)


def uninstall() -> None:
    global _installed
    with _lock:
        _installed -= 1
        if _installed > 0:
            return
        for name in ("stdout", "stderr"):
            current = getattr(sys, name)
            if isinstance(current, _Tee):
                setattr(sys, name, current._stream)
        logging.getLogger().removeHandler(_handler)
