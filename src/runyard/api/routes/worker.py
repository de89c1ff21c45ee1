"""The worker protocol: what ``runyard worker --url`` (or a worker in any language) calls
to execute a project's runs holding only a key (``worker``, ``write`` or ``admin``).

A worker registers its workflows, then claims runs (a long poll: the request is held
until a run is queued or ``wait_seconds`` pass), executes each under a lease that it
renews by heartbeat, records each step before the next starts, may park a run (durable
sleep, an event, a child run), and ends runs in batches. Every call about a run is
refused with 409 ``lease_lost`` unless the calling worker holds it: a worker whose lease
expired drops the run without finishing it (it was queued again and resumes elsewhere
after its recorded steps).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from runyard.api import render, schemas
from runyard.api.fast_json import OrjsonRoute
from runyard.api.problems import problem_of
from runyard.api.render import JSONResponse
from runyard.api.services import ServicesDep, WorkerDep
from runyard.api.worker_bodies import (
    ChildIn,
    ClaimIn,
    FinishIn,
    HeartbeatIn,
    RecordIn,
    RegisterIn,
    StepRecordIn,
    SuspendIn,
    WorkerLogsIn,
)
from runyard.core.execution import Claim, Ending
from runyard.core.logs import LogLine, clip
from runyard.core.models import Step
from runyard.core.times import to_rfc3339

router = APIRouter(prefix="/api/v1/worker", tags=["worker"], route_class=OrjsonRoute)

PROTOCOL = """Execute a project's runs from anywhere, holding only a key: a `worker` key (it may
use these routes and nothing else), or a `write` or `admin` one. Send it as
`Authorization: Bearer <key>`. Every call names the worker by `worker_id` (the same on every
call; it holds the leases).

1. `POST /workflows` once at start: the workflows the worker executes (their ids are claimed
   by). 2. `POST /claims` with as many runs as it has free slots and `wait_seconds` (a long
   poll: the answer comes as soon as a run is queued). 3. For each run, execute its steps in
   order; a step recorded as `completed` in the claim's `steps` is not run again: its
   `output` is its result. Record each step (`POST /runs/{id}/steps`) before the next one
   starts; the answer says the run's status (`canceling`: stop at this step boundary and end
   the run `canceled`; `paused` or `terminated`: stop and end it `released`). 4. Renew the
   leases every third of `lease_seconds` (`POST /heartbeat`). 5. A durable sleep or an event
   wait parks the run (`POST /runs/{id}/suspend`); a child run is started with
   `POST /runs/{id}/children`. 6. End runs with `POST /finish` (batches welcome), each with
   its last step records. Lines the workflow writes go to `POST /logs`.

