"""The vendor dialects' response bodies, as each dialect's OpenAPI document shows them.

As with the native API (``api/schemas.py``), the renderers of each dialect module write
the bodies and these models only describe them; extra fields are forbidden, so the fuzz
tests catch a renderer and its model drifting apart. Types follow the vendor's own
documents (seeds): a field runyard always leaves null keeps the vendor's type.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from runyard.api.schemas import Timestamp


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- Polos --------------------------------------------------------------------------------


class PolosRunSummary(Out):
    id: str
    root_execution_id: str | None
    workflow_id: str | None
    session_id: str | None
    created_at: Timestamp
    status: str
    completed_at: Timestamp | None
    payload: dict[str, Any]
    result: Any
    error: str | None


class PolosExecution(PolosRunSummary):
    parent_execution_id: str | None
    root_workflow_id: str | None
    output_schema_name: str | None
    step_key: str | None
    started_at: Timestamp | None
    attempt: int


class PolosInvoked(Out):
    execution_id: str
    created_at: Timestamp


# -- B3OS ---------------------------------------------------------------------------------


class B3osRun(Out):
    finishedAt: Timestamp | None
    id: str
    isDustTest: bool
    isSimulation: bool
    sourceRunId: str | None
    startedAt: Timestamp | None
    status: str
    totalCu: float
    triggerSource: str
    triggeredBy: str | None
    workflowId: str
    workflowVersion: int


class B3osRunPage(Out):
    hasMore: bool
    items: list[B3osRun]
    limit: int
    offset: int


class B3osRunsResponse(Out):
    code: int
    data: B3osRunPage
    message: str
    requestId: str


# -- Skyvern ------------------------------------------------------------------------------


class SkyvernWorkflowRun(Out):
    workflow_run_id: str
    workflow_id: str | None
    workflow_permanent_id: str
    organization_id: str
    browser_session_id: str | None
    browser_profile_id: str | None
    debug_session_id: str | None
    status: str
    extra_http_headers: dict[str, str] | None
    cdp_connect_headers: dict[str, str] | None
    proxy_location: Any
    webhook_callback_url: str | None
    webhook_failure_reason: str | None
    totp_verification_url: str | None
    totp_identifier: str | None
    failure_reason: str | None
    failure_category: list[dict[str, Any]] | None
    parent_workflow_run_id: str | None
    workflow_title: str | None
    max_screenshot_scrolls: int | None
    max_elapsed_time_minutes: int | None
    browser_address: str | None
    run_with: str | None
    script_run: Any
    job_id: str | None
    depends_on_workflow_run_id: str | None
    sequential_key: str | None
    ai_fallback: bool | None
    code_gen: bool | None
    trigger_type: str | None
    workflow_schedule_id: str | None
    ignore_inherited_workflow_system_prompt: bool
    copilot_session_id: str | None
    credits_used: int
    cached_credits_used: int
    queued_at: Timestamp | None
    started_at: Timestamp | None
    finished_at: Timestamp | None
    created_at: Timestamp
    modified_at: Timestamp


class SkyvernStepError(Out):
    model_config = ConfigDict(extra="allow")  # the error's own fields come along

    error_code: str
    message: str
    step: str


class SkyvernRunResponse(Out):
    run_type: str
    run_id: str
    status: str
    output: dict[str, Any] | list[Any] | str | None
    failure_reason: str | None
    created_at: Timestamp
    modified_at: Timestamp
    queued_at: Timestamp | None
    started_at: Timestamp | None
    finished_at: Timestamp | None
    errors: list[SkyvernStepError]
    step_count: int
    run_request: Any


# -- CloudCruise --------------------------------------------------------------------------


class CloudCruiseRun(Out):
    session_id: str
    status: str
    created_at: Timestamp
    workflow_id: str
    workspace_id: str
    execution_start: Timestamp | None
    execution_end: Timestamp | None
    dry_run: bool


class CloudCruiseError(Out):
    model_config = ConfigDict(extra="allow")  # the error's own fields come along

    message: str
    error_code: str
    node_id: str
    created_at: Timestamp | None


class CloudCruiseRunResult(CloudCruiseRun):
    input_variables: dict[str, Any]
    data: dict[str, Any] | None
    video_urls: list[str]
    file_urls: list[str]
    screenshot_urls: list[str]
    errors: list[CloudCruiseError] | None
    permissioned_user_id: str | None


# -- Noxus --------------------------------------------------------------------------------


class NoxusWorkflow(Out):
    id: str
    group_id: str
    name: str
    type: str
    definition: dict[str, Any]
    last_updated_at: Timestamp
    last_run_at: Timestamp | None
    created_at: Timestamp
    deleted_at: Timestamp | None
    runs_count: int | None
    author_name: str | None
    description: str
    saved: bool
    error_handler: str | None


class NoxusRun(Out):
    id: str
    group_id: str
    workflow_id: str
    input: dict[str, Any]
    node_ids: list[str] | None
    status: str
    progress: int
    definitions: dict[str, Any]
    created_at: Timestamp
    finished_at: Timestamp | None
    source: str
    output: dict[str, Any] | None
    workflow: NoxusWorkflow | None = None  # in lists and one run's page; not after a stop


class NoxusRunPage(Out):
    items: list[NoxusRun]
    total: int
    page: int
    size: int
    pages: int
