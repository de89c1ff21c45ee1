"""The domain records: plain frozen data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from runyard.core.statuses import RunStatus

JSON = Any
DEFAULT_PROJECT = "default"


class Role(StrEnum):
    """What a key may do in its project. ``read`` < ``write`` < ``admin`` each add to the
    one before; ``worker`` stands apart: it may execute runs over the worker routes (as
    ``write`` and ``admin`` keys may too) and nothing else, not even read."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"
    WORKER = "worker"

    def allows(self, needed: Role) -> bool:
        if needed is Role.WORKER:
            return self in (Role.WORKER, Role.WRITE, Role.ADMIN)
        if self is Role.WORKER:
            return False
        order = (Role.READ, Role.WRITE, Role.ADMIN)
        return order.index(self) >= order.index(needed)


class WorkflowType(StrEnum):
    WORKFLOW = "workflow"
    AGENT = "agent"
    TOOL = "tool"
    FLOW = "flow"
    HANDLER = "handler"
    INGESTION = "ingestion"


class TriggerType(StrEnum):
    MANUAL = "manual"
    API = "api"
    SCHEDULED = "scheduled"
    WEBHOOK = "webhook"
    EVENT = "event"


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    project_id: str
    name: str
    role: Role
    server_admin: bool
    prefix: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Parameter:
    key: str
    description: str = ""
    type: str = "string"
    default: JSON = None
    deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Workflow:
    id: str
    project_id: str
    name: str
    title: str
    type: WorkflowType
    description: str
    version: int
    version_id: str
    definition: dict[str, JSON]
    parameters: tuple[Parameter, ...]
    error_handler_id: str | None
    created_at: datetime
    modified_at: datetime
    deleted_at: datetime | None = None
    runs_count: int | None = None
    last_run_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StepError:
    error_code: str
    message: str = ""
    extra: dict[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    seq: int
    name: str
    status: RunStatus
    attempt: int = 1
    input: JSON = None
    output: JSON = None
    errors: tuple[StepError, ...] = ()
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RunHead:
    """A run without its documents (input, result, error texts, headers, tags, steps):
    what a list that shows only ids, states and times reads, at a fraction of the cost."""

    id: str
    project_id: str
    workflow_id: str
    workflow_version: int
    status: RunStatus
    created_at: datetime
    modified_at: datetime
    attempt: int = 1
    parent_run_id: str | None = None
    root_run_id: str | None = None
    depends_on_run_id: str | None = None
    source_run_id: str | None = None
    trigger_type: TriggerType = TriggerType.API
    triggered_by: str | None = None
    credential_id: str | None = None
    is_test: bool = False
    dry_run: bool = False
    progress: int = 0
    credits_used: float = 0.0
    webhook_callback_url: str | None = None
    session_id: str | None = None
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    workflow_name: str | None = None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class Run(RunHead):
    input: dict[str, JSON] = field(default_factory=dict)
    result: JSON = None
    error: str | None = None
    failure_reason: str | None = None
    failure_category: list[dict[str, JSON]] | None = None
    node_ids: list[str] | None = None
    extra_http_headers: dict[str, str] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    steps: tuple[Step, ...] | None = None


# The run fields a caller may set when triggering or importing a run.
RUN_SETTABLE_FIELDS = (
    "input",
    "parent_run_id",
    "root_run_id",
    "depends_on_run_id",
    "source_run_id",
    "trigger_type",
    "triggered_by",
    "credential_id",
    "is_test",
    "dry_run",
    "node_ids",
    "extra_http_headers",
    "webhook_callback_url",
    "tags",
    "session_id",
)


@dataclass(frozen=True, slots=True)
class RunCount:
    """How many runs match a query: exactly ``value``, or, when ``exact`` is False, at
    least ``value``: counting stopped there, as going on would cost in proportion to
    the matches."""

    value: int
    exact: bool = True


@dataclass(frozen=True, slots=True)
class Schedule:
    """A cron schedule: one run of ``workflow_id`` per tick of ``cron`` in ``timezone``."""

    id: str
    project_id: str
    workflow_id: str
    cron: str
    timezone: str
    input: dict[str, JSON]
    enabled: bool
    next_fire_at: datetime
    created_at: datetime
    last_fired_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: str
    attempt: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Hook:
    id: str
    project_id: str
    workflow_id: str
    secret_hash: str
    created_at: datetime
