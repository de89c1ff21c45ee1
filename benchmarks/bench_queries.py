"""The foundation benchmark: import rate, then the query set through HTTP.

    .venv/bin/python -m benchmarks.bench_queries --runs 1000000 --database sqlite
    .venv/bin/python -m benchmarks.bench_queries --runs 1000000 \
        --database postgresql://postgres@127.0.0.1:5432/runyard_bench

It starts a real ``runyard serve`` on the database (a new SQLite file, or the given
PostgreSQL database, which must be empty or hold a previous corpus of the same size:
``--reuse`` skips the import), loads ``--runs`` realistic runs through
``POST /api/v1/runs/import``, and times every query of the set against it: the native
API's, then each vendor dialect's list calls with the vendor's own path, auth header,
defaults and status words (``--native-only`` leaves those out).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.corpus import create_workflows, import_runs
from benchmarks.server import running_server
from runyard.demo import ERROR_CODES

API_KEY = "ry_benchmark_admin_key"
RESULTS = Path(__file__).parent / "results"

Params = list[tuple[str, Any]]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summarize(samples: list[float]) -> dict[str, float]:
    return {p: percentile(samples, q) for p, q in (("p50", 50), ("p95", 95), ("p99", 99))}


def time_query(
    http: httpx.Client, path: str, make_params: Callable[[int], Params], n: int
) -> list[float]:
    for i in range(3):  # warm-up
        http.get(path, params=make_params(i)).raise_for_status()
    samples = []
    for i in range(n):
        params = make_params(i)
        started = time.perf_counter()
        response = http.get(path, params=params)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def query_set(
    http: httpx.Client, ids: dict[str, str], now: datetime
) -> dict[str, tuple[str, Callable[[int], Params]]]:
    rng = random.Random(11)
    week = [("created_after", (now - timedelta(days=7)).isoformat())]
    wf = list(ids.values())
    customers = [f"CUST-{rng.randrange(100_000):06d}" for _ in range(500)]

    def page200_cursor() -> str:
        cursor = None
        for _ in range(199):
            params: Params = [("limit", 50)] + ([("cursor", cursor)] if cursor else [])
            cursor = http.get("/api/v1/runs", params=params).json()["next_cursor"]
        assert cursor
        return str(cursor)

    cursor200 = page200_cursor()
    runs = "/api/v1/runs"
    return {
        "newest 50": (runs, lambda i: [("limit", 50)]),
        "one workflow": (runs, lambda i: [("workflow_id", wf[i % len(wf)])]),
        "2 statuses, 7 days": (
            runs,
            lambda i: [("status", "failed"), ("status", "canceled"), *week],
        ),
        "3 workflows + 2 statuses + 7 days": (
            runs,
            lambda i: [
                *(("workflow_id", w) for w in wf[i % 5 : i % 5 + 3]),
                ("status", "completed"),
                ("status", "failed"),
                *week,
            ],
        ),
        "search customer id": (runs, lambda i: [("search", customers[i % len(customers)])]),
        "search common term 'acm'": (runs, lambda i: [("search", "acm")]),
        "one error code": (runs, lambda i: [("error_code", ERROR_CODES[i % len(ERROR_CODES)])]),
        "page 1 (limit 50)": (runs, lambda i: [("limit", 50)]),
        "page 200 by cursor": (runs, lambda i: [("limit", 50), ("cursor", cursor200)]),
        "offset 5,000": (runs, lambda i: [("limit", 50), ("offset", 5000)]),
        "count 2 statuses, 7 days": (
            f"{runs}/count",
            lambda i: [("status", "failed"), ("status", "canceled"), *week],
        ),
    }


def dialect_set(
    http: httpx.Client, ids: dict[str, str], now: datetime
) -> dict[str, tuple[str, Callable[[int], Params], dict[str, str]]]:
    """Each vendor's list call as its client sends it: the vendor's path, auth header,
    defaults and status words, over the same corpus."""
    rng = random.Random(13)
    names = list(ids)
    customers = [f"CUST-{rng.randrange(100_000):06d}" for _ in range(500)]
    project = http.get("/api/v1/projects").json()["items"][0]["id"]
    bearer = {"Authorization": f"Bearer {API_KEY}"}
    polos = {**bearer, "X-Project-ID": project}
    skyvern, cloudcruise, noxus = (
        {"x-api-key": API_KEY},
        {"cc-key": API_KEY},
        {"X-API-Key": API_KEY},
    )
    day = [("start_time", (now - timedelta(hours=24)).isoformat())]
    c = "/compat"
    return {
        "polos: newest 50": (f"{c}/polos/api/v1/workflows/runs", lambda i: [], polos),
        "polos: one workflow": (
            f"{c}/polos/api/v1/workflows/runs",
            lambda i: [("workflow_id", names[i % len(names)])],
            polos,
        ),
        "b3os: one workflow's failures": (
            f"{c}/b3os/v1/workflows/{{name}}/runs",
            lambda i: [("status", "failure")],
            bearer,
        ),
        "skyvern: all runs, page 1": (f"{c}/skyvern/v1/workflows/runs", lambda i: [], skyvern),
        "skyvern: search customer id": (
            f"{c}/skyvern/v1/workflows/runs",
            lambda i: [("search_key", customers[i % len(customers)])],
            skyvern,
        ),
        "skyvern: one error code": (
            f"{c}/skyvern/v1/workflows/runs",
            lambda i: [("error_code", ERROR_CODES[i % len(ERROR_CODES)])],
            skyvern,
        ),
        "cloudcruise: last 24 h (1,000 runs)": (f"{c}/cloudcruise/runs", lambda i: [], cloudcruise),
        "cloudcruise: failed, last 24 h": (
            f"{c}/cloudcruise/runs",
            lambda i: [("status", "execution.failed"), *day],
            cloudcruise,
        ),
        "noxus: page 1 with total": (
            f"{c}/noxus/v1/runs",
            lambda i: [("page", 1), ("size", 50)],
            noxus,
        ),
        "noxus: one workflow, page 3": (
            f"{c}/noxus/v1/workflows/{{id}}/runs",
            lambda i: [("page", 3), ("size", 50)],
            noxus,
        ),
    }


def time_dialect_query(
    http: httpx.Client,
    path: str,
    make_params: Callable[[int], Params],
    headers: dict[str, str],
    ids: dict[str, str],
    n: int,
) -> list[float]:
    """As ``time_query``; ``{name}`` / ``{id}`` in the path cycle through the workflows."""
    names = list(ids)

    def url(i: int) -> str:
        name = names[i % len(names)]
        return path.format(name=name, id=ids[name])

    samples = []
    for i in range(-3, n):
        started = time.perf_counter()
        response = http.get(url(i), params=make_params(i), headers=headers)
        if i >= 0:
            samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    parser.add_argument("--samples", type=int, default=200, help="timed requests per query")
    parser.add_argument("--reuse", action="store_true", help="database already holds the corpus")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="an import stopped midway: import the runs of the corpus not there yet",
    )
    parser.add_argument(
        "--native-only", action="store_true", help="leave out the vendor dialects' queries"
    )
    args = parser.parse_args()

    RESULTS.mkdir(exist_ok=True)
    if args.database == "sqlite":
        path = RESULTS / f"bench-{args.runs}.db"
        if not (args.reuse or args.resume):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        database_url, label = f"sqlite:///{path}", "SQLite"
    else:
        database_url, label = args.database, "PostgreSQL"

    # The corpus' ``now``, kept so that an interrupted import can be resumed with the
    # same runs (generate_runs is deterministic given it).
    meta = RESULTS / f"corpus-{label.lower()}-{args.runs}.json"
    if args.reuse or args.resume:
        now = datetime.fromisoformat(json.loads(meta.read_text())["now"])
    else:
        now = datetime.now(UTC)
        meta.write_text(json.dumps({"now": now.isoformat()}))
    log = RESULTS / f"server-{label.lower()}-{args.runs}.log"
    with running_server(database_url, API_KEY, log) as url:
        http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=300
        )
        if args.reuse:
            ids = {w["name"]: w["id"] for w in http.get("/api/v1/workflows").json()["items"]}
            rate = None
        else:
            there = 0
            if args.resume:
                listed = http.get("/api/v1/workflows").json()["items"]
                ids = {w["name"]: w["id"] for w in listed}
                there = http.get("/api/v1/runs/count").json()["count"]
            else:
                ids = create_workflows(http)
            print(f"importing {args.runs - there:,} runs into {label} ...", flush=True)
            imported, spent = import_runs(http, ids, args.runs, now, skip=there)
            rate = imported / spent
            print(f"imported {imported:,} runs in {spent:,.1f} s: {rate:,.0f} runs/s", flush=True)
        results = {}
        for name, (path_, params) in query_set(http, ids, now).items():
            samples = time_query(http, path_, params, args.samples)
            results[name] = summarize(samples)
        if not args.native_only:
            bare = httpx.Client(base_url=url, timeout=300)  # each dialect sends its own auth
            for name, (path_, params, headers) in dialect_set(http, ids, now).items():
                samples = time_dialect_query(bare, path_, params, headers, ids, args.samples)
                results[name] = summarize(samples)

    width = max(len(n) for n in results)
    print(f"\n{label}, {args.runs:,} runs, {args.samples} requests per query, one client over HTTP")
    print(f"{'query':<{width}}  {'p50 ms':>8}  {'p95 ms':>8}  {'p99 ms':>8}")
    for name, r in results.items():
        print(f"{name:<{width}}  {r['p50']:8.1f}  {r['p95']:8.1f}  {r['p99']:8.1f}")
    if rate is not None:
        print(f"import: {rate:,.0f} runs/s")
    record = {
        "database": label,
        "runs": args.runs,
        "import_runs_per_s": rate,
        "queries": results,
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, {platform.system()}",
        "at": now.isoformat(),
    }
    out = RESULTS / f"queries-{label.lower()}-{args.runs}.json"
    out.write_text(json.dumps(record, indent=2))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
