"""Real worker processes (``runyard worker``) on both databases: crash recovery and
exactly-once completion under concurrency."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest
from sqlalchemy import select

from runyard.core.models import Role
from runyard.core.query import RunQuery
from runyard.core.statuses import RunStatus
from runyard.core.times import utcnow
from runyard.service.access import Principal
from runyard.service.inputs import TriggerIn
from runyard.service.projects import ProjectService
from runyard.service.runs import RunService
from runyard.store.database import Database
from runyard.store.schema import runs, steps

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


class Workers:
    """``runyard worker`` processes over one database, writing side effects to a file."""

    def __init__(self, database_url: str, effects: Path, tmp: Path) -> None:
        self.database_url, self.effects, self.tmp = database_url, effects, tmp
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[IO[bytes]] = []

    def start(
        self, concurrency: int = 8, lease: float = 2.0, *extra: str
    ) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"worker-{len(self.processes)}.log").open("wb")
        self.logs.append(log)
        process = subprocess.Popen(
            [
                str(BIN / "runyard"),
                "--database-url",
                self.database_url,
                "worker",
                "tests.worker.flows:app",
                "--concurrency",
                str(concurrency),
                "--lease",
                str(lease),
                *extra,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUNYARD_TEST_EFFECTS": str(self.effects)},
        )
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs:
            log.close()


@pytest.fixture
def setup(db: Database, database_url: str, tmp_path: Path) -> Iterator[tuple[Principal, Workers]]:
    project = ProjectService(db, utcnow).bootstrap(None)
    workers = Workers(database_url, tmp_path / "effects.txt", tmp_path)
    yield Principal(project.id, Role.ADMIN), workers
    workers.stop()


def _wait_registered(runs: RunService, admin: Principal, name: str) -> None:
    deadline = time.monotonic() + 60
    while runs.workflow_id_of(admin, name) is None:
        assert time.monotonic() < deadline, "the worker never registered its workflows"
        time.sleep(0.1)


def _wait_all_ended(runs: RunService, admin: Principal, total: int, within: float) -> None:
    deadline = time.monotonic() + within
    ended = [s for s in RunStatus if s.is_terminal]
    while runs.count(RunQuery(admin.project_id, statuses=tuple(ended))).value < total:
        assert time.monotonic() < deadline, "runs did not all finish in time"
        time.sleep(0.25)


def _effects(path: Path) -> Counter[tuple[str, str]]:
    lines = path.read_text().splitlines() if path.exists() else []
    return Counter(tuple(line.split(" ", 1)) for line in lines)  # type: ignore[misc]


def test_kill_9_mid_run_loses_nothing_and_repeats_no_recorded_step(
    db: Database, setup: tuple[Principal, Workers]
) -> None:
    admin, workers = setup
    service = RunService(db, utcnow)
    first = workers.start(concurrency=8, lease=2.0)
    _wait_registered(service, admin, "five-steps")
    created = [service.trigger(admin, "five-steps", TriggerIn())[0].id for _ in range(200)]
    deadline = time.monotonic() + 60
    while not workers.effects.exists() or len(workers.effects.read_text().splitlines()) < 150:
        assert time.monotonic() < deadline, "the first worker made no progress"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    with db.read() as conn:  # what was recorded as complete when the worker died
        recorded = {
            (run_id, name)
            for run_id, name in conn.execute(
                select(runs.c.id, steps.c.name)
                .join(steps, steps.c.run_pk == runs.c.pk)
                .where(steps.c.status == RunStatus.COMPLETED.value)
            )
        }
    in_flight = service.count(RunQuery(admin.project_id, statuses=(RunStatus.RUNNING,))).value
    assert recorded, "the kill should land after some steps were recorded"
    assert in_flight, "the kill should land while runs are in progress"
    workers.start(concurrency=8, lease=2.0)
    _wait_all_ended(service, admin, 200, within=240)
    finished = service.page(RunQuery(admin.project_id, limit=1000)).runs
    assert {r.id for r in finished} == set(created)
    assert {r.status for r in finished} == {RunStatus.COMPLETED}
    assert any(r.attempt > 1 for r in finished)  # some were recovered from the dead worker
    effects = _effects(workers.effects)
    repeated = [key for key in recorded if effects[key] != 1]
    assert repeated == []
    for run_id in created:  # and every step of every run ran at least once
        assert all(effects[(run_id, f"step-{n}")] >= 1 for n in range(1, 6))


def test_four_workers_complete_every_run_exactly_once(
    db: Database, setup: tuple[Principal, Workers]
) -> None:
    admin, workers = setup
    service = RunService(db, utcnow)
    for _ in range(4):
        workers.start(concurrency=4, lease=10.0)
    _wait_registered(service, admin, "one-shot")
    created = [service.trigger(admin, "one-shot", TriggerIn())[0].id for _ in range(1000)]
    _wait_all_ended(service, admin, 1000, within=300)
    finished = service.page(RunQuery(admin.project_id, limit=1000)).runs
    assert len(finished) == 1000
    assert {(r.status, r.attempt) for r in finished} == {(RunStatus.COMPLETED, 1)}
    effects = _effects(workers.effects)
    assert sorted(effects) == sorted((run_id, "once") for run_id in created)
    assert set(effects.values()) == {1}


def test_a_standalone_worker_serves_its_metrics(
    db: Database, setup: tuple[Principal, Workers]
) -> None:
    admin, workers = setup
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workers.start(4, 10.0, "--metrics-port", str(port))
    service = RunService(db, utcnow)
    _wait_registered(service, admin, "five-steps")
    for _ in range(3):
        service.trigger(admin, "five-steps", TriggerIn())
    _wait_all_ended(service, admin, 3, within=60)
    scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    samples = dict(line.rsplit(" ", 1) for line in scraped.splitlines() if line and line[0] != "#")
    assert float(samples["runyard_claim_latency_seconds_count"]) >= 3
    assert float(samples['runyard_step_duration_seconds_count{workflow="five-steps"}']) == 15
    assert float(samples['runyard_runs_finished_total{status="completed"}']) == 3
    assert float(samples["runyard_queue_depth"]) == 0


def test_workers_started_together_on_a_fresh_database_all_come_up(
    empty_database_url: str, tmp_path: Path
) -> None:
    """Three workers at once on a database with no schema yet: they migrate it one after
    another, make the default project and register the same workflows, and all work."""
    workers = Workers(empty_database_url, tmp_path / "effects.txt", tmp_path)
    try:
        started = [workers.start(concurrency=2, lease=10.0) for _ in range(3)]
        deadline = time.monotonic() + 90
        logs = [tmp_path / f"worker-{n}.log" for n in range(3)]
        while not all(log.exists() and "executing" in log.read_text() for log in logs):
            assert all(p.poll() is None for p in started), [log.read_text() for log in logs]
            assert time.monotonic() < deadline, [log.read_text() for log in logs]
            time.sleep(0.2)
        db = Database.connect(empty_database_url, pool_size=2)
        try:
            admin = Principal(ProjectService(db, utcnow).bootstrap(None).id, Role.ADMIN)
            service = RunService(db, utcnow)
            created = [service.trigger(admin, "one-shot", TriggerIn())[0].id for _ in range(30)]
            _wait_all_ended(service, admin, 30, within=60)
            done = service.page(RunQuery(admin.project_id, limit=100)).runs
            assert {(r.id, r.status) for r in done} == {(i, RunStatus.COMPLETED) for i in created}
        finally:
            db.dispose()
        assert all(p.poll() is None for p in started)  # none of them gave up
    finally:
        workers.stop()
