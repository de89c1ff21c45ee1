"""Counts and charts over a corpus the query benchmark loaded: the kept counts (per
workflow and status, and per day), counts stopped at ``COUNT_CAP``, and what an exact
count of the same filter costs.

    .venv/bin/python -m benchmarks.bench_counts --runs 10000000 \
        --database postgresql://postgres@127.0.0.1:5432/runyard_bench10m
    .venv/bin/python -m benchmarks.bench_counts --runs 1500000            # SQLite

It starts ``runyard serve`` on the database ``bench_queries --runs N`` left (with the
same ``--database``), and times each request over HTTP: ``--samples`` times for the
cheap ones, ``--exact-samples`` times for exact counts of large match sets (those cost
in proportion to the matches, seconds at 10M runs). It prints each answer's count and
whether it is exact.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timedelta
from typing import Any

import httpx

from benchmarks.bench_queries import API_KEY, RESULTS, summarize
from benchmarks.server import running_server
from runyard.demo import ERROR_CODES

Params = list[tuple[str, Any]]


def requests(now: datetime) -> dict[str, tuple[str, Params, bool]]:
    """name: (path, params, costly) — a costly one is timed ``--exact-samples`` times."""
    week = ("created_after", (now - timedelta(days=7)).isoformat())
    month = ("created_after", (now - timedelta(days=30)).isoformat())
    count, stats = "/api/v1/runs/count", "/api/v1/runs/stats"
    return {
        "count: all runs (kept)": (count, [], False),
        "count: failed (kept)": (count, [("status", "failed")], False),
        "count: failed, last 30 days (kept by day)": (count, [("status", "failed"), month], False),
        "count: last 7 days (kept by day)": (count, [week], False),
        "count: search 'acm' (stops at the cap)": (count, [("search", "acm")], False),
        "count: search 'acm', exact": (count, [("search", "acm"), ("exact", "true")], True),
        "count: trigger webhook (stops at the cap)": (count, [("trigger_type", "webhook")], False),
        "count: trigger webhook, exact": (
            count,
            [("trigger_type", "webhook"), ("exact", "true")],
            True,
        ),
        "count: one error code": (count, [("error_code", ERROR_CODES[0])], False),
        "chart: all runs by day (kept by day)": (stats, [("bucket", "1d")], False),
        "chart: failed, last 30 days by day (kept by day)": (
            stats,
            [("bucket", "1d"), ("status", "failed"), month],
            False,
        ),
        "chart: last 7 days by 6 hours (status index)": (stats, [("bucket", "6h"), week], False),
        "chart: last 24 hours by hour (status index)": (
            stats,
            [("bucket", "1h"), ("created_after", (now - timedelta(days=1)).isoformat())],
            False,
        ),
        "chart: one workflow, last 7 days by 6 hours (runs)": (
            stats,
            [("bucket", "6h"), week, ("workflow_id", "invoice-agent")],
            False,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, required=True, help="the corpus' size")
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--exact-samples", type=int, default=3)
    args = parser.parse_args()
    if args.database == "sqlite":
        database_url, label = f"sqlite:///{RESULTS / f'bench-{args.runs}.db'}", "SQLite"
    else:
        database_url, label = args.database, "PostgreSQL"
    meta = RESULTS / f"corpus-{label.lower()}-{args.runs}.json"
    now = datetime.fromisoformat(json.loads(meta.read_text())["now"])
    log = RESULTS / f"server-counts-{label.lower()}-{args.runs}.log"
    rows = []
    with running_server(database_url, API_KEY, log) as url:
        http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=600
        )
        for name, (path, params, costly) in requests(now).items():
            n = args.exact_samples if costly else args.samples
            samples, answer = [], None
            for i in range(-1 if costly else -3, n):
                started = time.perf_counter()
                response = http.get(path, params=params)
                response.raise_for_status()
                if i >= 0:
                    samples.append((time.perf_counter() - started) * 1000)
                answer = response.json()
            assert answer is not None
            if "count" in answer:
                said = f"{answer['count']:,}" + ("" if answer["exact"] else "+")
            else:
                said = f"{sum(answer['totals'].values()):,} in {len(answer['buckets'])} buckets"
            rows.append((name, summarize(samples), said))
    width = max(len(name) for name, _, _ in rows)
    print(f"\n{label}, {args.runs:,} runs, one client over HTTP")
    print(f"{'request':<{width}}  {'p50 ms':>8}  {'p95 ms':>8}  answer")
    for name, r, said in rows:
        print(f"{name:<{width}}  {r['p50']:8.1f}  {r['p95']:8.1f}  {said}")


if __name__ == "__main__":
    main()
