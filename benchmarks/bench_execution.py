"""The execution benchmark: one-step runs per second on workers over HTTP and database-direct,
trigger-to-start, the cost of a step, and how many log lines a run can write.

    .venv/bin/python -m benchmarks.bench_execution \\
        --database postgresql://postgres@127.0.0.1:5432/postgres   # makes a scratch database
    .venv/bin/python -m benchmarks.bench_execution --database sqlite

For each transport (``--transports direct http``), on a fresh database, ``--workers``
``runyard worker`` processes (``--concurrency`` threads each) execute:

1. runs/s: ``--runs`` runs of a workflow of one step (the step returns None) queued at once
   (one commit); the time from that commit to the last run's ``finished_at``;
2. trigger-to-start: ``--latency-runs`` runs triggered one by one (``--rate`` a second) on
   idle workers; ``started_at - created_at``. Over HTTP they are triggered through the API,
   database-direct through the database (those workers look every 0.05 s);
3. a step: runs of 100 empty steps, one run at a time; the run's time over 100 (each step's
   record lands before the next starts);
4. logs: one run printing ``--log-lines`` lines in one step; lines a second the step writes
   (its own duration), and lines a second stored (until the run ends, by when every line is).

Over HTTP the workers hold only a worker key (no database URL in their environment) and
talk to ``runyard serve --no-worker`` on the same database. Everything shares the machine:
the benchmark looks at progress twice a second only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from benchmarks.bench_queries import percentile
from benchmarks.server import running_server, scratch_postgres
from runyard.core.models import Role
from runyard.core.query import RunQuery
from runyard.core.statuses import RunStatus
from runyard.core.times import utcnow
from runyard.service.access import Principal
from runyard.service.inputs import TriggerIn
from runyard.service.projects import ProjectService
from runyard.service.run_logs import LogService
from runyard.service.runs import RunService
from runyard.store.database import Database
from runyard.store.schema import runs, steps

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
SCRATCH = "runyard_bench_exec"
ADMIN_KEY = "ry_bench_execution_admin"


@contextmanager
def fresh_database(target: str) -> Iterator[str]:
    if target == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    with scratch_postgres(target, SCRATCH) as url:
        yield url


class Bench:
    """One transport's workers on a fresh database, and what the benchmark measures."""

    def __init__(self, url: str, transport: str, args: argparse.Namespace, log: Path) -> None:
        self.url, self.transport, self.args, self.log = url, transport, args, log
        self.db = Database.connect(url, pool_size=4)
        self.db.upgrade()
        project = ProjectService(self.db, utcnow).bootstrap(ADMIN_KEY)
        self.admin = Principal(project.id, Role.ADMIN)
        self.service = RunService(self.db, utcnow)
        self.api: httpx.Client | None = None
        self.processes: list[subprocess.Popen[bytes]] = []
        self.total = 0  # runs made so far

    def start_workers(self, server: str | None) -> None:
        env = dict(os.environ)
        command = [str(BIN / "runyard")]
        if server is None:
            command += ["--database-url", self.url, "worker", "benchmarks.noop:app"]
        else:
            self.api = httpx.Client(
                base_url=server, timeout=60, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
            )
            made = self.api.post(
                f"/api/v1/projects/{self.admin.project_id}/api-keys",
                json={"role": "worker", "name": "bench"},
            )
            env = {k: v for k, v in env.items() if k != "RUNYARD_DATABASE_URL"}
            key = made.json()["key"]
            command += ["worker", "benchmarks.noop:app", "--url", server, "--api-key", key]
        command += ["--concurrency", str(self.args.concurrency)]
        out = self.log.open("ab")
        for _ in range(self.args.workers):
            self.processes.append(
                subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
            )
        while self.service.workflow_id_of(self.admin, "chatty") is None:
            time.sleep(0.1)
        time.sleep(1.0)  # every worker has registered and is waiting for work

    def stop_workers(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=60)
        if self.api is not None:
            self.api.close()
        self.db.dispose()

    def trigger(self, workflow: str, **data: Any) -> str:
        self.total += 1
        if self.api is None:
            return self.service.trigger(self.admin, workflow, TriggerIn(input=data))[0].id
        made = self.api.post(f"/api/v1/workflows/{workflow}/runs", json={"input": data})
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def wait_ended(self, timeout: float = 900) -> None:
        """Until every run made so far has ended (looking twice a second)."""
        deadline = time.monotonic() + timeout
        ended = tuple(s for s in RunStatus if s.is_terminal)
        query = RunQuery(self.admin.project_id, statuses=ended)
        while (found := self.service.count(query, exact=True).value) < self.total:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {found} of {self.total} runs ended in time")
            time.sleep(0.5)

    def throughput(self) -> float:
        with self.db.write() as conn:  # the whole batch becomes visible at once
            for _ in range(self.args.runs):
                self.service.create_in(conn, self.admin, "one-step", TriggerIn(), None)
        visible = utcnow()
        self.total += self.args.runs
        if self.api is not None:  # one through the server too, so waiting claims wake at once
            self.trigger("one-step")
        self.wait_ended()
        with self.db.read() as conn:  # the time the last one finished, not when we looked
            last = conn.execute(select(func.max(runs.c.finished_at))).scalar_one()
        return self.args.runs / (last - visible).total_seconds()

    def trigger_to_start(self) -> tuple[float, float]:
        made = []
        for _ in range(self.args.latency_runs):
            made.append(self.trigger("one-step"))
            time.sleep(1 / self.args.rate)
        self.wait_ended()
        with self.db.read() as conn:
            rows = conn.execute(
                select(runs.c.created_at, runs.c.started_at).where(runs.c.id.in_(made))
            ).all()
        delays = [(started - created).total_seconds() * 1000 for created, started in rows]
        return percentile(delays, 50), percentile(delays, 99)

    def one_run(self, workflow: str, **data: Any) -> tuple[str, float]:
        """Trigger one run, wait for its end; its id and seconds from start to end."""
        run_id = self.trigger(workflow, **data)
        while True:
            run = self.service.get(self.admin, run_id)
            if run.status.is_terminal:
                assert run.status is RunStatus.COMPLETED, (run.status, run.error)
                assert run.started_at is not None
                assert run.finished_at is not None
                return run_id, (run.finished_at - run.started_at).total_seconds()
            time.sleep(0.05)

    def step_cost(self) -> float:
        """Milliseconds a step of a run takes, the step doing nothing (median of runs)."""
        seconds = [self.one_run("hundred-steps")[1] for _ in range(self.args.step_runs)]
        return statistics.median(seconds) / 100 * 1000

    def log_rates(self) -> tuple[float, float]:
        """Lines a second one step writes, and lines a second stored."""
        lines = self.args.log_lines
        run_id, _ = self.one_run("chatty", lines=lines)
        with self.db.read() as conn:
            started, finished = conn.execute(
                select(steps.c.started_at, steps.c.finished_at)
                .join(runs, runs.c.pk == steps.c.run_pk)
                .where(runs.c.id == run_id)
            ).one()
            ended = conn.execute(select(runs.c.finished_at).where(runs.c.id == run_id)).scalar()
        stored = self.stored_lines(run_id)
        assert stored == lines, f"{stored} of {lines} lines stored (the rest dropped)"
        return lines / (finished - started).total_seconds(), lines / (
            ended - started
        ).total_seconds()

    def stored_lines(self, run_id: str) -> int:
        logs = LogService(self.db, utcnow)
        count, after = 0, 0
        while page := logs.page(self.admin, run_id, after, 1000).lines:
            count += len(page)
            after = page[-1].seq
        return count


