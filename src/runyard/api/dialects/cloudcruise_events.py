"""``GET /run/clients/{client_id}/events``: the server-sent events ``cc.runs.start`` waits on.

The SDK opens one stream per process (its ``client_id``, a fresh UUID), on a thread, at
about the moment it posts the run; it routes each ``run.event`` to the run named in its
payload, and a run's wait ends at ``execution.success``, ``execution.failed`` or
``execution.stopped``. When the stream closes, the SDK opens it again after a second.

So the stream reads the runs that client started (``triggered_by`` =
``cloudcruise:<client_id>``, in the caller's project only) every ``INTERVAL`` — or at
once when a run is queued through this process — each read a short transaction of its
own, never a connection held while idle. For each run it sends the status changes of the
run's history as CloudCruise's words, so a run that went queued → running → completed
between two looks still shows all three. It ends when every run it watched has ended, or
after ``FIRST_RUN_WAIT`` with none (the SDK reconnects), or after ``LIFETIME``; a ping
goes out at least every ``KEEP_ALIVE`` (the SDK gives up on a silent stream after 60 s).

The SDK drops events of a run it has not subscribed to, and it subscribes once ``POST
/run`` has answered, so a run is told of ``HOLD`` after the stream finds it. It may also
post before its stream opens, or miss an ending while it reconnects: a run that started
within ``GRACE`` before the stream opened is told from its first change, and one that
ended within ``GRACE`` is told again.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from runyard.api.dialects import base
from runyard.api.dialects.cloudcruise_wire import (
    CLIENT_ID,
    PrincipalDep,
    run_errors,
    started_by,
    status_word,
)
from runyard.core.errors import NotFound, Unavailable
from runyard.core.models import RunHead
from runyard.core.query import RunQuery
from runyard.core.statuses import RunStatus
from runyard.core.times import Clock, to_rfc3339
from runyard.core.waiting import Waiter
from runyard.service.access import Principal
from runyard.service.runs import RunService

INTERVAL = 0.5  # seconds between looks at the client's runs
KEEP_ALIVE = 15.0
FIRST_RUN_WAIT = 0.5  # an empty stream ends after this: the SDK opens it again
LIFETIME = 300.0
GRACE = timedelta(seconds=5)
HOLD = 0.2  # seconds between finding a run and telling of it
MAX_RUNS = 100  # the newest runs of one client that a stream watches
ENDINGS = frozenset({"execution.success", "execution.failed", "execution.stopped"})

router = APIRouter()
# One server-sent event (its ``data`` is JSON: a ping's time, or a run event's message).
EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {"event": {"enum": ["ping", "run.event"]}, "data": {"type": "string"}},
}


def frame(event: str, data: dict[str, Any]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def ping(at: datetime) -> bytes:
    return frame("ping", {"timestamp": int(at.timestamp() * 1000)})


def run_event(word: str, payload: dict[str, Any], at: datetime) -> bytes:
    """A ``run.event`` as CloudCruise sends it: the event inside the message's ``data``."""
    inner = {"event": word, "payload": payload, "timestamp": int(at.timestamp() * 1000)}
    return frame("run.event", {"event": "run.event", "data": inner, "timestamp": to_rfc3339(at)})


@dataclass
class Told:
    """What the stream has told of one run."""

    from_first_change: bool
    found_at: float  # time.monotonic()
    last_look: tuple[RunStatus, int, datetime] | None = None
    changes: int = 0  # of the run's status history
    word: str | None = None
    ended: bool = False


