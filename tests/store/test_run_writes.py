"""Writes under concurrency, on both databases: nothing duplicated, nothing lost."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from runyard.core.models import Role
from runyard.core.query import RunQuery
from runyard.core.times import utcnow
from runyard.service.access import Principal
from runyard.service.inputs import ImportIn, TriggerIn, WorkflowIn
from runyard.service.projects import ProjectService
from runyard.service.runs import RunService
from runyard.service.workflows import WorkflowService
from runyard.store import migrate
from runyard.store.backends.postgres_maintenance import Maintenance
from runyard.store.database import Database
from runyard.store.schema import projects

BASE = datetime(2026, 5, 1, tzinfo=UTC)


def _setup(db: Database) -> tuple[Principal, RunService, str]:
    project = ProjectService(db, utcnow).bootstrap(None)
    admin = Principal(project.id, Role.ADMIN, server_admin=True)
    workflow, _ = WorkflowService(db, utcnow).create_or_version(admin, WorkflowIn(name="wf"))
    return admin, RunService(db, utcnow), workflow.id


def _records(workflow_id: str, start: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "workflow_id": workflow_id,
            "status": "completed",
            "created_at": (BASE + timedelta(seconds=i)).isoformat(),
            "tags": {"batch": str(start)},
            "steps": [{"name": "s", "errors": [{"error_code": f"E{i % 3}"}]}],
        }
        for i in range(start, start + count)
    ]


def _in_threads(count: int, work: Any) -> list[Any]:
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = work(index)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_concurrent_imports_of_overlapping_batches_store_each_run_once(db: Database) -> None:
    admin, service, workflow_id = _setup(db)
    # Four writers, each batch overlapping its neighbour's by half.
    results = _in_threads(
        4,
        lambda i: service.import_runs(
            admin, ImportIn.model_validate({"runs": _records(workflow_id, i * 50, 100)})
        ),
    )
    assert sum(r.imported for r in results) == 250
    assert sum(r.imported + r.skipped for r in results) == 400
    assert service.count(RunQuery(admin.project_id)).value == 250
    # Side indexes hold each run once too.
    assert service.count(RunQuery(admin.project_id, error_codes=("E0", "E1", "E2"))).value == 250
    run = service.get(admin, "00000000-0000-4000-8000-000000000060")
    assert len(run.steps or ()) == 1


def test_racing_triggers_with_one_idempotency_key_make_one_run(db: Database) -> None:
    admin, service, workflow_id = _setup(db)
    results = _in_threads(
        6, lambda _: service.trigger(admin, "wf", TriggerIn(input={"n": 1}), "order-42")
    )
    ids = {run.id for run, _ in results}
    assert len(ids) == 1
    assert sum(created for _, created in results) == 1
    assert service.count(RunQuery(admin.project_id, workflow_ids=(workflow_id,))).value == 1


def test_import_resolves_roots_through_the_batch_and_the_store(db: Database) -> None:
    admin, service, workflow_id = _setup(db)
    top, child, grandchild, late = (f"00000000-0000-4000-8000-00000000000{i}" for i in range(4))
    first = [
        {"id": top, "workflow_id": "wf"},
        {"id": child, "workflow_id": workflow_id, "parent_run_id": top},
        {"id": grandchild, "workflow_id": "wf", "parent_run_id": child},
    ]
    service.import_runs(admin, ImportIn.model_validate({"runs": first}))
    service.import_runs(
        admin,
        ImportIn.model_validate(
            {"runs": [{"id": late, "workflow_id": "wf", "parent_run_id": child}]}
        ),
    )
    for run_id in (top, child, grandchild, late):
        assert service.get(admin, run_id).root_run_id == top
    tree = service.page(RunQuery(admin.project_id, root_run_id=top))
    assert {r.id for r in tree.runs} == {top, child, grandchild, late}


def test_a_thread_copies_the_sqlite_log_into_the_database(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    db = Database.connect(f"sqlite:///{path}", pool_size=2)
    try:
        db.upgrade()
        admin, service, workflow_id = _setup(db)
        before = path.stat().st_size
        for start in range(0, 2000, 1000):
            service.import_runs(
                admin, ImportIn.model_validate({"runs": _records(workflow_id, start, 1000)})
            )
        # The writes went to the log, well under the commit-time backstop; only the
        # checkpointer thread moves them into the database file.
        deadline = time.monotonic() + 10
        while path.stat().st_size <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > before
        assert service.count(RunQuery(admin.project_id)).value == 2000
    finally:
        db.dispose()


def test_postgres_upkeep_vacuums_the_run_tables_after_a_bulk_import(
    db: Database, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has no VACUUM-for-visibility; its checkpointer is tested above")
    admin, service, workflow_id = _setup(db)
    for start in range(0, 6000, 1000):
        service.import_runs(
            admin, ImportIn.model_validate({"runs": _records(workflow_id, start, 1000)})
        )
    # The imports nudged the upkeep thread; it vacuums (and analyzes) once the counters
    # that the statistics collector publishes show the tables due.
    deadline = time.monotonic() + 30
    vacuumed = None
    while vacuumed is None and time.monotonic() < deadline:
        db.upkeep.nudge()
        time.sleep(0.3)
        with db.read() as conn:
            vacuumed = conn.exec_driver_sql(
                "SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'runs'"
            ).scalar()
    assert vacuumed is not None


def test_postgres_upkeep_vacuums_a_big_table_after_a_capped_number_of_new_rows(
    db: Database, backend: str
) -> None:
    """However big the table, its newest rows are made all-visible after a fixed number of
    new ones (a share of a huge table would leave the most-read rows unvacuumed)."""
    if backend != "postgres":
        pytest.skip("SQLite has no VACUUM-for-visibility; its checkpointer is tested above")
    db.upkeep.stop()
    admin, service, workflow_id = _setup(db)
    service.import_runs(admin, ImportIn.model_validate({"runs": _records(workflow_id, 0, 1000)}))
    assert "runs" not in Maintenance(db.engine).run_once()  # 1,000 rows: not due by share
    capped = Maintenance(db.engine, vacuum_cap=500)
    deadline = time.monotonic() + 30
    while "runs" not in capped.run_once():  # once the statistics show the inserts
        assert time.monotonic() < deadline, "never vacuumed past the cap"
        time.sleep(0.3)


def test_postgres_upkeep_waits_while_the_schema_is_not_current(
    db: Database, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    """During a migration (here: a database one migration behind) the fold would name
    tables and columns not there yet; the upkeep passes quietly until it is current."""
    if backend != "postgres":
        pytest.skip("SQLite's checkpointer names no table")
    db.upkeep.stop()
    behind = [r for r in sorted(migrate.revisions()) if r != migrate.head_revision()][-1]
    migrate.downgrade(db.engine, behind)
    upkeep = Maintenance(db.engine)
    with caplog.at_level(logging.WARNING):
        assert upkeep.run_once() == []
    assert caplog.records == []
    migrate.upgrade(db.engine)
    upkeep.run_once()  # now it folds, and would raise if it could not
    assert upkeep.schema_current()


def test_upkeep_leaves_pooled_connections_transactional(database_url: str) -> None:
    """The upkeep pass runs outside a transaction (VACUUM must); the connection it used
    goes back to the pool, and a write transaction on it must still roll back whole."""
    db = Database.connect(database_url, pool_size=1)
    try:
        db.upkeep.stop()
        db.upkeep.run_once()
        name = f"p-{uuid.uuid4().hex}"

        def half_done() -> None:
            with db.write() as conn:
                values = {"id": str(uuid.uuid4()), "name": name, "created_at": utcnow()}
                conn.execute(insert(projects).values(**values))
                raise RuntimeError("the transaction fails after its first statement")

        with pytest.raises(RuntimeError):
            half_done()
        with db.read() as conn:
            found = conn.execute(select(func.count()).where(projects.c.name == name)).scalar()
        assert found == 0
    finally:
        db.dispose()
