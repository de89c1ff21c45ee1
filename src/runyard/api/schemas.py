"""The native API's response bodies, as documented in its OpenAPI document.

Routes render their bodies directly (``render.py``: no per-field validation on the way
out); these models only describe them, as ``response_model`` of each route. They forbid
extra fields, so the fuzz tests (``tests/api/test_fuzz.py``), which check every response
against the document, fail when a renderer and its model drift apart either way.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from runyard.core.models import Role, TriggerType, WorkflowType
from runyard.core.statuses import RunStatus

# RFC 3339 in UTC, always with microseconds: 2026-01-02T03:04:05.000006Z
Timestamp = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StepErrorOut(Out):
    model_config = ConfigDict(extra="allow")  # the error's own fields come along

    error_code: str
    message: str


class StepOut(Out):
    seq: int
    name: str
    status: RunStatus
    attempt: int
    input: Any
    output: Any
    errors: list[StepErrorOut]
    started_at: Timestamp | None
    finished_at: Timestamp | None


class RunOut(Out):
    id: str
    project_id: str
    workflow_id: str
    workflow_name: str | None
    workflow_version: int
    status: RunStatus
    attempt: int
    input: dict[str, Any]
    result: Any
    error: str | None
    failure_reason: str | None
    failure_category: list[dict[str, Any]] | None
    parent_run_id: str | None
    root_run_id: str | None
    depends_on_run_id: str | None
    source_run_id: str | None
    trigger_type: TriggerType
    triggered_by: str | None
    credential_id: str | None
    is_test: bool
    dry_run: bool
    progress: int
    node_ids: list[str] | None
    credits_used: float
    extra_http_headers: dict[str, str] | None
    webhook_callback_url: str | None
    tags: dict[str, str]
    session_id: str | None
    created_at: Timestamp
    queued_at: Timestamp | None
    started_at: Timestamp | None
    finished_at: Timestamp | None
    modified_at: Timestamp
    duration_seconds: float | None
    steps: list[StepOut] | None = None  # one run's own page only


class RunPageOut(Out):
    items: list[RunOut]
    next_cursor: str | None
    has_more: bool
    total: int | None
    total_exact: bool | None


class CountOut(Out):
    count: int
    exact: bool


class BucketOut(Out):
    start: Timestamp
    counts: dict[str, int]


class StatsOut(Out):
    bucket: str
    totals: dict[str, int]
    buckets: list[BucketOut]


class BulkOut(Out):
    action: str
    dry_run: bool
    matched: int
    applied: int
    skipped: int


class PruneOut(Out):
    cutoff: Timestamp
    dry_run: bool
    matched: int
    deleted: int
    more: bool


class ImportOut(Out):
    imported: int
    skipped: int


class ParameterOut(Out):
    key: str
    description: str
    type: str
    default: Any


class WorkflowOut(Out):
    id: str
    project_id: str
    name: str
    title: str
    type: WorkflowType
    description: str
    version: int
    version_id: str
    definition: dict[str, Any]
    parameters: list[ParameterOut]
    error_handler_id: str | None
    created_at: Timestamp
    modified_at: Timestamp
    runs_count: int | None
    last_run_at: Timestamp | None


class WorkflowsOut(Out):
    items: list[WorkflowOut]


class ProjectOut(Out):
    id: str
    name: str
    created_at: Timestamp


class ProjectsOut(Out):
    items: list[ProjectOut]


class ApiKeyOut(Out):
    id: str
    project_id: str
    name: str
    role: Role
    server_admin: bool
    prefix: str
    created_at: Timestamp


class NewApiKeyOut(ApiKeyOut):
    key: str  # the secret, shown in this response only


class ApiKeysOut(Out):
    items: list[ApiKeyOut]


class ScheduleOut(Out):
    id: str
    project_id: str
    workflow_id: str
    cron: str
    timezone: str
    input: dict[str, Any]
    enabled: bool
    next_fire_at: Timestamp | None
    last_fired_at: Timestamp | None
    created_at: Timestamp


class SchedulesOut(Out):
    items: list[ScheduleOut]


class WebhookOut(Out):
    id: str
    workflow_id: str
    url: str
    created_at: Timestamp


class NewWebhookOut(WebhookOut):
    secret: str  # shown in this response only


class WebhooksOut(Out):
    items: list[WebhookOut]


class FiredOut(Out):
    run_id: str
    status: RunStatus
    created: bool


class EventOut(Out):
    key: str
    delivered: int


class HealthOut(Out):
    status: str
    detail: str | None = None


# -- the worker protocol and run logs ------------------------------------------------------


class ClaimOut(Out):
    run: RunOut
    steps: list[StepOut]  # recorded steps: completed ones are not run again
    ready_at: Timestamp  # since when it could be claimed (its claim latency starts here)


class ClaimsOut(Out):
    items: list[ClaimOut]  # empty when none was queued within wait_seconds


class HeartbeatOut(Out):
    held: dict[str, RunStatus]  # run id -> status (running, or canceling, paused...)
    lost: list[str]  # runs this worker no longer holds: drop them without finishing


class RecordOut(Out):
    status: RunStatus  # the run's status now: stop at the next step boundary if not running


class EndedOut(Out):
    run_id: str
    status: RunStatus | None  # the run's new status; null when refused
    problem: dict[str, Any] | None  # why it was refused (409 lease_lost, illegal_transition)


class FinishOut(Out):
    items: list[EndedOut]


class LogLineOut(Out):
    seq: int
    ts: Timestamp
    level: str
    step: str | None
    message: str


class LogPageOut(Out):
    items: list[LogLineOut]
    next_cursor: str | None  # continue from here; null once the run ended and all was read
    has_more: bool  # more lines are stored past this page now


class LogsAppendedOut(Out):
    accepted: int
    dropped: int  # past the run's cap (its log ends with a line saying so)


class WorkerLogsAppendedOut(LogsAppendedOut):
    unknown_runs: list[str]  # lines of runs the project does not have (not stored)
