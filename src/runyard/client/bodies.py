"""What the client sends: request bodies' fields as typed keyword arguments.

Only the fields given are sent, so the server's defaults apply to the rest; it refuses
fields it does not know (422), naming them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict

from runyard.client.models import Parameter
from runyard.core.statuses import RunStatus


class RunFields(TypedDict, total=False):
    """A new run's fields besides its input (``trigger``)."""

    parent_run_id: str
    root_run_id: str
    depends_on_run_id: str  # starts once that run has ended
    source_run_id: str
    trigger_type: str  # manual, api (the default), scheduled, webhook, event
    triggered_by: str
    credential_id: str
    is_test: bool
    dry_run: bool
    node_ids: list[str]
    extra_http_headers: dict[str, str]
    webhook_callback_url: str  # POSTed to when the run finishes
    tags: dict[str, str]
    session_id: str


class RunReport(TypedDict, total=False):
    """What an external executor reports about a run (``report``)."""

    status: RunStatus | str
    result: Any
    error: str
    failure_reason: str
    failure_category: list[dict[str, Any]]
    progress: int  # 0-100
    credits_used: float


class StepFields(TypedDict, total=False):
    """A reported step's fields besides its name (``add_step``)."""

    seq: int
    status: RunStatus | str
    attempt: int
    input: Any
    output: Any
    errors: list[dict[str, Any]]  # each {"error_code", "message", ...}
    started_at: datetime | str
    finished_at: datetime | str


class WorkflowFields(TypedDict, total=False):
    """A workflow's fields besides its name (``create_workflow``)."""

    title: str
    type: str  # workflow (the default), agent, tool, flow, handler, ingestion
    description: str
    parameters: Sequence[Parameter | Mapping[str, Any]]
    definition: dict[str, Any]
    error_handler_id: str


class LogEntry(TypedDict, total=False):
    """One log line sent by ``add_logs``: ``message``, and optionally the rest."""

    message: str
    level: str  # debug, info (the default), warning, error, critical
    step: str
    ts: datetime | str


def workflow_body(name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, **fields}
    if "parameters" in body:
        body["parameters"] = [
            p.model_dump(mode="json") if isinstance(p, Parameter) else dict(p)
            for p in body["parameters"]
        ]
    return body
