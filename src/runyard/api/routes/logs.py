"""A run's log: read it page by page or follow it live; executors append to it."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from runyard.api import schemas
from runyard.api.fast_json import OrjsonRoute
from runyard.api.render import JSONResponse
from runyard.api.run_params import reject_unknown
from runyard.api.services import PrincipalDep, ServicesDep
from runyard.api.worker_bodies import LogsIn
from runyard.core.errors import InvalidInput, NotFound
from runyard.core.logs import LogLine, clip
from runyard.core.models import Role
from runyard.core.times import to_rfc3339
from runyard.service.access import Principal
from runyard.service.run_logs import LogService

router = APIRouter(prefix="/api/v1/runs", tags=["logs"], route_class=OrjsonRoute)

FOLLOW_PAGE = 500  # lines read at a time while following
LOOK_EVERY = 1.0  # a follower looks at least this often (lines written via other processes)
PING_EVERY = 15.0  # a comment line keeps an idle stream's connection open
LINGER = 0.5  # after the run ended, how long a follower still waits for its last lines


def encode_position(seq: int) -> str:
    return base64.urlsafe_b64encode(f"log:{seq}".encode()).decode().rstrip("=")


def decode_position(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, seq = text.partition(":")
        if kind != "log" or not seq.isdigit():
            raise ValueError(text)
        return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput.field(
            ("query", "cursor"), "malformed cursor; pass next_cursor back unchanged"
        ) from None


def line_json(line: LogLine) -> dict[str, Any]:
    return {
        "seq": line.seq,
        "ts": to_rfc3339(line.ts),
        "level": line.level.value,
        "step": line.step,
        "message": line.message,
    }


@router.get(
    "/{run_id}/logs",
    summary="A run's log: what its workflow printed and logged",
    description="Lines in order, a page at a time (``next_cursor`` continues; it is null "
    "once the run has ended and every line was read). ``follow=true`` answers a stream of "
    "server-sent events instead: ``log`` events (one line each, ``id`` its seq) from the "
    "cursor on, as they are written, then an ``end`` event with the run's final status.",
    response_model=schemas.LogPageOut,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def read_logs(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    run_id: str,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="lines per page")] = 200,
    follow: Annotated[bool, Query(description="stream lines as they come")] = False,
    last_event_id: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    reject_unknown(request, {"cursor", "limit", "follow"})
    after = decode_position(cursor)
    logs = services.logs
    if follow:
        if last_event_id and last_event_id.isdigit():  # a reconnecting EventSource
            after = int(last_event_id)
        watch = await run_in_threadpool(logs.watch, principal, run_id)  # 404 before 200
        return StreamingResponse(
            _follow(request, logs, principal, run_id, after, watch),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
    page = await run_in_threadpool(logs.page, principal, run_id, after, limit)
    last = page.lines[-1].seq if page.lines else after
    more = page.has_more or not page.run_status.is_terminal
    return JSONResponse(
        {
            "items": [line_json(line) for line in page.lines],
            "next_cursor": encode_position(last) if more else None,
            "has_more": page.has_more,
        }
    )


async def _follow(
    request: Request, logs: LogService, principal: Principal, run_id: str, after: int, watch: Any
) -> AsyncIterator[bytes]:
    yield b"retry: 2000\n\n"
    quiet_since = time.monotonic()
    ended_at: float | None = None
    with watch as written:
        while not await request.is_disconnected():
            try:
                page = await run_in_threadpool(logs.page, principal, run_id, after, FOLLOW_PAGE)
            except NotFound:  # pruned meanwhile
                yield b"event: end\ndata: " + orjson.dumps({"status": None}) + b"\n\n"
                return
            for line in page.lines:
                after = line.seq
                data = orjson.dumps(line_json(line))
                yield b"event: log\nid: %d\ndata: %s\n\n" % (line.seq, data)
            if page.lines:
                quiet_since = time.monotonic()
            if page.has_more:
                continue
            if page.run_status.is_terminal:
                if ended_at is not None and time.monotonic() - ended_at >= LINGER:
                    end = {"status": page.run_status.value}
                    yield b"event: end\ndata: " + orjson.dumps(end) + b"\n\n"
                    return
                ended_at = ended_at or time.monotonic()
            if time.monotonic() - quiet_since >= PING_EVERY:
                quiet_since = time.monotonic()
                yield b": ping\n\n"
            await written.wait_async(LINGER if ended_at else LOOK_EVERY)


@router.post(
    "/{run_id}/logs",
    summary="Append lines to a run's log (an external executor's)",
    description="Lines in the order written. A run's log keeps up to its cap "
    "(RUNYARD_RUN_LOG_MAX_LINES / _BYTES); later lines are dropped, and its last line says "
    "how many. At most 1,000 lines a request (413 above).",
    response_model=schemas.LogsAppendedOut,
)
def append_logs(
    services: ServicesDep, principal: PrincipalDep, run_id: str, body: LogsIn
) -> JSONResponse:
    principal.require(Role.WRITE)
    now = services.clock()
    lines = [
        LogLine(run_id, line.ts or now, line.level, clip(line.message), line.step)
        for line in body.lines
    ]
    done = services.logs.append(principal, lines, run_id=run_id)
    return JSONResponse({"accepted": done.accepted, "dropped": done.dropped})
