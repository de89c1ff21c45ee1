"""What the API answers, as typed, frozen models.

Unknown fields are ignored, so a newer server does not break an older client. Times are
aware datetimes in UTC; a run's status is a ``RunStatus``; open vocabularies a server may
grow (workflow and trigger types, roles, log levels) stay strings.

Every model keeps the JSON object it was read from as ``raw``, exactly as the server sent
it (new fields, key order and the timestamps' text included): what ``--json`` output and
other pass-through uses want. ``model_dump(mode="json")`` gives the typed fields instead.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    PrivateAttr,
    model_validator,
)

from runyard.core.statuses import RunStatus

Timestamp = Annotated[AwareDatetime, AfterValidator(lambda value: value.astimezone(UTC))]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_raw(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        model = handler(data)
        if isinstance(data, dict):
            model._raw = data
        return model

    @property
    def raw(self) -> dict[str, Any]:
        """The JSON object this was read from, as the server sent it (do not modify)."""
        return self._raw

    def __eq__(self, other: object) -> bool:
        """Equal fields make equal models, whatever JSON they were read from."""
        if not isinstance(other, BaseModel):
            return NotImplemented
        return (
            type(self) is type(other)
            and self.__dict__ == other.__dict__
            and self.__pydantic_extra__ == other.__pydantic_extra__
        )

    __hash__ = BaseModel.__hash__


class StepError(Model):
    """A step error; the error's own further fields are in ``model_extra`` (and ``raw``)."""

    model_config = ConfigDict(extra="allow")
    error_code: str
    message: str = ""


class Step(Model):
    seq: int
    name: str
    status: RunStatus
    attempt: int = 1
    input: Any = None
    output: Any = None
    errors: tuple[StepError, ...] = ()
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None


class Run(Model):
    id: str
    project_id: str
    workflow_id: str
    workflow_name: str | None = None
    workflow_version: int
    status: RunStatus
    attempt: int = 1
    input: dict[str, Any] = {}
    result: Any = None
    error: str | None = None
    failure_reason: str | None = None
    failure_category: list[dict[str, Any]] | None = None
    parent_run_id: str | None = None
    root_run_id: str | None = None
    depends_on_run_id: str | None = None
    source_run_id: str | None = None
    trigger_type: str
    triggered_by: str | None = None
    credential_id: str | None = None
    is_test: bool = False
    dry_run: bool = False
    progress: int = 0
    node_ids: list[str] | None = None
    credits_used: float = 0.0
    extra_http_headers: dict[str, str] | None = None
    webhook_callback_url: str | None = None
    tags: dict[str, str] = {}
    session_id: str | None = None
    created_at: Timestamp
    queued_at: Timestamp | None = None
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    modified_at: Timestamp
    duration_seconds: float | None = None
    steps: tuple[Step, ...] | None = None  # only on a run fetched by its id

    @property
    def ended(self) -> bool:
        """Whether the run has reached a terminal status (it will not change again)."""
        return self.status.is_terminal


class RunPage(Model):
    items: tuple[Run, ...]
    next_cursor: str | None = None
    has_more: bool = False
    total: int | None = None
    total_exact: bool | None = None


class Count(Model):
    """``count`` matches; when not ``exact``, at least that many (counting stopped)."""

    count: int
    exact: bool


class Bucket(Model):
    start: Timestamp
    counts: dict[str, int]


class Stats(Model):
    bucket: str
    totals: dict[str, int]
    buckets: tuple[Bucket, ...]


class ImportResult(Model):
    imported: int
    skipped: int

    def __add__(self, other: ImportResult) -> ImportResult:
        return ImportResult(
            imported=self.imported + other.imported, skipped=self.skipped + other.skipped
        )


class PruneResult(Model):
    cutoff: Timestamp
    dry_run: bool
    matched: int | None = None  # a dry run's count
    deleted: int
    more: bool


class Delivery(Model):
    """An event delivered to ``delivered`` waiting runs."""

    key: str
    delivered: int


class Parameter(Model):
    key: str
    description: str = ""
    type: str = "string"
    default: Any = None


class Workflow(Model):
    id: str
    project_id: str
    name: str
    title: str = ""
    type: str
    description: str = ""
    version: int
    version_id: str
    definition: dict[str, Any] = {}
    parameters: tuple[Parameter, ...] = ()
    error_handler_id: str | None = None
    created_at: Timestamp
    modified_at: Timestamp
    runs_count: int | None = None
    last_run_at: Timestamp | None = None


class Project(Model):
    id: str
    name: str
    created_at: Timestamp


class ApiKey(Model):
    id: str
    project_id: str
    name: str
    role: str
    server_admin: bool = False
    prefix: str
    created_at: Timestamp
    key: str | None = None  # the secret: only in the answer to creating the key


class LogLine(Model):
    seq: int
    ts: Timestamp
    level: str
    step: str | None = None
    message: str


class LogPage(Model):
    """Stored lines from a cursor; ``next_cursor`` continues from the last of them (None
    once the run has ended and every line was returned)."""

    items: tuple[LogLine, ...]
    next_cursor: str | None = None
    has_more: bool = False


class LogReceipt(Model):
    accepted: int
    dropped: int
