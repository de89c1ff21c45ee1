"""Load: many clients at once, reading (90 %) and writing (10 %), against a large corpus.

    .venv/bin/python -m benchmarks.bench_queries --runs 1000000 \
        --database postgresql://postgres@127.0.0.1:5432/runyard_bench    # builds the corpus once
    .venv/bin/python -m benchmarks.bench_load --runs 1000000 \
        --database postgresql://postgres@127.0.0.1:5432/runyard_bench

On a copy of the corpus (see bench_prune), ``runyard serve --processes 2`` answers
``--clients`` concurrent clients (one asyncio process, each client sending its next request
as soon as the last is answered) for ``--seconds`` after a 5 s warm-up. Nine requests in
ten are queries of the foundation set (newest 50, one workflow, two statuses over 7 days,
a customer id search, an error code, a count); one in ten writes: a run triggered, or a
run this load triggered moved on (``PATCH`` queued → running → completed).

The load comes from ``wrk`` (``apt install wrk``; ``benchmarks/load.lua`` holds the
mix), one thread for all clients, so the generator takes little of the CPU the server
and PostgreSQL share on the machine; ``--generator httpx`` uses one asyncio process of
httpx clients instead, and reports each kind of request apart. Both send in a closed
loop, which measures capacity: the latency is then the queue that 64 clients with no
pause build. ``--rate R`` (httpx) paces the clients instead, R requests a second in all
at random gaps, each latency counted from when its request was due (a request sent late
because the last was slow counts its wait): the latency a given load sees.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import shutil
import subprocess
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench_prune import scratch_copy
from benchmarks.bench_queries import API_KEY, RESULTS, percentile
from benchmarks.server import running_server
from runyard.demo import ERROR_CODES

WARM_UP = 5.0


class Load:
    def __init__(self, http: httpx.AsyncClient, workflows: list[str], seed: int) -> None:
        self.http, self.workflows = http, workflows
        self.rng = random.Random(seed)
        self.week = (datetime.now(UTC) - timedelta(days=7)).isoformat()
        self.mine: list[tuple[str, str]] = []  # runs this load triggered: (id, status)
        self.spent: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    def read(self) -> tuple[str, str, list[tuple[str, Any]]]:
        rng, runs = self.rng, "/api/v1/runs"
        choice = rng.randrange(6)
        if choice == 0:
            return "newest 50", runs, [("limit", 50)]
        if choice == 1:
            return "one workflow", runs, [("workflow_id", rng.choice(self.workflows))]
        two = [("status", "failed"), ("status", "canceled"), ("created_after", self.week)]
        if choice == 2:
            return "2 statuses, 7 days", runs, two
        if choice == 3:
            return "search customer id", runs, [("search", f"CUST-{rng.randrange(100_000):06d}")]
        if choice == 4:
            return "one error code", runs, [("error_code", rng.choice(ERROR_CODES))]
        return "count 2 statuses, 7 days", f"{runs}/count", two

    async def one(self, measuring: bool, due: float | None = None) -> None:
        """One request; its latency counts from ``due`` (when a paced client meant to send
        it, so a late start counts against the server) or else from now."""
        started = time.perf_counter() if due is None else due
        try:
            if self.rng.random() < 0.9:
                kind, path, params = self.read()
                answer = await self.http.get(path, params=params)
            elif self.mine and self.rng.random() < 0.5:
                kind = "write: status update"
                # Taken out while in flight, so no other client moves the same run.
                run_id, status = self.mine.pop(self.rng.randrange(len(self.mine)))
                nxt = "running" if status == "queued" else "completed"
                answer = await self.http.patch(f"/api/v1/runs/{run_id}", json={"status": nxt})
                if answer.status_code != 200:
                    self.mine.append((run_id, status))
                elif nxt != "completed":
                    self.mine.append((run_id, nxt))
            else:
                kind = "write: trigger"
                name = self.rng.choice(self.workflows)
                answer = await self.http.post(f"/api/v1/workflows/{name}/runs", json={})
                if answer.status_code == 201:
                    self.mine.append((answer.json()["id"], "queued"))
            ok = answer.status_code < 400
        except httpx.HTTPError as exc:
            kind, ok = f"transport: {type(exc).__name__}", False
        if measuring:
            self.spent[kind].append((time.perf_counter() - started) * 1000)
            if not ok:
                self.errors[kind] += 1


async def client(load: Load, warm_until: float, ends: float, every: float | None) -> None:
    """Closed loop (``every`` None): the next request as soon as the last is answered.
    Paced: one request every ``every`` seconds on average (random gaps), sent late if
    the last one is still out."""
    rng = random.Random()
    due = time.perf_counter() + (rng.random() * every if every else 0)
    while time.monotonic() < ends:
        if every is None:
            await load.one(time.monotonic() >= warm_until)
            continue
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        await load.one(time.monotonic() >= warm_until, due)
        due += rng.expovariate(1 / every)


async def run(base: str, clients: int, seconds: float, rate: float | None = None) -> Load:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as http:
        listed = (await http.get("/api/v1/workflows")).json()["items"]
        load = Load(http, [w["name"] for w in listed], seed=7)
        warm_until = time.monotonic() + WARM_UP
        ends = warm_until + seconds
        every = clients / rate if rate else None
        await asyncio.gather(*(client(load, warm_until, ends, every) for _ in range(clients)))
    return load


LUA = Path(__file__).parent / "load.lua"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * UNITS[unit]


def run_wrk(base: str, clients: int, seconds: float) -> dict[str, float]:
    """Warm up for WARM_UP seconds, then measure; returns throughput, percentiles, errors."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt install wrk), or use --generator httpx")
    headers = {"Authorization": f"Bearer {API_KEY}"}
    listed = httpx.get(f"{base}/api/v1/workflows", headers=headers).json()["items"]
    week = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    args = [API_KEY, ",".join(w["name"] for w in listed), week, ",".join(ERROR_CODES)]

    def wrk_for(duration: float) -> str:
        command = [wrk, "-t1", f"-c{clients}", f"-d{duration:.0f}s", "--latency"]
        command += ["--timeout", "30s", "-s", str(LUA), base, "--", *args]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    wrk_for(WARM_UP)
    out = wrk_for(seconds)
    print(out)
    result = {"requests/s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for p in ("50", "90", "99"):
        result[f"p{p} ms"] = _ms(re.search(rf"\s{p}%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    result["errors"] = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(int(n) for n in sockets.groups()) if sockets else 0
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument(
        "--database", default="sqlite", help="'sqlite' or the corpus' PostgreSQL URL"
    )
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--processes", type=int, default=2, help="runyard serve --processes")
    parser.add_argument("--generator", choices=("wrk", "httpx"), default="wrk")
    parser.add_argument(
        "--rate",
        type=float,
        help="paced load (httpx): requests per second from all clients together, latency "
        "counted from when each request was due; without it each client sends again at once",
    )
    args = parser.parse_args()
    label = "SQLite" if args.database == "sqlite" else "PostgreSQL"
    with (
        scratch_copy(args.database, args.runs, name="runyard_bench_load") as url,
        running_server(
            url, API_KEY, RESULTS / "server.log", "--no-worker", "--processes", str(args.processes)
        ) as base,
    ):
        if args.rate and args.generator == "wrk":
            raise SystemExit("--rate needs --generator httpx (wrk sends in a closed loop)")
        if args.generator == "wrk":
            result = run_wrk(base, args.clients, args.seconds)
        else:
            load = asyncio.run(run(base, args.clients, args.seconds, args.rate))
    if args.generator == "wrk":
        print(
            f"\n{label}, {args.runs:,} runs, {args.processes} server processes, "
            f"{args.clients} clients (wrk), {args.seconds:.0f} s after a warm-up"
        )
        print("  ".join(f"{k}: {v:,.1f}" for k, v in result.items()))
        return

    everything = [ms for spent in load.spent.values() for ms in spent]
    total_errors = sum(load.errors.values())
    print(
        f"\n{label}, {args.runs:,} runs, {args.processes} server processes, "
        f"{args.clients} clients, {args.seconds:.0f} s after a warm-up"
    )
    pace = f"paced at {args.rate:g} requests/s in all" if args.rate else "closed loop"
    print(f"httpx clients, {pace}")
    print(f"{'requests':<26}  {'n':>7}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  {'errors':>6}")
    for kind in sorted(load.spent):
        spent = load.spent[kind]
        print(
            f"{kind:<26}  {len(spent):7}  {percentile(spent, 50):7.1f}  "
            f"{percentile(spent, 95):7.1f}  {percentile(spent, 99):7.1f}  "
            f"{load.errors.get(kind, 0):6}"
        )
    print(
        f"{'all':<26}  {len(everything):7}  {percentile(everything, 50):7.1f}  "
        f"{percentile(everything, 95):7.1f}  {percentile(everything, 99):7.1f}  "
        f"{total_errors:6}"
    )
    print(f"throughput: {len(everything) / args.seconds:,.0f} requests/s")


if __name__ == "__main__":
    main()