class ClientRuns:
    """One client's runs, and what its stream has told of each."""

    def __init__(
        self, runs: RunService, principal: Principal, client_id: str, opened_at: datetime
    ) -> None:
        self.runs, self.principal = runs, principal
        self.triggered_by = started_by(client_id)
        self.since = opened_at - GRACE
        self.told: dict[str, Told] = {}

    @property
    def watching(self) -> bool:
        return bool(self.told)

    @property
    def done(self) -> bool:
        """Every run this stream watched has ended, and it said so."""
        return self.watching and all(t.ended for t in self.told.values())

    def look(self) -> list[bytes]:
        """The events of what changed since the last look (blocking: a few reads)."""
        query = RunQuery(
            self.principal.project_id, triggered_by=(self.triggered_by,), limit=MAX_RUNS
        )
        frames: list[bytes] = []
        for run in reversed(self.runs.heads(query).runs):  # oldest first
            told = self.told.get(run.id)
            if told is None:
                if run.finished_at is not None and run.finished_at < self.since:
                    continue  # ended before this stream: told by an earlier one
                told = self.told[run.id] = Told(run.created_at >= self.since, time.monotonic())
            if time.monotonic() - told.found_at < HOLD:
                continue  # the SDK subscribes to a run once POST /run has answered
            look = (run.status, run.attempt, run.modified_at)
            if told.last_look != look:
                told.last_look = look
                frames += self._changes(run, told)
        return frames

    def _changes(self, run: RunHead, told: Told) -> list[bytes]:
        history = self.runs.history(self.principal, run.id)
        changes = [(status_word(RunStatus(c.status), c.attempt), c.at) for c in history]
        if not changes:  # a run imported without its history: its status now
            new = [(status_word(run.status, run.attempt), run.modified_at)]
        elif told.changes == 0 and not told.from_first_change:
            new = changes[-1:]  # a run older than this stream: where it is now
        else:
            new = changes[told.changes :]
        told.changes = len(changes)
        frames = []
        for word, at in new:
            if word == told.word:
                continue  # e.g. running -> canceling: both execution.start
            told.word = word
            frames.append(run_event(word, self._payload(run, word), at))
            told.ended = word in ENDINGS
        return frames

    def _payload(self, run: RunHead, word: str) -> dict[str, Any]:
        payload: dict[str, Any] = {"session_id": run.id, "workflow_id": run.workflow_id}
        if word == "execution.requeued":
            payload["retry_attempt"] = run.attempt
        if word in ENDINGS:  # the SDK's EndRunPayload
            ended = self.runs.get(self.principal, run.id)
            payload |= {
                "status": word,
                "data": base.json_dict(ended.result),
                "input_variables": ended.input,
                "errors": run_errors(ended),
                "encrypted_variables": None,
                "file_urls": None,
                "vault_entries": None,
            }
        return payload


async def _frames(
    request: Request, runs: ClientRuns, wake: AbstractContextManager[Waiter], clock: Clock
) -> AsyncIterator[bytes]:
    yield ping(clock())  # at once: a reader sees the stream live before any run exists
    opened = last = time.monotonic()
    with wake as waiter:
        while True:
            try:
                frames = await run_in_threadpool(runs.look)
            except (Unavailable, NotFound):  # the database is away, or a run was pruned
                return  # the SDK reconnects; the next stream resumes
            for each in frames:
                yield each
            at = time.monotonic()
            last = at if frames else last
            idle = not runs.watching and at - opened > FIRST_RUN_WAIT
            if runs.done or idle or at - opened > LIFETIME:
                return
            if at - last >= KEEP_ALIVE:
                yield ping(clock())
                last = at
            if await request.is_disconnected():
                return
            await waiter.wait_async(INTERVAL)


@router.get(
    "/run/clients/{client_id}/events",
    summary="Events of the runs a client started (server-sent events)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "`run.event` and `ping` events until the client's runs end",
            "content": {"text/event-stream": {"schema": EVENT_SCHEMA}},
        }
    },
)
async def client_events(
    request: Request,
    who: PrincipalDep,
    client_id: Annotated[str, Path(pattern=CLIENT_ID, description="as sent in POST /run")],
) -> StreamingResponse:
    services = base.services(request)
    runs = ClientRuns(services.runs, who, client_id, services.clock())
    return StreamingResponse(
        _frames(request, runs, services.execution.watch_queue(who), services.clock),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