A `409 lease_lost` (or a `lost` run in a heartbeat) means the lease expired and the run was
queued again: drop it without finishing it. A `503`, `429` or a lost connection means try
the same call again after a back-off (`Retry-After` when given); every call is safe to
repeat."""

# A waiting claim looks at the queue at least this often: runs queued through another
# server process, or whose retry back-off ended, wake no waiter of this one.
LOOK_EVERY = 0.5


def _steps(items: list[StepRecordIn]) -> list[Step]:
    return [item.record(item.seq) for item in items]


def _claim(claim: Claim) -> dict[str, Any]:
    return {
        "run": render.run(claim.run),
        "steps": [render.step(s) for s in claim.steps],
        "ready_at": to_rfc3339(claim.ready_at),
    }


@router.post(
    "/workflows",
    summary="Register the workflows this worker executes",
    description="Creates each workflow, or a new version where its definition or parameters "
    "changed; idempotent, also when several workers register at once. Answers the workflows, "
    "in the order sent: claim runs by their ids.",
    response_model=schemas.WorkflowsOut,
)
def register(services: ServicesDep, principal: WorkerDep, body: RegisterIn) -> JSONResponse:
    made = [services.workflows.create_or_version(principal, w)[0] for w in body.workflows]
    return JSONResponse({"items": [render.workflow(w) for w in made]})


@router.post(
    "/claims",
    summary="Claim queued runs (a long poll)",
    description="Starts up to ``limit`` queued runs of these workflows under the worker's "
    "lease, oldest first, each with its recorded steps. When none is queued, the request is "
    "held until one is (answered at once) or ``wait_seconds`` pass (an empty list).",
    response_model=schemas.ClaimsOut,
)
async def claim(
    request: Request, services: ServicesDep, principal: WorkerDep, body: ClaimIn
) -> Response:
    lease = timedelta(seconds=body.lease_seconds)
    deadline = time.monotonic() + body.wait_seconds
    execution = services.execution
    await run_in_threadpool(execution.check_workflows, principal, body.workflow_ids)

    def look() -> list[Claim]:  # an empty queue is looked at without the write lock
        return execution.claim(
            principal, body.worker_id, body.workflow_ids, limit=body.limit, lease=lease, peek=True
        )

    with execution.watch_queue(principal) as queued:
        while True:
            claims = await run_in_threadpool(look)
            left = deadline - time.monotonic()
            if claims or left <= 0:
                break
            await queued.wait_async(min(LOOK_EVERY, left))
            if await request.is_disconnected():  # the worker gave up: claim nothing for it
                return Response(status_code=204)
    return JSONResponse({"items": [_claim(c) for c in claims]})


@router.post(
    "/heartbeat",
    summary="Renew the leases of the runs being executed",
    description="Extends each lease the worker still holds and says each run's status: "
    "``canceling`` asks the worker to stop at the next step boundary (and end the run "
    "``canceled``), ``paused`` or ``terminated`` to stop (``released``). Runs in ``lost`` "
    "are no longer the worker's: drop them without finishing. Send it every third of the "
    "lease.",
    response_model=schemas.HeartbeatOut,
)
def heartbeat(services: ServicesDep, principal: WorkerDep, body: HeartbeatIn) -> JSONResponse:
    lease = timedelta(seconds=body.lease_seconds)
    held = services.execution.renew(principal, body.worker_id, body.run_ids, lease)
    lost = [run_id for run_id in dict.fromkeys(body.run_ids) if run_id not in held]
    return JSONResponse({"held": {k: v.value for k, v in held.items()}, "lost": lost})


@router.post(
    "/runs/{run_id}/steps",
    summary="Record steps (and progress) of a run the worker holds",
    description="Each record replaces the step with its seq. A completed step's record must "
    "land before the next step starts. Answers the run's status (a cancel shows at once).",
    response_model=schemas.RecordOut,
)
def record(
    services: ServicesDep, principal: WorkerDep, run_id: str, body: RecordIn
) -> JSONResponse:
    status = services.execution.record(
        principal, body.worker_id, run_id, _steps(body.steps), body.progress
    )
    return JSONResponse({"status": status.value})


@router.post(
    "/runs/{run_id}/suspend",
    status_code=204,
    summary="Park a run the worker holds: a durable sleep, or a wait for an event",
    description="Records ``steps``, then the run waits (status ``waiting``) without a worker "
    "until ``until``, or until the ``event`` is delivered; it is then queued again and "
    "resumes after its recorded steps (a waited-for event's payload is in the waiting "
    "step's output as ``event``). Give exactly one of ``until`` and ``event``.",
)
def suspend(services: ServicesDep, principal: WorkerDep, run_id: str, body: SuspendIn) -> Response:
    services.execution.suspend(
        principal, body.worker_id, run_id, _steps(body.steps), until=body.until, event=body.event
    )
    return Response(status_code=204)


@router.post(
    "/runs/{run_id}/children",
    summary="Start a child run of a run the worker holds",
    description="Queues a run of ``workflow`` with ``parent_run_id`` this run (the same one "
    "again for the same ``key``). To wait for it, suspend for event 'run:<child id>'.",
    response_model=schemas.RunOut,
)
def start_child(
    services: ServicesDep, principal: WorkerDep, run_id: str, body: ChildIn
) -> JSONResponse:
    child = services.execution.start_child(
        principal, body.worker_id, run_id, body.workflow, body.input, body.key, _steps(body.steps)
    )
    return JSONResponse(render.run(child))


@router.get(
    "/runs/{run_id}/children/{child_id}",
    summary="A child run of a run (its status and result)",
    response_model=schemas.RunOut,
)
def child(services: ServicesDep, principal: WorkerDep, run_id: str, child_id: str) -> JSONResponse:
    return JSONResponse(render.run(services.execution.child(principal, run_id, child_id)))


@router.post(
    "/finish",
    summary="End runs the worker executed (a batch)",
    description="For each run: record its steps, then end it by its ``outcome`` through the "
    "transition table. Each item answers on its own: a run the worker no longer holds is "
    "refused with a problem of status 409 (``lease_lost``) and left as it is.",
    response_model=schemas.FinishOut,
)
def finish(services: ServicesDep, principal: WorkerDep, body: FinishIn) -> JSONResponse:
    endings = [
        Ending(e.run_id, e.outcome, e.result, e.error, e.retryable, tuple(_steps(e.steps)))
        for e in body.runs
    ]
    done = services.execution.finish(principal, body.worker_id, endings)
    items = [
        {
            "run_id": ended.run_id,
            "status": ended.status.value if ended.status else None,
            "problem": problem_of(ended.refused) if ended.refused else None,
        }
        for ended in done
    ]
    return JSONResponse({"items": items})


@router.post(
    "/logs",
    summary="Append lines to runs' logs (what the workflows printed and logged)",
    description="Lines of any of the project's runs, each run's in the order sent. A run's "
    "log keeps up to its cap (RUNYARD_RUN_LOG_MAX_LINES / _BYTES); later lines are dropped, "
    "and its last line says how many. At most 1,000 lines a request (413 above).",
    response_model=schemas.WorkerLogsAppendedOut,
)
def write_logs(services: ServicesDep, principal: WorkerDep, body: WorkerLogsIn) -> JSONResponse:
    now = services.clock()
    lines = [
        LogLine(line.run_id, line.ts or now, line.level, clip(line.message), line.step)
        for line in body.lines
    ]
    done = services.logs.append(principal, lines)
    return JSONResponse(
        {"accepted": done.accepted, "dropped": done.dropped, "unknown_runs": done.unknown_runs}
    )
