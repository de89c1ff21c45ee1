"""Retention on both databases: old ended runs go with all they own, nothing else does."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text

from runyard.core.times import utcnow
from runyard.service.access import authenticate
from runyard.service.housekeeping import Housekeeper
from runyard.service.inputs import TriggerIn
from runyard.service.retention import RetentionService
from runyard.service.runs import RunService
from runyard.service.services import Services
from runyard.store.database import Database
from runyard.store.schema import callbacks, run_error_codes, run_status_changes, run_tags, steps
from tests.api.conftest import Api, make_workflow
from tests.conftest import ADMIN_KEY

DAY = timedelta(days=1)


def _import(api: Api, days_ago: int, status: str, **extra: Any) -> str:
    created = (utcnow() - days_ago * DAY).isoformat().replace("+00:00", "Z")
    run = {
        "id": str(uuid.uuid4()),
        "workflow_id": "invoice-agent",
        "status": status,
        "created_at": created,
        **extra,
    }
    api.post("/api/v1/runs/import", {"runs": [run]}, expect=200)
    return run["id"]


def _owned(db: Database) -> dict[str, int]:
    """How many rows each table that belongs to runs holds."""
    with db.read() as conn:
        counts = {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (steps, run_error_codes, run_tags, run_status_changes, callbacks)
        }
        if db.backend.name == "sqlite":
            counts["run_search"] = int(
                conn.execute(text("SELECT count(*) FROM run_search")).scalar_one()
            )
    return counts


def test_prune_deletes_old_ended_runs_with_all_they_own_and_nothing_else(
    admin: Api, app_client: Any
) -> None:
    make_workflow(admin)
    db: Database = app_client.app.state.services.db
    principal = authenticate(db, ADMIN_KEY, None)
    # A run created 100 days ago through the service (so it has a status history),
    # then canceled with a completion callback queued.
    past = RunService(db, lambda: utcnow() - 100 * DAY)
    body = TriggerIn(input={"customer_id": "CUST-OLD"}, webhook_callback_url="http://127.0.0.1:9/x")
    triggered = past.trigger(principal, "invoice-agent", body)[0]
    past.cancel(principal, triggered.id)
    old = [
        triggered.id,
        _import(
            admin,
            95,
            "failed",
            input={"customer_id": "CUST-OLD"},
            tags={"env": "prod"},
            steps=[
                {
                    "name": "login",
                    "status": "failed",
                    "errors": [{"error_code": "LOGIN_FAILED", "message": "no"}],
                }
            ],
        ),
        _import(admin, 91, "completed"),
    ]
    old_but_live = _import(admin, 120, "queued")
    failing = [
        {
            "name": "s",
            "status": "failed",
            "errors": [{"error_code": "LOGIN_FAILED", "message": "no"}],
        }
    ]
    recent = _import(admin, 10, "failed", tags={"env": "prod"}, steps=failing)
    other, _ = admin.new_project("other")
    make_workflow(other)
    elsewhere = _import(other, 200, "completed")
    before = _owned(db)

    dry = admin.post("/api/v1/runs/prune", {"older_than": "90d", "dry_run": True}, expect=200)
    assert (dry["matched"], dry["deleted"], dry["more"]) == (3, 0, True)
    assert admin.get("/api/v1/runs/count")["count"] == 5

    first = admin.post("/api/v1/runs/prune", {"older_than": "90d", "limit": 2}, expect=200)
    assert (first["deleted"], first["more"]) == (2, True)
    rest = admin.post("/api/v1/runs/prune", {"older_than": "90d"}, expect=200)
    assert (rest["deleted"], rest["more"]) == (1, False)

    for run_id in old:
        admin.get(f"/api/v1/runs/{run_id}", expect=404)
    for run_id in (old_but_live, recent):
        admin.get(f"/api/v1/runs/{run_id}", expect=200)
    other.get(f"/api/v1/runs/{elsewhere}", expect=200)
    after = _owned(db)
    assert after["steps"] == before["steps"] - 1
    assert after["run_error_codes"] == before["run_error_codes"] - 1
    assert after["run_tags"] == before["run_tags"] - 1
    assert after["run_status_changes"] == before["run_status_changes"] - 2  # queued, canceled
    assert after["callbacks"] == before["callbacks"] - 1
    if "run_search" in before:
        assert after["run_search"] == before["run_search"] - 3
    assert [r["id"] for r in admin.get("/api/v1/runs?search=cust-old")["items"]] == []
    assert [r["id"] for r in admin.get("/api/v1/runs?error_code=LOGIN_FAILED")["items"]] == [recent]


def test_prune_refuses_bad_ages_and_weaker_keys(admin: Api) -> None:
    for age in ("soon", "0d", "-3d", "90"):
        problem = admin.post("/api/v1/runs/prune", {"older_than": age}, expect=422)
        assert problem["errors"][0]["loc"] == ["body", "older_than"]
    admin.post("/api/v1/runs/prune", {"older_than": "90d", "limit": 0}, expect=422)
    writer, _ = admin.new_project("writers", role="write")
    writer.post("/api/v1/runs/prune", {"older_than": "90d"}, expect=403)


def test_continuous_retention_prunes_from_housekeeping(admin: Api, app_client: Any) -> None:
    make_workflow(admin)
    db: Database = app_client.app.state.services.db
    old = [_import(admin, 40, "completed") for _ in range(3)]
    kept = _import(admin, 5, "completed")
    assert RetentionService(db, utcnow).prune_due(timedelta(days=60)) == 0
    housekeeper = Housekeeper(Services.build(db), retention=30 * DAY)
    housekeeper.start()
    try:
        deadline = time.monotonic() + 20
        while admin.get("/api/v1/runs/count")["count"] > 1:
            assert time.monotonic() < deadline, "housekeeping never pruned"
            time.sleep(0.1)
    finally:
        housekeeper.stop()
    for run_id in old:
        admin.get(f"/api/v1/runs/{run_id}", expect=404)
    admin.get(f"/api/v1/runs/{kept}", expect=200)
