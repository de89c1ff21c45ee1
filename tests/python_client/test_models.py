"""The client's models against the API's documented bodies; filters as query parameters;
the two clients method for method; the package's dependencies."""

from __future__ import annotations

import inspect
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel

from runyard.api import schemas
from runyard.client import (
    ApiKey,
    AsyncClient,
    Bucket,
    Client,
    Count,
    ImportResult,
    InvalidInput,
    LogLine,
    LogPage,
    LogReceipt,
    Parameter,
    Project,
    PruneResult,
    Run,
    RunPage,
    RunStatus,
    Stats,
    Step,
    StepError,
    Workflow,
)
from runyard.client.filters import encode
from runyard.client.models import Delivery
from runyard.client.operations import prune

PAIRS: list[tuple[type[BaseModel], type[BaseModel]]] = [
    (Run, schemas.RunOut),
    (Step, schemas.StepOut),
    (StepError, schemas.StepErrorOut),
    (RunPage, schemas.RunPageOut),
    (Count, schemas.CountOut),
    (Stats, schemas.StatsOut),
    (Bucket, schemas.BucketOut),
    (ImportResult, schemas.ImportOut),
    (PruneResult, schemas.PruneOut),
    (Parameter, schemas.ParameterOut),
    (Workflow, schemas.WorkflowOut),
    (Project, schemas.ProjectOut),
    (ApiKey, schemas.NewApiKeyOut),
    (Delivery, schemas.EventOut),
    (LogLine, schemas.LogLineOut),
    (LogPage, schemas.LogPageOut),
    (LogReceipt, schemas.LogsAppendedOut),
]


@pytest.mark.parametrize(("model", "documented"), PAIRS, ids=lambda m: m.__name__)
def test_each_model_has_the_fields_of_the_documented_body(
    model: type[BaseModel], documented: type[BaseModel]
) -> None:
    assert set(model.model_fields) == set(documented.model_fields)


RUN = {
    "id": "0c300000-0000-4000-8000-000000000001",
    "project_id": "p",
    "workflow_id": "w",
    "workflow_name": "invoice-agent",
    "workflow_version": 2,
    "status": "completed",
    "attempt": 1,
    "input": {"b": 1, "a": [1, 2]},
    "result": {"ok": True},
    "error": None,
    "failure_reason": None,
    "failure_category": None,
    "parent_run_id": None,
    "root_run_id": None,
    "depends_on_run_id": None,
    "source_run_id": None,
    "trigger_type": "a-trigger-type-of-the-future",
    "triggered_by": None,
    "credential_id": None,
    "is_test": False,
    "dry_run": False,
    "progress": 100,
    "node_ids": None,
    "credits_used": 1.5,
    "extra_http_headers": None,
    "webhook_callback_url": None,
    "tags": {},
    "session_id": None,
    "created_at": "2026-01-02T03:04:05.000000Z",
    "queued_at": None,
    "started_at": "2026-01-02T05:04:05.000006+02:00",
    "finished_at": None,
    "modified_at": "2026-01-02T03:04:05.000000Z",
    "duration_seconds": None,
    "a_field_of_the_future": {"x": 1},
}


def test_a_run_reads_typed_and_keeps_its_json() -> None:
    run = Run.model_validate(RUN)
    assert run.status is RunStatus.COMPLETED
    assert run.started_at == datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert run.started_at.tzinfo is UTC
    assert run.raw is RUN  # newer fields and the text of times included
    assert "a_field_of_the_future" not in run.model_dump()
    with pytest.raises(ValueError, match="frozen"):
        run.status = RunStatus.FAILED  # type: ignore[misc]
    with pytest.raises(ValueError, match="timezone"):
        Run.model_validate({**RUN, "created_at": "2026-01-02T03:04:05"})


def test_filters_become_repeated_query_parameters() -> None:
    zurich = timezone(timedelta(hours=1))
    assert encode(
        {
            "workflow": ["a", "b"],
            "status": RunStatus.FAILED,
            "is_test": False,
            "created_after": datetime(2026, 1, 1, 1, tzinfo=zurich),
            "search": None,
            "limit": 5,
            "tag": ("env=prod",),
        }
    ) == [
        ("workflow_id", "a"),
        ("workflow_id", "b"),
        ("status", "failed"),
        ("is_test", "false"),
        ("created_after", "2026-01-01T00:00:00.000000Z"),
        ("limit", "5"),
        ("tag", "env=prod"),
    ]
    with pytest.raises(InvalidInput, match="time zone"):
        encode({"created_before": datetime(2026, 1, 1)})


def test_ages_become_the_apis_durations() -> None:
    def age(value: str | timedelta) -> object:
        return prune(value, False, None).json["older_than"]

    ages = [timedelta(days=14), timedelta(days=90), timedelta(hours=36), timedelta(seconds=90)]
    assert [age(a) for a in [*ages, "12h"]] == ["2w", "90d", "36h", "90s", "12h"]


def _public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        if (callable(member) and not name.startswith("_")) or name == "__init__"
    }


def test_the_async_client_mirrors_the_sync_one() -> None:
    sync, asynchronous = _public(Client), _public(AsyncClient)
    assert set(sync) == set(asynchronous)
    for name, signature in sync.items():
        theirs = asynchronous[name]
        if name == "__init__":
            assert list(signature.parameters) == list(theirs.parameters)
            continue
        assert signature.parameters == theirs.parameters, name
        method = getattr(AsyncClient, name)
        assert inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method), name


def test_the_client_imports_no_server_layer() -> None:
    code = (
        "import sys, runyard.client\n"
        "servers = {'runyard.api', 'runyard.service', 'runyard.store', 'runyard.worker',"
        " 'runyard.web', 'runyard.cli', 'fastapi', 'starlette', 'sqlalchemy'}\n"
        "print(sorted(m for m in sys.modules if m in servers or m.rpartition('.')[0] in servers))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert found.stdout.strip() == "[]", found.stderr
