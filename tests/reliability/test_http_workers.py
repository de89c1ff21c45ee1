"""Workers over HTTP (``runyard worker --url --api-key``, no database credentials in their
environment) keep runyard's promises when things break, on both databases: a worker
killed mid-step, the server killed and restarted under its workers, and the network to
the server cut for longer than a lease. Every run completes exactly once, and no step
recorded as completed before the failure runs again."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest
from sqlalchemy import func, select

from runyard.core.statuses import RunStatus
from runyard.store.database import Database
from runyard.store.schema import runs, steps
from tests.conftest import ADMIN_KEY
from tests.reliability.proxy import CuttableProxy
from tests.reliability.retrying import every_run
from tests.reliability.server_process import BIN, Server

ROOT = Path(__file__).resolve().parents[2]
RUNS = 200
LEASE = 2.0


@dataclass
class Cluster:
    """A server, a worker key of its default project, and worker processes over HTTP."""

    server: Server
    admin: httpx.Client
    key: str
    effects: Path
    tmp: Path
    workers: list[subprocess.Popen[bytes]]
    logs: list[IO[bytes]]

    def start_worker(self, url: str | None = None) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"worker-{len(self.workers)}.log").open("wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RUNYARD_")}
        env["RUNYARD_TEST_EFFECTS"] = str(self.effects)
        process = subprocess.Popen(
            [
                str(BIN / "runyard"),
                "worker",
                "tests.worker.flows:app",
                "--url",
                url or self.server.url,
                "--api-key",
                self.key,
                "--concurrency",
                "8",
                "--lease",
                str(LEASE),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.workers.append(process)
        self.logs.append(log)
        return process

    def stop_workers(self) -> None:
        """SIGTERM every worker still running and wait for each (killed after a minute)."""
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()

    def log_of(self, n: int) -> str:
        return (self.tmp / f"worker-{n}.log").read_text()

    def wait_logged(self, n: int, *texts: str, within: float = 30) -> str:
        """Worker ``n``'s log once it holds one of ``texts`` (a worker says it at its next
        call)."""
        deadline = time.monotonic() + within
        while not any(text in (log := self.log_of(n)) for text in texts):
            assert time.monotonic() < deadline, f"worker {n} never logged any of {texts}:\n{log}"
            time.sleep(0.2)
        return log

    def trigger(self, count: int) -> list[str]:
        self.wait_registered()
        made = []
        for _ in range(count):
            response = self.admin.post("/api/v1/workflows/five-steps/runs", json={})
            assert response.status_code == 201, response.text
            made.append(response.json()["id"])
        return made

    def wait_registered(self) -> None:
        deadline = time.monotonic() + 60
        while self.admin.get("/api/v1/workflows/five-steps").status_code != 200:
            assert time.monotonic() < deadline, "no worker registered its workflows"
            time.sleep(0.1)

    def wait_effects(self, at_least: int) -> None:
        deadline = time.monotonic() + 60
        while _lines(self.effects) < at_least:
            assert time.monotonic() < deadline, "the workers made no progress"
            time.sleep(0.05)

    def wait_all_ended(self, within: float) -> list[dict[str, object]]:
        deadline = time.monotonic() + within
        while True:
            found = _until_ok(lambda: every_run(self.admin))
            if all(RunStatus(str(r["status"])).is_terminal for r in found):
                return found
            assert time.monotonic() < deadline, "the runs did not all end in time"
            time.sleep(0.5)


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _until_ok(read: object) -> list[dict[str, object]]:
    for _ in range(100):
        try:
            return read()  # type: ignore[operator,no-any-return]
        except (httpx.TransportError, ValueError):
            time.sleep(0.2)
    raise AssertionError("the server never answered")


def _recorded(db: Database) -> set[tuple[str, str]]:
    """Every (run, step) recorded as completed, as the database holds it now."""
    with db.read() as conn:
        query = (
            select(runs.c.id, steps.c.name)
            .join(steps, steps.c.run_pk == runs.c.pk)
            .where(steps.c.status == RunStatus.COMPLETED.value)
        )
        return {(run_id, name) for run_id, name in conn.execute(query)}


def _held_by(db: Database, owner: str) -> int:
    """How many live runs ``owner`` holds a lease on now."""
    with db.read() as conn:
        query = select(func.count()).select_from(runs).where(runs.c.lease_owner == owner)
        return int(conn.execute(query).scalar_one())


def _check(
    cluster: Cluster, created: list[str], recorded: set[tuple[str, str]], *, taken_over: bool
) -> None:
    """Every run completed (once: the status table allows no second end), no step
    recorded before the failure ran again, and every step of every run ran; with
    ``taken_over``, some runs were resumed by another worker (a later attempt)."""
    finished = cluster.wait_all_ended(within=240)
    assert {str(r["id"]) for r in finished} == set(created)
    assert {str(r["status"]) for r in finished} == {"completed"}
    if taken_over:
        assert any(int(str(r["attempt"])) > 1 for r in finished)
    lines = cluster.effects.read_text().splitlines()
    effects = Counter(tuple(line.split(" ", 1)) for line in lines)
    assert [key for key in recorded if effects[key] != 1] == []
    for run_id in created:
        assert all(effects[(run_id, f"step-{n}")] >= 1 for n in range(1, 6))


@pytest.fixture
def cluster(database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    server = Server(database_url, tmp_path / "serve.log")
    server.start()
    admin = httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30
    )
    project = admin.get("/api/v1/projects").json()["items"][0]["id"]
    made = admin.post(f"/api/v1/projects/{project}/api-keys", json={"role": "worker"})
    made_cluster = Cluster(
        server, admin, made.json()["key"], tmp_path / "effects.txt", tmp_path, [], []
    )
    yield made_cluster
    made_cluster.stop_workers()
    for log in made_cluster.logs:
        log.close()
    admin.close()
    server.stop()


def test_a_worker_killed_mid_step_loses_nothing(db: Database, cluster: Cluster) -> None:
    first = cluster.start_worker()
    created = cluster.trigger(RUNS)
    cluster.wait_effects(150)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    recorded = _recorded(db)
    assert recorded, "the kill should land after some steps were recorded"
    cluster.start_worker()
    _check(cluster, created, recorded, taken_over=True)


def test_the_server_killed_and_restarted_under_its_workers(db: Database, cluster: Cluster) -> None:
    cluster.start_worker()
    cluster.start_worker()
    created = cluster.trigger(RUNS)
    cluster.wait_effects(150)
    cluster.server.kill()
    recorded = _recorded(db)
    time.sleep(LEASE * 1.5)  # longer than a lease: leases expire while the server is away
    cluster.server.start()
    # (a worker back in time may renew its expired leases before anyone takes them over)
    _check(cluster, created, recorded, taken_over=False)
    for n in (0, 1):  # each worker said it once, and once that the server was back
        log = cluster.wait_logged(n, "can be reached again")
        assert log.count("cannot be reached") == 1, log
        assert log.count("can be reached again") == 1, log
        assert "Traceback" not in log, log


def test_a_network_cut_longer_than_a_lease(db: Database, cluster: Cluster) -> None:
    proxy = CuttableProxy(cluster.server.port)
    try:
        cluster.start_worker(proxy.url)  # this one's line is cut
        cluster.start_worker()
        created = cluster.trigger(RUNS)
        cluster.wait_effects(150)
        # The cut must catch the cut worker holding runs (under load it may start late).
        owner = re.search(r"worker (\S+) executing", cluster.wait_logged(0, "executing"))
        assert owner is not None
        deadline = time.monotonic() + 30
        while _held_by(db, owner[1]) == 0:
            assert time.monotonic() < deadline, "the worker behind the proxy never took a run"
            time.sleep(0.05)
        proxy.cut()
        recorded = _recorded(db)
        time.sleep(LEASE * 2.5)  # its leases expire; the other worker takes its runs over
        proxy.restore()
        _check(cluster, created, recorded, taken_over=True)
        cluster.wait_logged(0, "can be reached again")
        # It dropped the runs it had lost: refused as no longer its own once back, or given
        # up while away (which of the two depends on how long its retries lasted).
        log = cluster.wait_logged(0, "not held by worker", "resumes once its lease expires")
        assert log.count("cannot be reached") == 1, log
        assert log.count("can be reached again") == 1, log
    finally:
        cluster.stop_workers()  # while the proxy still carries the cut worker's goodbye
        proxy.close()
