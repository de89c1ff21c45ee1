"""The run counts the triggers keep equal a count of the runs themselves, on both
databases, whatever writes the runs: import, trigger, status changes, bulk cancel and
retry, prune; before and after PostgreSQL folds its deltas."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from runyard.core.query import RunQuery
from runyard.core.statuses import RunStatus
from runyard.core.times import utcnow
from runyard.service.inputs import ImportIn, RunPatch, TriggerIn
from runyard.service.retention import RetentionService
from runyard.store import migrate, run_counts
from runyard.store.database import Database
from runyard.store.postgres_maintenance import FOLD
from runyard.store.schema import run_count_deltas, runs
from tests.store.test_query_engine import _random_runs, _setup


def _actual(db: Database) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    with db.read() as conn:
        rows = conn.execute(
            select(runs.c.workflow_id, runs.c.status, func.count()).group_by(
                runs.c.workflow_id, runs.c.status
            )
        )
        for workflow_id, status, n in rows:
            found.setdefault(workflow_id, {})[status] = n
    return found


def _kept(db: Database, project_id: str) -> dict[str, dict[str, int]]:
    with db.read() as conn:
        return run_counts.by_workflow_status(conn, project_id)


def _fold(db: Database) -> None:
    if not db.is_sqlite:
        with db.write() as conn:
            conn.exec_driver_sql(FOLD)
        with db.read() as conn:
            assert conn.execute(select(func.count()).select_from(run_count_deltas)).scalar() == 0


def test_counts_follow_every_kind_of_write(db: Database) -> None:
    admin, service, ids = _setup(db)
    rng = random.Random(5)
    service.import_runs(admin, ImportIn.model_validate({"runs": _random_runs(rng, ids, 150)}))
    assert _kept(db, admin.project_id) == _actual(db)
    _fold(db)
    assert _kept(db, admin.project_id) == _actual(db)

    started = [service.trigger(admin, "wf-b", TriggerIn(input={}))[0] for _ in range(6)]
    for run in started[:3]:
        service.report(admin, run.id, RunPatch(status=RunStatus.RUNNING))
    service.report(admin, started[0].id, RunPatch(status=RunStatus.FAILED))
    assert _kept(db, admin.project_id) == _actual(db)
    _fold(db)

    service.cancel_many(admin, [r.id for r in started[3:]])
    service.retry_many(admin, [started[0].id])
    assert _kept(db, admin.project_id) == _actual(db)

    retention = RetentionService(db, lambda: utcnow() + timedelta(days=3650))
    assert retention.prune(admin, timedelta(days=1), limit=40).deleted == 40
    assert _kept(db, admin.project_id) == _actual(db)
    _fold(db)
    assert _kept(db, admin.project_id) == _actual(db)


def test_counts_answer_only_workflow_and_status_filters(db: Database) -> None:
    admin, service, ids = _setup(db)
    rng = random.Random(9)
    service.import_runs(admin, ImportIn.model_validate({"runs": _random_runs(rng, ids, 120)}))
    bare = RunQuery(project_id=admin.project_id)
    queries = [
        bare,
        RunQuery(project_id=admin.project_id, workflow_ids=(ids["wf-a"],)),
        RunQuery(
            project_id=admin.project_id,
            workflow_ids=(ids["wf-a"], ids["wf-c"]),
            statuses=(RunStatus.FAILED, RunStatus.COMPLETED),
            limit=7,
            include_total=True,
        ),
        RunQuery(project_id=admin.project_id, statuses=(RunStatus.QUEUED,)),
    ]
    for query in queries:
        assert run_counts.answers(query)
        with db.read() as conn:
            assert run_counts.total(conn, query) == len(list(service.export(query)))
        assert service.count(query).value == len(list(service.export(query)))
    for other in (
        RunQuery(project_id=admin.project_id, search="alpha"),
        RunQuery(project_id=admin.project_id, created_after=utcnow()),
        RunQuery(project_id=admin.project_id, statuses=(RunStatus.QUEUED,), requeued=True),
        RunQuery(project_id=admin.project_id, has_parent=False),
    ):
        assert not run_counts.answers(other)


def test_migration_counts_the_runs_already_there(db: Database) -> None:
    admin, service, ids = _setup(db)
    service.import_runs(
        admin, ImportIn.model_validate({"runs": _random_runs(random.Random(3), ids, 90)})
    )
    migrate.downgrade(db.engine, "0005")
    migrate.upgrade(db.engine)
    assert _kept(db, admin.project_id) == _actual(db)
    service.trigger(admin, "wf-c", TriggerIn(input={}))
    assert _kept(db, admin.project_id) == _actual(db)
