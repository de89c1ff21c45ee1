"""Polos's words and shapes: its status words, and runs as ``WorkflowRunSummary`` and
execution bodies.

Polos's words: execution = run, ``workflow_id`` = the workflow's name (a slug such as
``invoice-agent``), ``payload`` = input.
"""

from __future__ import annotations

from typing import Any

from runyard.core import vendor_words
from runyard.core.models import Run
from runyard.core.times import to_rfc3339

STATUS = vendor_words.POLOS_STATUS  # core/vendor_words.py: shared with runyard.vendor_import


def summary(run: Run) -> dict[str, Any]:
    """A ``WorkflowRunSummary``: every key, nulls included."""
    return {
        "id": run.id,
        "root_execution_id": run.root_run_id,
        "workflow_id": run.workflow_name,
        "session_id": run.session_id,
        "created_at": to_rfc3339(run.created_at),
        "status": STATUS[run.status],
        "completed_at": to_rfc3339(run.finished_at),
        "payload": run.input,
        "result": run.result,
        "error": run.error,
    }


def execution(run: Run) -> dict[str, Any]:
    """``GET /api/v1/executions/{id}``: what ``ExecutionHandle.get`` reads, and more."""
    return {
        **summary(run),
        "parent_execution_id": run.parent_run_id,
        "root_workflow_id": None,
        "output_schema_name": None,  # the SDK imports a class of this name when it is set
        "step_key": None,
        "started_at": to_rfc3339(run.started_at),
        "attempt": run.attempt,
    }


def invoked(run: Run) -> dict[str, Any]:
    """What an invoke answers for each run it queued."""
    return {"execution_id": run.id, "created_at": to_rfc3339(run.created_at)}
