"""What callers send: request bodies and import records, validated field by field.

These are shared by every edge (API bodies, CLI imports), so a bad field is refused
with the same message wherever it comes from. Unknown fields are refused, not ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from runyard.core.models import Role, Step, StepError, TriggerType, WorkflowType
from runyard.core.parameters import matches_type
from runyard.core.statuses import RunStatus

Name = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(max_length=200)]
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
PARAMETER_TYPES = ("string", "integer", "number", "boolean", "object", "array", "json")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParameterIn(Strict):
    key: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=10_000)] = ""
    type: str = "string"
    default: Any = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in PARAMETER_TYPES:
            raise ValueError(f"must be one of {', '.join(PARAMETER_TYPES)}")
        return value

    @model_validator(mode="after")
    def _default_of_its_type(self) -> ParameterIn:
        if not matches_type(self.type, self.default):
            raise ValueError(f"default must be of type {self.type}")
        return self


class WorkflowIn(Strict):
    name: Name
    title: Annotated[str, Field(max_length=500)] = ""
    type: WorkflowType = WorkflowType.WORKFLOW
    description: Annotated[str, Field(max_length=10_000)] = ""
    parameters: list[ParameterIn] = Field(default_factory=list, max_length=500)
    definition: dict[str, Any] = Field(default_factory=dict)
    error_handler_id: UUID | None = None

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("must be a lower-case slug: letters, digits, '.', '_' or '-'")
        return value

    @field_validator("parameters")
    @classmethod
    def _unique_keys(cls, value: list[ParameterIn]) -> list[ParameterIn]:
        keys = [p.key for p in value]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"duplicate parameter keys: {', '.join(duplicates)}")
        return value


class WorkflowPatch(Strict):
    title: Annotated[str, Field(max_length=500)] | None = None
    type: WorkflowType | None = None
    description: Annotated[str, Field(max_length=10_000)] | None = None
    parameters: list[ParameterIn] | None = None
    definition: dict[str, Any] | None = None
    error_handler_id: UUID | None = None


class RunFields(Strict):
    """The §2 fields a caller may set on a new run."""

    input: dict[str, Any] = Field(default_factory=dict)
    parent_run_id: UUID | None = None
    root_run_id: UUID | None = None
    depends_on_run_id: UUID | None = None
    source_run_id: UUID | None = None
    trigger_type: TriggerType = TriggerType.API
    triggered_by: ShortText | None = None
    credential_id: ShortText | None = None
    is_test: bool = False
    dry_run: bool = False
    node_ids: list[str] | None = None
    extra_http_headers: dict[str, str] | None = None
    webhook_callback_url: Annotated[str, Field(max_length=2000)] | None = None
    tags: dict[
        Annotated[str, Field(min_length=1, max_length=200)], Annotated[str, Field(max_length=500)]
    ] = Field(default_factory=dict)
    session_id: ShortText | None = None


class TriggerIn(RunFields):
    pass


class ErrorIn(BaseModel):
    """A step error: ``error_code`` and ``message``; other keys are kept as they are."""

    model_config = ConfigDict(extra="allow")
    error_code: Annotated[str, Field(min_length=1, max_length=200)]
    message: Annotated[str, Field(max_length=100_000)] = ""


class StepIn(Strict):
    seq: Annotated[int, Field(ge=1)] | None = None
    name: Name
    status: RunStatus = RunStatus.COMPLETED
    attempt: Annotated[int, Field(ge=1)] = 1
    input: Any = None
    output: Any = None
    errors: list[ErrorIn] = Field(default_factory=list, max_length=1000)
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None

    def record(self, seq: int) -> Step:
        """The step this body describes, as step ``seq`` of its run."""
        return Step(
            seq=seq,
            name=self.name,
            status=self.status,
            attempt=self.attempt,
            input=self.input,
            output=self.output,
            errors=tuple(
                StepError(e.error_code, e.message, dict(e.model_extra or {})) for e in self.errors
            ),
            started_at=self.started_at,
            finished_at=self.finished_at,
        )


class ImportedRun(RunFields):
    id: UUID
    workflow_id: Name
    workflow_version: Annotated[int, Field(ge=1)] | None = None
    status: RunStatus = RunStatus.CREATED
    attempt: Annotated[int, Field(ge=1)] = 1
    result: Any = None
    error: str | None = None
    failure_reason: str | None = None
    failure_category: list[dict[str, Any]] | None = None
    progress: Annotated[int, Field(ge=0, le=100)] = 0
    credits_used: Annotated[float, Field(ge=0)] = 0.0
    created_at: AwareDatetime | None = None
    queued_at: AwareDatetime | None = None
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    modified_at: AwareDatetime | None = None
    steps: list[StepIn] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _ordered_times(self) -> ImportedRun:
        if self.started_at and self.finished_at and self.finished_at < self.started_at:
            raise ValueError("finished_at is earlier than started_at")
        return self


MAX_IMPORT = 1000


class ImportIn(Strict):
    runs: Annotated[list[ImportedRun], Field(min_length=1, max_length=MAX_IMPORT)]


class RunPatch(Strict):
    """What an external executor reports about a run it executes."""

    status: RunStatus | None = None
    result: Any = None
    error: str | None = None
    failure_reason: str | None = None
    failure_category: list[dict[str, Any]] | None = None
    progress: Annotated[int, Field(ge=0, le=100)] | None = None
    credits_used: Annotated[float, Field(ge=0)] | None = None


class ProjectIn(Strict):
    name: Name


class KeyIn(Strict):
    name: Annotated[str, Field(max_length=200)] = ""
    role: Role = Role.READ
