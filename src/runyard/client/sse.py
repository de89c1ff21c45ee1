"""Following a run's log as server-sent events: parsing, without I/O.

``GET /api/v1/runs/{id}/logs?follow=true`` sends ``event: log`` with one line's JSON per
event, and a last ``event: end`` with ``{"status": ...}`` (null if the run was deleted
meanwhile); comment lines (``: ping``) keep the connection alive. A stream lost before
``end`` is opened again after the last line received (``Last-Event-ID``), and a line
already given (by ``seq``) is never given twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import orjson
from pydantic import ValidationError

from runyard.client import operations
from runyard.client.call import Call, Outcome, failure_delay
from runyard.client.errors import InvalidResponse
from runyard.client.models import LogLine
from runyard.client.policy import RetryPolicy
from runyard.core.statuses import RunStatus


@dataclass(frozen=True)
class Event:
    type: str
    data: str


@dataclass
class EventParser:
    """Feed it the stream's lines (without their line breaks); it returns each event
    when the blank line that ends it arrives."""

    _type: str = ""
    _data: list[str] = field(default_factory=list)

    def feed(self, line: str) -> Event | None:
        if not line:
            event = Event(self._type or "message", "\n".join(self._data)) if self._data else None
            self._type, self._data = "", []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._type = value
        elif name == "data":
            self._data.append(value)
        return None


@dataclass
class LogFollower:
    """A run's log lines from one or more event streams, each once, until ``end``; and
    when to open the stream again after it broke (the retry policy's attempts count the
    failures since the last line received)."""

    run_id: str
    cursor: str | None
    policy: RetryPolicy
    url: str
    last_seq: int = 0
    ended: bool = False
    final_status: RunStatus | None = None  # once ended; None if the run was deleted
    _parser: EventParser = field(default_factory=EventParser)
    _failures: int = 0

    def call(self) -> Call[None]:
        """The request for the next stream: from the cursor, or after the last line."""
        return operations.follow_logs(self.run_id, self.cursor, self.last_seq)

    def opened(self) -> None:
        """A new stream starts: forget any half-received event."""
        self._parser = EventParser()

    def reopen_after(self, failure: Outcome | None) -> float:
        """Seconds before opening the stream again after ``failure`` (an error answer, a
        transport error, or None: the stream ended before ``end``); raises the error the
        failure stands for when the policy says to give up."""
        self._failures += 1
        if failure is None:
            failure = httpx.RemoteProtocolError("the log stream ended before the run did")
        return failure_delay(self.policy, self._failures, failure, safe=True, url=self.url)

    def feed(self, line: str) -> LogLine | None:
        """The new log line this stream line completes, if any."""
        event = self._parser.feed(line)
        if event is None:
            return None
        try:
            data = orjson.loads(event.data)
            if event.type == "end":
                status = data["status"]
                self.final_status = None if status is None else RunStatus(status)
                self.ended = True
                return None
            if event.type != "log":
                return None
            found = LogLine.model_validate(data)
        except (orjson.JSONDecodeError, ValidationError, KeyError, TypeError, ValueError) as exc:
            raise InvalidResponse(
                f"unreadable {event.type!r} event in the log stream: {exc}"
            ) from None
        if found.seq <= self.last_seq:
            return None
        self.last_seq, self._failures = found.seq, 0
        return found