def measure(transport: str, args: argparse.Namespace, log: Path) -> dict[str, float]:
    with fresh_database(args.database) as url:
        bench = Bench(url, transport, args, log)
        try:
            if transport == "direct":
                bench.start_workers(None)
                return _measure(bench)
            extra = ["--no-worker", "--processes", str(args.server_processes)]
            with running_server(url, ADMIN_KEY, log.with_suffix(".serve.log"), *extra) as server:
                bench.start_workers(server)
                return _measure(bench)
        finally:
            bench.stop_workers()


def _measure(bench: Bench) -> dict[str, float]:
    rate = bench.throughput()
    p50, p99 = bench.trigger_to_start()
    step = bench.step_cost()
    written, stored = bench.log_rates()
    return {
        "rate": rate,
        "p50": p50,
        "p99": p99,
        "step": step,
        "written": written,
        "stored": stored,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    parser.add_argument(
        "--transports", nargs="+", default=["direct", "http"], choices=["http", "direct"]
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16, help="threads per worker")
    parser.add_argument("--server-processes", type=int, default=1)
    parser.add_argument("--runs", type=int, default=4000)
    parser.add_argument("--latency-runs", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="triggers per second")
    parser.add_argument("--step-runs", type=int, default=5)
    parser.add_argument("--log-lines", type=int, default=20_000)
    parser.add_argument("--logs", help="keep the workers' and server's output in this folder")
    parser.add_argument("--repeat", type=int, default=1, help="measure each transport N times")
    args = parser.parse_args()
    # The log run's lines all fit (its server and the database-direct workers read this).
    os.environ["RUNYARD_RUN_LOG_MAX_LINES"] = str(args.log_lines + 10)
    database = "SQLite" if args.database == "sqlite" else "PostgreSQL"
    print(
        f"| {database}, {args.workers} workers x {args.concurrency} threads | runs/s "
        "| trigger-to-start p50 (ms) | p99 (ms) | a step (ms) | log lines/s written "
        "| log lines/s stored |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.logs or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for transport in args.transports * args.repeat:
            found = measure(transport, args, folder / f"{transport}.log")
            label = "over HTTP (worker key)" if transport == "http" else "database-direct"
            print(
                f"| {label} | {found['rate']:,.0f} | {found['p50']:.1f} | {found['p99']:.1f} "
                f"| {found['step']:.2f} | {found['written']:,.0f} "
                f"| {found['stored']:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
