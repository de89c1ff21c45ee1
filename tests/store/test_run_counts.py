"""The run counts the triggers keep, in all and per day, equal a count of the runs
themselves, on both databases, whatever writes the runs: import, trigger, status changes,
bulk cancel and retry, prune; before and after PostgreSQL folds its deltas. Counts and
charts over time windows summed from the day counts equal those counted from the runs."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from runyard.core.models import Run, RunCount
from runyard.core.query import RunQuery
from runyard.core.statuses import RunStatus
from runyard.core.times import utcnow
from runyard.service.inputs import ImportIn, RunPatch, TriggerIn
from runyard.service.retention import RetentionService
from runyard.store import migrate
from runyard.store.backends.postgres_maintenance import FOLD
from runyard.store.database import Database
from runyard.store.query import compiler_counts, counts
from runyard.store.query.days import Window, day_of, split_window
from runyard.store.query.planner import Planner
from runyard.store.query.plans import KeptTotals
from runyard.store.schema import run_count_deltas, run_day_counts, runs
from tests.store.test_query_engine import _random_runs, _setup

DAY0 = datetime(2026, 3, 1, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
        return counts.by_workflow_status(conn, project_id)


def _actual_by_day(db: Database) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    with db.read() as conn:
        for created_at, status in conn.execute(select(runs.c.created_at, runs.c.status)):
            by_status = found.setdefault(day_of(created_at), {})
            by_status[status] = by_status.get(status, 0) + 1
    return found


def _kept_by_day(db: Database, project_id: str) -> dict[int, dict[str, int]]:
    everything = Window(None, None, ())
    with db.read() as conn:
        return counts.by_day_status(conn, RunQuery(project_id), everything)


def _agree(db: Database, project_id: str) -> None:
    assert _kept(db, project_id) == _actual(db)
    assert _kept_by_day(db, project_id) == _actual_by_day(db)


def _fold(db: Database) -> None:
    if db.backend.name != "sqlite":
        with db.write() as conn:
            conn.exec_driver_sql(FOLD)
        with db.read() as conn:
            assert conn.execute(select(func.count()).select_from(run_count_deltas)).scalar() == 0


def test_counts_follow_every_kind_of_write(db: Database) -> None:
    admin, service, ids = _setup(db)
    rng = random.Random(5)
    service.import_runs(admin, ImportIn.model_validate({"runs": _random_runs(rng, ids, 150)}))
    _agree(db, admin.project_id)
    _fold(db)
    _agree(db, admin.project_id)

    started = [service.trigger(admin, "wf-b", TriggerIn(input={}))[0] for _ in range(6)]
    for run in started[:3]:
        service.report(admin, run.id, RunPatch(status=RunStatus.RUNNING))
    service.report(admin, started[0].id, RunPatch(status=RunStatus.FAILED))
    _agree(db, admin.project_id)
    _fold(db)

    service.cancel_many(admin, [r.id for r in started[3:]])
    service.retry_many(admin, [started[0].id])
    _agree(db, admin.project_id)

    retention = RetentionService(db, lambda: utcnow() + timedelta(days=3650))
    assert retention.prune(admin, timedelta(days=1), limit=40).deleted == 40
    _agree(db, admin.project_id)
    _fold(db)
    _agree(db, admin.project_id)


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
    kept = lambda query: isinstance(Planner().plan_count(query, exact=False), KeptTotals)  # noqa: E731
    for query in queries:
        assert kept(query)
        with db.read() as conn:
            assert counts.kept_total(conn, query) == len(list(service.export(query)))
        assert service.count(query).value == len(list(service.export(query)))
    for other in (
        RunQuery(project_id=admin.project_id, search="alpha"),
        RunQuery(project_id=admin.project_id, created_after=utcnow()),
        RunQuery(project_id=admin.project_id, statuses=(RunStatus.QUEUED,), requeued=True),
        RunQuery(project_id=admin.project_id, has_parent=False),
    ):
        assert not kept(other)


def test_migration_counts_the_runs_already_there(db: Database) -> None:
    admin, service, ids = _setup(db)
    service.import_runs(
        admin, ImportIn.model_validate({"runs": _random_runs(random.Random(3), ids, 90)})
    )
    # Migrations run with the servers stopped (README): this process's upkeep thread
    # folding deltas into tables the downgrade drops would deadlock it.
    db.upkeep.stop()
    migrate.downgrade(db.engine, "0005")
    migrate.upgrade(db.engine)
    _agree(db, admin.project_id)
    service.trigger(admin, "wf-c", TriggerIn(input={}))
    _agree(db, admin.project_id)


def _spread_runs(rng: random.Random, ids: dict[str, str], n: int) -> list[dict[str, Any]]:
    """Runs over ten days and a half, at any second, some on the stroke of midnight."""
    runs_ = _random_runs(rng, ids, n)
    for run in runs_:
        second = rng.randrange(0, 10 * 86_400 + 43_200)
        if rng.random() < 0.1:
            second -= second % 86_400
        run["created_at"] = (DAY0 + timedelta(seconds=second)).isoformat()
        run.pop("started_at", None), run.pop("finished_at", None)
    return runs_


def _reference_stats(matched: list[Run], bucket_seconds: int) -> dict[datetime, dict[str, int]]:
    found: dict[datetime, dict[str, int]] = {}
    for run in matched:
        seconds = int(run.created_at.timestamp()) // bucket_seconds * bucket_seconds
        by_status = found.setdefault(datetime.fromtimestamp(seconds, UTC), {})
        by_status[run.status.value] = by_status.get(run.status.value, 0) + 1
    return found


def test_windows_are_summed_from_whole_days_and_counted_at_their_ends(db: Database) -> None:
    admin, service, ids = _setup(db)
    rng = random.Random(21)
    spread = _spread_runs(rng, ids, 360)
    service.import_runs(admin, ImportIn.model_validate({"runs": spread[:300]}))
    _fold(db)  # some deltas folded, the next ones not
    service.import_runs(admin, ImportIn.model_validate({"runs": spread[300:]}))
    everything = list(service.export(RunQuery(admin.project_id)))
    moments = [None, DAY0, DAY0 + timedelta(days=3), DAY0 + timedelta(days=9, hours=5)]
    moments += [DAY0 + timedelta(seconds=rng.randrange(11 * 86_400)) for _ in range(6)]
    windowed = 0
    for _ in range(40):
        after, before = rng.choice(moments), rng.choice(moments)
        if after is not None and before is not None and after > before:
            after, before = before, after
        query = RunQuery(
            admin.project_id,
            workflow_ids=tuple(rng.sample(list(ids.values()), rng.randint(0, 2))),
            statuses=tuple(rng.sample(list(RunStatus), rng.randint(0, 2))),
            created_after=after,
            created_before=before,
        )
        matched = list(service.export(query))
        assert service.count(query) == RunCount(len(matched)), query
        for bucket in (86_400, 604_800, 3_600):
            charted = {b.start: b.counts for b in service.stats(query, bucket)}
            assert charted == _reference_stats(matched, bucket), (query, bucket)
        if (after or before) and split_window(after, before) is not None:
            windowed += 1
    assert windowed >= 10  # windows spanning whole days were summed from the day counts
    assert len(everything) == 360
    # And they are read, not the runs: a day's kept count shows through.
    day3 = RunQuery(
        admin.project_id,
        created_after=DAY0 + timedelta(days=3),
        created_before=DAY0 + timedelta(days=4),
    )
    before = service.count(day3).value
    with db.write() as conn:
        bumped = conn.execute(
            update(run_day_counts)
            .where(run_day_counts.c.day == day_of(DAY0) + 3)
            .values(n=run_day_counts.c.n + 1000)
        ).rowcount
    assert bumped
    assert service.count(day3).value == before + 1000 * bumped


def test_a_window_splits_into_whole_days_and_partial_ends() -> None:
    split = split_window
    noon = DAY0 + timedelta(hours=12)
    day0 = day_of(DAY0)
    assert split(None, None) == Window(None, None, ())
    assert split(DAY0, DAY0 + timedelta(days=2)) == Window(day0, day0 + 2, ())
    assert split(noon, noon + timedelta(days=2)) == Window(
        day0 + 1,
        day0 + 2,
        ((noon, DAY0 + timedelta(days=1)), (DAY0 + timedelta(days=2), noon + timedelta(days=2))),
    )
    assert split(noon, noon + timedelta(hours=20)) is None  # no whole day in it
    assert split(None, noon) == Window(None, day0, ((DAY0, noon),))
    before_1970 = datetime(1969, 12, 31, 12, tzinfo=UTC)
    assert day_of(before_1970) == -1
    assert split(before_1970, None) == Window(0, None, ((before_1970, EPOCH),))


def test_charts_of_statuses_and_time_alone_read_one_status_index_branch_per_status(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answers are checked against the reference above; this checks which charts take
    the per-status branches (index-only) and which read the runs."""
    admin, service, ids = _setup(db)
    service.import_runs(
        admin, ImportIn.model_validate({"runs": _spread_runs(random.Random(5), ids, 40)})
    )
    chosen: list[bool] = []
    compile_stats = compiler_counts.stats_statement

    def recording(*args: Any, by_status: bool) -> Any:
        chosen.append(by_status)
        statement = compile_stats(*args, by_status=by_status)
        if by_status:  # one branch per status asked for, or per status there is
            assert str(statement).count("UNION ALL") == len(args[1].statuses or RunStatus) - 1
        return statement

    monkeypatch.setattr(compiler_counts, "stats_statement", recording)
    week = DAY0 + timedelta(days=3, hours=5)
    service.stats(RunQuery(admin.project_id, created_after=week), 3_600)
    service.stats(
        RunQuery(admin.project_id, statuses=(RunStatus.FAILED,), created_after=week), 21_600
    )
    assert chosen
    assert all(chosen)
    chosen.clear()
    service.stats(
        RunQuery(admin.project_id, workflow_ids=(ids["wf-a"],), created_after=week), 3_600
    )
    service.stats(RunQuery(admin.project_id, search="login", created_after=week), 3_600)
    assert chosen
    assert not any(chosen)
