"""A database made by the first schema, holding data, upgraded to the newest: nothing is
lost, and everything is found and usable through the API as if written today.

The rows are written as the first release wrote them: only the columns of the first
migration, the search text and (on SQLite) the FTS index rows beside them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Connection, column, select, table

from runyard.api.app import create_app
from runyard.config import Settings
from runyard.core.search_text import build_search_text
from runyard.store import migrate, schema
from runyard.store.backends import backend_of
from runyard.store.database import Database
from runyard.store.schema import (
    api_keys,
    projects,
    runs,
    steps,
    workflow_parameters,
    workflow_versions,
    workflows,
)
from runyard.store.tenancy import hash_key

SECRET = "ry_written_by_the_first_release"
PROJECT, WORKFLOW, VERSION = (
    "0f000000-0000-4000-8000-000000000001",
    "0f000000-0000-4000-8000-000000000002",
    "0f000000-0000-4000-8000-000000000003",
)
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# The side tables as the first schema had them (migration 0007 keyed them in run order).
FIRST_RUN_TAGS = table(
    "run_tags", column("project_id"), column("key"), column("value"), column("run_pk")
)
FIRST_RUN_ERROR_CODES = table(
    "run_error_codes", column("project_id"), column("error_code"), column("run_pk")
)


def run_id(n: int) -> str:
    return f"0f000000-0000-4000-8000-1000000000{n:02d}"


@pytest.fixture
def first_schema_db(empty_database_url: str) -> Iterator[Database]:
    db = Database.connect(empty_database_url, pool_size=2)
    (first,) = ScriptDirectory.from_config(migrate.alembic_config()).get_bases()
    migrate.upgrade(db.engine, first)
    yield db
    db.dispose()


def write_as_the_first_release(conn: Connection) -> None:
    conn.execute(projects.insert().values(id=PROJECT, name="legacy", created_at=T0))
    conn.execute(
        api_keys.insert().values(
            id="0f000000-0000-4000-8000-000000000004",
            project_id=PROJECT,
            name="ops",
            role="admin",
            server_admin=False,
            key_hash=hash_key(SECRET),
            prefix=SECRET[:8],
            created_at=T0,
            revoked_at=None,
        )
    )
    parameter = {
        "key": "customer_id",
        "description": "Customer to bill",
        "type": "string",
        "default": None,
    }
    conn.execute(
        workflows.insert().values(
            id=WORKFLOW,
            project_id=PROJECT,
            name="invoice-agent",
            title="Invoice agent",
            type="agent",
            description="",
            version=1,
            version_id=VERSION,
            definition={},
            error_handler_id=None,
            created_at=T0,
            modified_at=T0,
            deleted_at=None,
        )
    )
    conn.execute(
        workflow_versions.insert().values(
            version_id=VERSION,
            workflow_id=WORKFLOW,
            version=1,
            definition={},
            parameters=[parameter],
            created_at=T0,
        )
    )
    conn.execute(
        workflow_parameters.insert().values(
            workflow_id=WORKFLOW,
            key="customer_id",
            project_id=PROJECT,
            position=0,
            description="Customer to bill",
            type="string",
            default=None,
            deleted_at=None,
            search_text="customer_id customer to bill",
        )
    )
    for n, status in enumerate(("completed", "failed", "queued"), 1):
        created = T0 + timedelta(minutes=n)
        ended = status != "queued"
        run: dict[str, Any] = {
            "id": run_id(n),
            "project_id": PROJECT,
            "workflow_id": WORKFLOW,
            "workflow_version": 1,
            "status": status,
            "attempt": 1,
            "input": {"customer_id": f"CUST-LEGACY-{n}"},
            "result": {"n": n} if ended else None,
            "error": "portal refused" if status == "failed" else None,
            "failure_reason": None,
            "failure_category": None,
            "parent_run_id": None,
            "root_run_id": run_id(n),
            "depends_on_run_id": None,
            "source_run_id": None,
            "trigger_type": "api",
            "triggered_by": None,
            "credential_id": "cred-legacy",
            "is_test": False,
            "dry_run": False,
            "progress": 100 if ended else 0,
            "node_ids": None,
            "credits_used": 1.5,
            "extra_http_headers": None,
            "webhook_callback_url": None,
            "tags": {"env": "legacy"},
            "session_id": None,
            "idempotency_key": None,
            "created_at": created,
            "queued_at": created,
            "started_at": created + timedelta(seconds=1) if ended else None,
            "finished_at": created + timedelta(seconds=9) if ended else None,
            "modified_at": created,
            "duration_us": 8_000_000 if ended else None,
        }
        run["search_text"] = build_search_text(run["id"], run["input"], None)
        pk = conn.execute(runs.insert().values(**run).returning(runs.c.pk)).scalar_one()
        backend_of(conn).index_search_text(conn, [(pk, run["search_text"])])
        conn.execute(
            FIRST_RUN_TAGS.insert().values(project_id=PROJECT, key="env", value="legacy", run_pk=pk)
        )
        if status == "failed":
            error = {"error_code": "LOGIN_FAILED", "message": "password refused"}
            conn.execute(
                steps.insert().values(
                    run_pk=pk,
                    seq=1,
                    name="login",
                    status="failed",
                    attempt=1,
                    input=None,
                    output=None,
                    errors=[error],
                    started_at=created,
                    finished_at=created,
                )
            )
            code = {"project_id": PROJECT, "error_code": "LOGIN_FAILED", "run_pk": pk}
            conn.execute(FIRST_RUN_ERROR_CODES.insert().values(**code))


def test_data_of_the_first_schema_survives_every_migration(first_schema_db: Database) -> None:
    with first_schema_db.write() as conn:
        write_as_the_first_release(conn)
    first_schema_db.upgrade()
    assert migrate.current_revision(first_schema_db.engine) == migrate.head_revision()
    with first_schema_db.read() as conn:  # the side tables took their runs' created_at
        created = dict(conn.execute(select(runs.c.pk, runs.c.created_at)).all())
        for side in (schema.run_tags, schema.run_error_codes):
            rows = conn.execute(select(side.c.run_pk, side.c.created_at)).all()
            assert rows, side.name
            assert all(created[pk] == at for pk, at in rows), side.name

    url = first_schema_db.engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url), first_schema_db)
    with TestClient(app, headers={"Authorization": f"Bearer {SECRET}"}) as api:
        listed = api.get("/api/v1/runs").json()["items"]
        assert [r["id"] for r in listed] == [run_id(3), run_id(2), run_id(1)]
        failed = api.get(f"/api/v1/runs/{run_id(2)}").json()
        assert failed["input"] == {"customer_id": "CUST-LEGACY-2"}
        assert failed["steps"][0]["errors"][0]["error_code"] == "LOGIN_FAILED"
        assert failed["duration_seconds"] == 8.0
        found = {
            "search": api.get("/api/v1/runs", params={"search": "LEGACY-2"}),
            "error code": api.get("/api/v1/runs", params={"error_code": "LOGIN_FAILED"}),
            "tag": api.get("/api/v1/runs", params={"tag": "env=legacy", "status": "failed"}),
        }
        for what, answer in found.items():
            assert [r["id"] for r in answer.json()["items"]] == [run_id(2)], what
        # The kept counts (a later migration) were filled in for the runs already there.
        assert api.get("/api/v1/runs/count").json() == {"count": 3, "exact": True}
        assert api.get("/api/v1/runs/count", params={"status": "queued"}).json() == {
            "count": 1,
            "exact": True,
        }
        (workflow,) = api.get("/api/v1/workflows").json()["items"]
        assert workflow["runs_count"] == 3
        assert workflow["parameters"][0]["key"] == "customer_id"
        # And the old project takes new work as well as any.
        made = api.post("/api/v1/workflows/invoice-agent/runs", json={})
        assert made.status_code == 201, made.text
        assert api.get("/api/v1/runs/count").json() == {"count": 4, "exact": True}
        cancel = api.post(f"/api/v1/runs/{run_id(3)}/cancel")
        assert cancel.json()["status"] == "canceled"
        vendor = api.get("/compat/noxus/v1/runs", headers={"X-API-Key": SECRET}).json()
        assert vendor["total"] == 4
