"""Retention at 1,000,000 runs: how fast a prune deletes, and what the API feels meanwhile.

    .venv/bin/python -m benchmarks.bench_queries --runs 1000000          # builds the corpus once
    .venv/bin/python -m benchmarks.bench_prune --runs 1000000 --older-than 45d
    .venv/bin/python -m benchmarks.bench_prune --runs 1000000 --older-than 45d \
        --database postgresql://postgres@127.0.0.1:5432/runyard_bench

Works on a copy of the corpus ``bench_queries`` left (a copied SQLite file, or a PostgreSQL
database made from it as a template), so the corpus survives. One client times
``GET /api/v1/runs`` (newest 50, and one status over 7 days) and, after every two of those,
a run triggered, for ``--seconds`` before the prune and again while ``runyard runs
prune``'s calls (``POST /api/v1/runs/prune``, 10,000 runs each) delete every ended run
older than ``--older-than``.
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from benchmarks.bench_queries import API_KEY, RESULTS, percentile
from benchmarks.server import running_server, scratch_postgres

SCRATCH = "runyard_bench_prune"


@contextmanager
def scratch_copy(database: str, runs: int, name: str = SCRATCH) -> Iterator[str]:
    if database == "sqlite":
        source = RESULTS / f"bench-{runs}.db"
        target = RESULTS / f"{name}.db"
        with create_engine(f"sqlite:///{source}").connect() as conn:  # fold the WAL in first
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(source, target)
        try:
            yield f"sqlite:///{target}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        return
    with scratch_postgres(database, name, template=make_url(database).database) as url:
        yield url


def probe(
    http: httpx.Client, stop: threading.Event, seconds: float | None
) -> tuple[list[float], list[float]]:
    """Latencies (ms) of reads (two queries) and of writes (a run triggered after every
    two reads) until ``stop`` is set or ``seconds`` pass."""
    week = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    queries = [[("limit", 50)], [("status", "failed"), ("created_after", week)]]
    workflow = http.get("/api/v1/workflows").json()["items"][0]["name"]
    reads: list[float] = []
    writes: list[float] = []
    ends = time.monotonic() + seconds if seconds else None
    while not stop.is_set() and (ends is None or time.monotonic() < ends):
        started = time.perf_counter()
        if len(reads) % 2 == 0 and len(reads) // 2 > len(writes):
            http.post(f"/api/v1/workflows/{workflow}/runs", json={}).raise_for_status()
            writes.append((time.perf_counter() - started) * 1000)
            continue
        http.get("/api/v1/runs", params=queries[len(reads) % 2]).raise_for_status()
        reads.append((time.perf_counter() - started) * 1000)
    return reads, writes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument(
        "--database", default="sqlite", help="'sqlite' or the corpus' PostgreSQL URL"
    )
    parser.add_argument("--older-than", default="45d")
    parser.add_argument("--seconds", type=float, default=20, help="baseline probing time")
    args = parser.parse_args()
    label = "SQLite" if args.database == "sqlite" else "PostgreSQL"
    with (
        scratch_copy(args.database, args.runs) as url,
        running_server(url, API_KEY, RESULTS / "server.log", "--no-worker") as base,
    ):
        headers = {"Authorization": f"Bearer {API_KEY}"}
        http = httpx.Client(base_url=base, headers=headers, timeout=300)
        probe_http = httpx.Client(base_url=base, headers=headers, timeout=300)
        before_total = http.get("/api/v1/runs/count").json()["count"]
        baseline = probe(probe_http, threading.Event(), args.seconds)
        stop = threading.Event()
        during: list[tuple[list[float], list[float]]] = []
        prober = threading.Thread(target=lambda: during.append(probe(probe_http, stop, None)))
        prober.start()
        deleted, calls, started = 0, [], time.perf_counter()
        while True:
            call = time.perf_counter()
            done = http.post("/api/v1/runs/prune", json={"older_than": args.older_than}).json()
            calls.append(time.perf_counter() - call)
            deleted += done["deleted"]
            if not done["more"]:
                break
        elapsed = time.perf_counter() - started
        stop.set()
        prober.join()
        after_total = http.get("/api/v1/runs/count").json()["count"]

    print(f"\n{label}, {before_total:,} runs, prune --older-than {args.older_than}")
    print(
        f"deleted {deleted:,} runs in {elapsed:,.1f} s: {deleted / elapsed:,.0f} runs/s, "
        f"{len(calls)} calls of up to 10,000 (longest {max(calls):.1f} s); "
        f"{after_total:,} runs left"
    )
    print(f"{'':<42}  {'n':>6}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}")
    for when, (reads, writes) in (("before the prune", baseline), ("during the prune", during[0])):
        for name, spent in (("GET /api/v1/runs", reads), ("POST .../runs (trigger)", writes)):
            print(
                f"{name + ', ' + when:<42}  {len(spent):6}  {percentile(spent, 50):7.1f}  "
                f"{percentile(spent, 95):7.1f}  {percentile(spent, 99):7.1f}"
            )


if __name__ == "__main__":
    main()
