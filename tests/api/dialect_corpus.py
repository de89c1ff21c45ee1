"""A small, fully known corpus for the vendor dialect tests.

Times are relative to now (CloudCruise's default window is the last 24 hours and its
oldest start one year back), on whole seconds so that their renderings are predictable.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from runyard.core.times import to_rfc3339
from tests.api.conftest import Api

WORKFLOWS = [
    {
        "name": "invoice-agent",
        "title": "Invoice agent",
        "type": "agent",
        "parameters": [
            {"key": "customer_id", "description": "Customer to bill"},
            {"key": "portal_url", "description": "Supplier portal login page"},
        ],
    },
    {
        "name": "crm-sync",
        "title": "CRM sync",
        "type": "workflow",
        "parameters": [{"key": "account", "description": "Account owner"}],
    },
    {"name": "lookup", "title": "Lookup", "type": "tool"},
]


def run_id(n: int) -> str:
    return f"0d1a1ec7-0000-4000-8000-{n:012d}"


def base_time() -> datetime:
    """Two hours ago, on a whole minute."""
    return (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)


def at(base: datetime, minutes: int, seconds: int = 0) -> str:
    stamp = to_rfc3339(base + timedelta(minutes=minutes, seconds=seconds))
    assert stamp is not None
    return stamp


def runs(base: datetime) -> list[dict[str, Any]]:
    def run(n: int, workflow: str, status: str, **fields: Any) -> dict[str, Any]:
        return {
            "id": run_id(n),
            "workflow_id": workflow,
            "status": status,
            "created_at": at(base, n),
            **fields,
        }

    login_error = {"error_code": "LOGIN_FAILED", "message": "password refused"}
    return [
        run(
            1,
            "invoice-agent",
            "completed",
            started_at=at(base, 1, 2),
            finished_at=at(base, 1, 32),
            credits_used=2.5,
            tags={"env": "prod"},
            credential_id="cred-1",
            input={"customer_id": "CUST-0001"},
            result={"total": 12},
            trigger_type="scheduled",
        ),
        run(
            2,
            "invoice-agent",
            "failed",
            started_at=at(base, 2, 1),
            finished_at=at(base, 2, 4),
            error="login refused",
            failure_reason="bad password",
            tags={"env": "staging"},
            triggered_by="anna@acme.com",
            input={"customer_id": "CUST-0002", "portal_url": "https://acme.example/login"},
            steps=[{"name": "login", "status": "failed", "errors": [login_error]}],
        ),
        run(
            3,
            "crm-sync",
            "running",
            started_at=at(base, 3, 5),
            is_test=True,
            dry_run=True,
            extra_http_headers={"X-Region": "Genève"},
            parent_run_id=run_id(1),
            input={"account": "Zoë"},
        ),
        run(4, "crm-sync", "queued", attempt=2, trigger_type="webhook", credential_id="cred-2"),
        run(5, "crm-sync", "queued", credential_id="cred-2"),
        run(6, "lookup", "created"),
        run(7, "invoice-agent", "waiting", started_at=at(base, 7, 1)),
        run(8, "invoice-agent", "paused", started_at=at(base, 8, 1), tags={"customer": "acme"}),
        run(9, "crm-sync", "canceling", started_at=at(base, 9, 1), parent_run_id=run_id(3)),
        run(10, "crm-sync", "canceled", finished_at=at(base, 10, 9)),
        run(11, "lookup", "terminated", started_at=at(base, 11, 1), finished_at=at(base, 11, 2)),
        run(
            12,
            "invoice-agent",
            "timed_out",
            started_at=at(base, 12, 1),
            finished_at=at(base, 12, 50),
            source_run_id=run_id(2),
            steps=[
                {
                    "name": "fetch",
                    "status": "timed_out",
                    "errors": [{"error_code": "TIMEOUT", "message": "too slow"}],
                }
            ],
        ),
        # Two more at run 12's instant: ties are broken by id.
        {**run(13, "lookup", "completed"), "created_at": at(base, 12)},
        {**run(14, "lookup", "completed"), "created_at": at(base, 12)},
    ]


def load(api: Api) -> tuple[datetime, dict[str, dict[str, Any]]]:
    """Create the workflows and import the runs; returns the base time and the workflows."""
    workflows = {w["name"]: api.post("/api/v1/workflows", w, expect=201) for w in WORKFLOWS}
    base = base_time()
    api.post("/api/v1/runs/import", {"runs": runs(base)}, expect=200)
    return base, workflows


def newest_first(numbers: list[int]) -> list[str]:
    """Run ids in the default order (created_at, then id, descending)."""
    return [run_id(n) for n in sorted(numbers, key=lambda n: (min(n, 12), n), reverse=True)]
