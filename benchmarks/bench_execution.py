"""The execution benchmark: no-op runs completed per second, and trigger-to-start latency.

    .venv/bin/python -m benchmarks.bench_execution --database sqlite
    .venv/bin/python -m benchmarks.bench_execution \
        --database postgresql://postgres@127.0.0.1:5432/postgres

For each number of workers (``--workers 1 4``: separate ``runyard worker`` processes,
each with ``--concurrency`` threads) on a fresh database: ``--runs`` queued runs of a
no-op workflow are inserted at once and the time until all have completed gives the
rate; then ``--latency-runs`` runs are triggered one by one (``--rate`` per second) on
idle workers, and ``started_at - created_at`` gives trigger-to-start. On PostgreSQL the
URL names a maintenance database; a scratch database ``runyard_bench_exec`` is made anew
for each case.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.bench_queries import percentile
from benchmarks.server import scratch_postgres
from runyard.core.models import Role
from runyard.core.query import RunQuery
from runyard.core.statuses import RunStatus
from runyard.core.times import utcnow
from runyard.service.access import Principal
from runyard.service.inputs import TriggerIn
from runyard.service.projects import ProjectService
from runyard.service.runs import RunService
from runyard.store.database import Database
from runyard.store.schema import runs

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
SCRATCH = "runyard_bench_exec"


@contextmanager
def fresh_database(target: str) -> Iterator[str]:
    if target == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    with scratch_postgres(target, SCRATCH) as url:
        yield url


def start_workers(
    url: str, count: int, concurrency: int, poll: float
) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [
                str(BIN / "runyard"),
                "--database-url",
                url,
                "worker",
                "benchmarks.noop:app",
                "--concurrency",
                str(concurrency),
                "--poll",
                str(poll),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ),
        )
        for _ in range(count)
    ]


def wait_completed(service: RunService, admin: Principal, total: int, timeout: float) -> None:
    """Wait, looking rarely (the benchmark must not take the workers' CPU)."""
    deadline = time.monotonic() + timeout
    query = RunQuery(admin.project_id, statuses=(RunStatus.COMPLETED,))
    while service.count(query).value < total:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {service.count(query).value} of {total} runs completed in time")
        time.sleep(0.5)


def measure(target: str, workers: int, args: argparse.Namespace) -> tuple[float, float, float]:
    with fresh_database(target) as url:
        db = Database.connect(url, pool_size=4)
        db.upgrade()
        admin = Principal(ProjectService(db, utcnow).bootstrap(None).id, Role.ADMIN)
        service = RunService(db, utcnow)
        processes = start_workers(url, workers, args.concurrency, args.poll)
        try:
            while service.workflow_id_of(admin, "noop") is None:
                time.sleep(0.1)
            time.sleep(1.0)  # every worker has registered and is polling
            with db.write() as conn:  # the whole batch becomes visible at once
                for _ in range(args.runs):
                    service.create_in(conn, admin, "noop", TriggerIn(), None)
            visible = utcnow()
            wait_completed(service, admin, args.runs, timeout=600)
            with db.read() as conn:  # the time the last one finished, not when we looked
                last = conn.execute(select(func.max(runs.c.finished_at))).scalar_one()
            rate = args.runs / (last - visible).total_seconds()
            for _ in range(args.latency_runs):
                service.trigger(admin, "noop", TriggerIn())
                time.sleep(1 / args.rate)
            wait_completed(service, admin, args.runs + args.latency_runs, timeout=120)
            with db.read() as conn:
                rows = conn.execute(
                    select(runs.c.created_at, runs.c.started_at)
                    .order_by(runs.c.created_at.desc())
                    .limit(args.latency_runs)
                ).all()
            delays = [(s - c).total_seconds() * 1000 for c, s in rows]
            return rate, percentile(delays, 50), percentile(delays, 99)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=60)
            db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--concurrency", type=int, default=16, help="threads per worker")
    parser.add_argument("--poll", type=float, default=0.05, help="idle poll interval (s)")
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--latency-runs", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="triggers per second")
    args = parser.parse_args()
    database = "SQLite" if args.database == "sqlite" else "PostgreSQL"
    print(f"| {database} | runs/s | trigger-to-start p50 (ms) | p99 (ms) |")
    print("|---|---:|---:|---:|")
    for workers in args.workers:
        rate, p50, p99 = measure(args.database, workers, args)
        label = f"{workers} worker{'s' if workers > 1 else ''} x {args.concurrency} threads"
        print(f"| {label} | {rate:,.0f} | {p50:.1f} | {p99:.1f} |", flush=True)


if __name__ == "__main__":
    main()
