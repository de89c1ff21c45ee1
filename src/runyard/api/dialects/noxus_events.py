"""A run's events as Noxus streams them (``GET /v1/runs/{id}/events``), which is what
``Run.wait`` and ``Run.stream`` of ``noxus-sdk`` read.

Each event is a server-sent ``message`` whose data is ``{"type", "data", "redisId"}``;
``data.workflow_status`` is the run's Noxus status, and the SDK stops reading at
``completed`` or ``failed``. The stream sends the run as it is, then each change of its
status or progress, and ends after the run has ended, so a ``stopped`` run (which the
SDK does not count as an end) ends the wait too. runyard keeps no event log to resume
from: ``redisId`` numbers the events of one stream, and the SDK's ``etag`` is refused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from runyard.api.dialects import base
from runyard.api.dialects.noxus_render import STATUS, PrincipalDep
from runyard.core.errors import Unavailable
from runyard.core.models import Run
from runyard.service.access import Principal
from runyard.service.services import Services

# How often a stream looks at its run (a read of one row), and how long it may stay
# silent: clients time a read out after 120 s, so a comment keeps a long run's stream open.
POLL_SECONDS = 0.5
KEEP_ALIVE_SECONDS = 15.0

router = APIRouter()


def frame(run: Run, number: int) -> bytes:
    data = {
        "run_id": run.id,
        "workflow_status": STATUS[run.status],
        "status": run.status.value,
        "progress": run.progress,
    }
    payload = orjson.dumps({"type": "run_status", "data": data, "redisId": str(number)})
    return b"id: %d\nevent: message\ndata: %s\n\n" % (number, payload)


async def events(
    request: Request, services: Services, who: Principal, first: Run
) -> AsyncIterator[bytes]:
    """The run as it is, then each change, until it ends or the client goes away."""
    run, number, sent = first, 0, None
    quiet_since = time.monotonic()
    while True:
        state = (run.status, run.progress)
        if state != sent:
            number, sent = number + 1, state
            quiet_since = time.monotonic()
            yield frame(run, number)
        if run.status.is_terminal:
            return
        await asyncio.sleep(POLL_SECONDS)
        if await request.is_disconnected():
            return
        if time.monotonic() - quiet_since > KEEP_ALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield b": still running\n\n"
        try:
            found = await run_in_threadpool(services.runs.some, who, [run.id])
        except Unavailable:  # the database is away for a moment: look again later
            continue
        if not found:  # pruned meanwhile: nothing more will happen to it
            return
        run = found[0]


@router.get(
    "/v1/runs/{run_id}/events",
    summary="A run's events, until it ends",
    response_class=StreamingResponse,
    responses={200: {"description": "Server-sent events", "content": {"text/event-stream": {}}}},
)
async def run_events(request: Request, who: PrincipalDep, run_id: str) -> StreamingResponse:
    services = base.services(request)
    first = await run_in_threadpool(services.runs.get, who, run_id)  # 404 before streaming
    return StreamingResponse(
        events(request, services, who, first),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
