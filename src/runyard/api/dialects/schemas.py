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


class PolosBatchInvoked(Out):
    executions: list[PolosInvoked]  # in the order of the request's workflows


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


class SkyvernRunRequest(Out):
    workflow_id: str
    parameters: dict[str, Any]
    webhook_url: str | None
    extra_http_headers: dict[str, str] | None
    run_metadata: dict[str, str] | None


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
    run_request: SkyvernRunRequest


class SkyvernBulkCancel(Out):
    cancelled: list[str]
    failed: list[str]


class SkyvernRunListItem(Out):
    task_run_id: str
    run_id: str
    task_run_type: str
    status: str
    title: str | None
    started_at: Timestamp | None
    finished_at: Timestamp | None
    created_at: Timestamp
    workflow_permanent_id: str | None
    workflow_deleted: bool | None
    script_run: bool | None
    trigger_type: str | None
    attempt: int
    retry_pending: bool
    next_attempt_at: Timestamp | None


class SkyvernTimelineBlock(Out):
    workflow_run_block_id: str
    workflow_run_id: str
    organization_id: str
    block_type: str
    label: str | None
    status: str | None
    output: dict[str, Any] | list[Any] | str | None
    failure_reason: str | None
    error_codes: list[str] | None
    created_at: Timestamp
    modified_at: Timestamp
    duration: float | None


class SkyvernThought(Out):
    thought_id: str
    task_id: str
    organization_id: str
    workflow_run_id: str | None
    workflow_permanent_id: str | None
    thought: str | None
    thought_type: str | None
    output: dict[str, Any] | None
    created_at: Timestamp
    modified_at: Timestamp


class SkyvernTimelineEntry(Out):
    type: str
    block: SkyvernTimelineBlock | None
    thought: SkyvernThought | None
    children: list[SkyvernTimelineEntry]
    created_at: Timestamp
    modified_at: Timestamp


class SkyvernWorkflowParameter(Out):
    parameter_type: str
    key: str
    description: str | None
    workflow_parameter_id: str
    workflow_parameter_type: str
    workflow_id: str
    default_value: Any
    created_at: Timestamp
    modified_at: Timestamp
    deleted_at: Timestamp | None


class SkyvernWorkflowDefinition(Out):
    parameters: list[SkyvernWorkflowParameter]
    blocks: list[dict[str, Any]]


class SkyvernWorkflow(Out):
    workflow_id: str
    organization_id: str
    title: str
    workflow_permanent_id: str
    agent_id: str
    version: int
    is_saved_task: bool
    is_template: bool
    description: str | None
    workflow_definition: SkyvernWorkflowDefinition
    status: str
    created_at: Timestamp
    modified_at: Timestamp
    deleted_at: Timestamp | None


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


class CloudCruiseStarted(Out):
    session_id: str


class CloudCruiseWorkflow(Out):
    id: str
    name: str
    description: str | None
    created_at: Timestamp
    updated_at: Timestamp
    workspace_id: str
    created_by: str | None
    enable_popup_handling: bool
    enable_xpath_recovery: bool
    enable_error_code_generation: bool
    enable_service_unavailable_recovery: bool
    enable_action_timing_recovery: bool


class CloudCruiseInputSchema(Out):
    type: str
    properties: dict[str, dict[str, Any]]
    required: list[str]
    additionalProperties: bool


class CloudCruiseWorkflowMetadata(Out):
    input_schema: CloudCruiseInputSchema
    workspace_id: str
    vault_schema: dict[str, Any]


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


class NoxusWorkflowPage(Out):
    items: list[NoxusWorkflow]
    total: int
    page: int
    size: int
    pages: int


class NoxusRunSearchPage(Out):
    items: list[NoxusRun]
    limit: int
    offset: int
    has_more: bool
