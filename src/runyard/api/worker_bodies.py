"""The worker protocol's request bodies (``/api/v1/worker/...``), described field by field
in the OpenAPI document so that a worker can be written from it alone, in any language.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, Field

from runyard.core.execution import Outcome
from runyard.core.logs import MAX_MESSAGE_CHARS, LogLevel
from runyard.service.inputs import Name, StepIn, Strict, WorkflowIn

WorkerId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="The worker's own name, the same on every call it makes (for example "
        "host:pid:random). It holds the leases of the runs it claims: a call about a run "
        "is refused (409 lease_lost) unless this worker holds the run.",
    ),
]
LeaseSeconds = Annotated[
    float,
    Field(
        ge=1,
        le=3600,
        description="How long the lease lasts without a heartbeat. A run whose lease "
        "expires is queued again (attempt + 1) and resumes after its recorded steps.",
    ),
]


class StepRecordIn(StepIn):
    """A step of the run, numbered from 1 in the order the workflow reaches it. A record
    replaces the one with the same seq: send ``running`` when it starts, then
    ``completed`` with its ``output`` (or ``failed`` with ``errors``). A resumed run is
    given its recorded steps and must return a completed step's output instead of running
    it again."""

    seq: Annotated[int, Field(ge=1)]


Steps = Annotated[
    list[StepRecordIn],
    Field(
        default_factory=list,
        max_length=1000,
        description="Step records to write first (the worker's unsent ones).",
    ),
]


class RegisterIn(Strict):
    workflows: Annotated[
        list[WorkflowIn],
        Field(
            min_length=1,
            max_length=100,
            description="The workflows this worker executes. Each is created, or given a "
            "new version when its definition or parameters changed; registering the same "
            "definition again changes nothing, also when workers do it at once. "
            "``definition.retries``, ``definition.backoff_seconds`` and "
            "``definition.timeout_seconds`` are the runs' retry policy and time-out.",
        ),
    ]


class ClaimIn(Strict):
    worker_id: WorkerId
    workflow_ids: Annotated[
        list[Name],
        Field(min_length=1, max_length=100, description="Workflow ids, from registration."),
    ]
    limit: Annotated[int, Field(ge=1, le=100, description="Runs to claim at most.")] = 1
    lease_seconds: LeaseSeconds = 30.0
    wait_seconds: Annotated[
        float,
        Field(
            ge=0,
            le=60,
            description="When no run is queued, hold the request open this long and "
            "answer as soon as one is (a long poll); 0 answers at once.",
        ),
    ] = 0.0


class HeartbeatIn(Strict):
    worker_id: WorkerId
    run_ids: Annotated[
        list[Name],
        Field(max_length=1000, description="The runs the worker is executing."),
    ]
    lease_seconds: LeaseSeconds = 30.0


class RecordIn(Strict):
    worker_id: WorkerId
    steps: Steps
    progress: Annotated[
        int | None, Field(ge=0, le=100, description="How far the run is, 0-100.")
    ] = None


class SuspendIn(Strict):
    worker_id: WorkerId
    steps: Steps
    until: Annotated[
        AwareDatetime | None,
        Field(description="A durable sleep: the run is queued again at this time."),
    ] = None
    event: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=200,
            description="Wait for this event (POST /api/v1/events delivers it; a parent "
            "waiting for its child run waits for event 'run:<child id>').",
        ),
    ] = None


class ChildIn(Strict):
    worker_id: WorkerId
    steps: Steps
    workflow: Annotated[Name, Field(description="The child's workflow, by id or name.")]
    input: dict[str, Any] = Field(default_factory=dict)
    key: Annotated[
        str,
        Field(
            min_length=1,
            max_length=200,
            description="Makes the start idempotent: the same key (for example "
            "'<parent id>:<seq>') gives the child started the first time.",
        ),
    ]


class EndingIn(Strict):
    run_id: Name
    outcome: Annotated[
        Outcome,
        Field(
            description="completed: the workflow returned ``result`` (a run canceled "
            "meanwhile ends canceled). failed: it raised ``error``; queued again after "
            "a back-off while its retry policy allows and ``retryable``, else failed. "
            "canceled: it stopped at a step boundary on seeing ``canceling``. released: "
            "it was paused or terminated under the worker (left as it is). requeued: the "
            "worker is stopping (queued again, attempt + 1)."
        ),
    ]
    result: Any = None
    error: Annotated[str | None, Field(max_length=100_000)] = None
    retryable: bool = True
    steps: Steps


class FinishIn(Strict):
    worker_id: WorkerId
    runs: Annotated[list[EndingIn], Field(min_length=1, max_length=1000)]


class LogLineIn(Strict):
    message: Annotated[str, Field(max_length=MAX_MESSAGE_CHARS + 100)]
    level: LogLevel = LogLevel.INFO
    step: Annotated[str | None, Field(max_length=200, description="The step's name.")] = None
    ts: Annotated[
        AwareDatetime | None, Field(description="When it was written (default: received).")
    ] = None


class RunLogLineIn(LogLineIn):
    run_id: Name


class LogsIn(Strict):
    lines: Annotated[
        list[LogLineIn],
        Field(description="At most 1,000 lines a request (more: 413)."),
    ]


class WorkerLogsIn(Strict):
    lines: Annotated[
        list[RunLogLineIn],
        Field(description="Lines of any runs of the project; at most 1,000 (more: 413)."),
    ]
