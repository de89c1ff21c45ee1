"""Side by side with a Prefect 3 server: the same runs, the equivalent queries, over HTTP.

    .venv/bin/python -m benchmarks.bench_prefect --runs 1000000                    # SQLite
    .venv/bin/python -m benchmarks.bench_prefect --runs 1000000 \
        --database postgresql://postgres@127.0.0.1:5432                       # PostgreSQL

Prefect is installed by this script, pinned (``PREFECT_VERSION``), into a virtual environment of
its own, ``benchmarks/results/prefect-venv``; it is never a dependency of runyard and none of its
code is in this repository. Both servers get fresh databases: SQLite files in
``benchmarks/results/`` (``--reuse`` times the queries again on the files of a previous run of
the same size), or two scratch databases on the given PostgreSQL server, dropped afterwards.

The same runs go into both, one pass over ``runyard.demo.generate_runs`` (seed 7, one ``now``),
in batches of 1,000: runyard imports each batch through ``POST /api/v1/runs/import`` (its own
path, timed per request); the same batch, same ids, goes into Prefect's own tables as SQL
inserts (SQLAlchemy Core, in this process). Prefect's REST API creates one flow run per request,
through its orchestration rules: hours for a million. So the rows are written directly, after
``prefect server database upgrade`` has made the schema: the tables are read back from the
database (reflection), every run gets a ``flow_run`` row with its ``flow_run_state`` row and
``state_id`` pointing at it (what the server reads), as Prefect's ORM would write them. Mapping:

- workflow -> flow of the same name; run id -> flow run id (both UUIDs)
- ``created_at`` -> ``expected_start_time`` and ``created``; ``started_at`` / ``finished_at`` ->
  ``start_time`` / ``end_time`` (``total_run_time`` their difference); ``input`` ->
  ``parameters``; tags ``{"env": "prod"}`` -> ``["env:prod"]``; ``error`` -> the state message
- status -> state (type / name), see ``STATE_MAP``: one state name per status, so a status
  filter is a state-name filter that matches the same runs (``timed_out`` is Prefect's own
  ``TimedOut``, a FAILED type, as its timeouts are; ``terminated`` is ``Crashed``)
- not carried over (Prefect has no place for them, and no query here reads them): steps and
  error codes, trigger, credential, HTTP headers, result, credits, parent runs, ``is_test``;
  one state row per run, where a real Prefect run keeps its state history

Then both sides must count ``--runs`` runs, and Prefect's database is vacuumed and analyzed
(runyard's maintenance does as much for its own; on PostgreSQL runyard's database is vacuumed
and analyzed too, rather than timed before its maintenance thread has caught up with the
import, so both are timed with fresh statistics and visibility maps).

Each server runs alone while timed. Prefect runs as ``prefect server start --no-services``: the
API only, without the scheduler, the late-runs marker (it would rename old "Scheduled" runs
"Late"), the foreman, the event persister and the other loops that would load the CPU or change
states; analytics (telemetry, ``PREFECT_SERVER_ANALYTICS_ENABLED``) off, UI off, log level
WARNING (no access log); one worker process, as ``runyard serve`` has one.

Each query gets 3 warm-up requests and ``--samples`` timed ones, one client, sequential. runyard
pages sort newest ``created_at`` first; Prefect's equivalent is ``EXPECTED_START_TIME_DESC``
(``START_TIME_DESC`` sorts on ``coalesce(start_time, expected_start_time)``, a different order).
The first response of each query is compared between the two (same run ids in the same order,
or the same count); a difference is printed as a warning. Prefect has no filter over parameter
values and no step errors: those queries show runyard's time and "no equivalent".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from benchmarks.bench_queries import percentile, query_set
from benchmarks.corpus import create_workflows
from benchmarks.server import free_port, healthy_process, running_server, scratch_postgres
from runyard.demo import WORKFLOWS, generate_runs

PREFECT_VERSION = "3.9.1"
API_KEY = "ry_benchmark_admin_key"
RESULTS = Path(__file__).parent / "results"
VENV = RESULTS / "prefect-venv"
PREFECT_HOME = RESULTS / "prefect-home"
BATCH = 1000

# runyard status -> Prefect (state type, state name)
STATE_MAP = {
    "created": ("SCHEDULED", "Scheduled"),
    "queued": ("PENDING", "Pending"),
    "running": ("RUNNING", "Running"),
    "waiting": ("PAUSED", "Suspended"),
    "paused": ("PAUSED", "Paused"),
    "canceling": ("CANCELLING", "Cancelling"),
    "completed": ("COMPLETED", "Completed"),
    "failed": ("FAILED", "Failed"),
    "canceled": ("CANCELLED", "Cancelled"),
    "terminated": ("CRASHED", "Crashed"),
    "timed_out": ("FAILED", "TimedOut"),
}
EPOCH = datetime(1970, 1, 1)  # SQLAlchemy's Interval on SQLite: epoch + delta as a DATETIME

Params = list[tuple[str, Any]]
Body = dict[str, Any]
RunyardQuery = tuple[str, Callable[[int], Params]]
PrefectQuery = tuple[str, Callable[[int], Body]]


# -- Prefect's environment and server --------------------------------------------------------


def ensure_prefect() -> str:
    """The pinned Prefect in its own virtual environment (made if missing); its version."""
    python = VENV / "bin" / "python"
    if not (VENV / "bin" / "prefect").exists():
        print(f"installing prefect=={PREFECT_VERSION} into {VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, f"prefect=={PREFECT_VERSION}", "asyncpg"], check=True)
    version = subprocess.run(
        [str(python), "-c", "import prefect; print(prefect.__version__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if version != PREFECT_VERSION:
        raise RuntimeError(f"{VENV} holds Prefect {version}, not {PREFECT_VERSION}: remove it")
    return version


def prefect_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PREFECT_HOME": str(PREFECT_HOME),
        "PREFECT_API_DATABASE_CONNECTION_URL": database_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    }


def migrate_prefect(database_url: str, log: Path) -> None:
    """Prefect's own migrations make its schema in the empty database."""
    with log.open("a") as out:
        subprocess.run(
            [str(VENV / "bin" / "prefect"), "server", "database", "upgrade", "-y"],
            env=prefect_env(database_url),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )


@contextmanager
def prefect_server(database_url: str, log: Path) -> Iterator[str]:
    """``prefect server start --no-services`` on ``database_url``; yields its API URL."""
    port = free_port()
    command = [str(VENV / "bin" / "prefect"), "server", "start", "--no-services"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "WARNING"]
    url = f"http://127.0.0.1:{port}/api"
    with healthy_process(
        command, prefect_env(database_url), log, f"{url}/health", mode="a", within=180
    ):
        yield url


# -- Databases ---------------------------------------------------------------------------------


@contextmanager
def databases(target: str, runs: int, reuse: bool) -> Iterator[tuple[str, str, str]]:
    """(runyard's URL, Prefect's URL as the loader writes it, label): fresh SQLite files, or
    two scratch PostgreSQL databases on ``target``'s server."""
    if target == "sqlite":
        runyard_db = RESULTS / f"prefect-runyard-{runs}.db"
        prefect_db = PREFECT_HOME / f"prefect-{runs}.db"
        if not reuse:
            for path in (runyard_db, prefect_db):
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        yield f"sqlite:///{runyard_db}", f"sqlite:///{prefect_db}", "SQLite"
        return
    if reuse:
        raise SystemExit("--reuse needs SQLite: the scratch PostgreSQL databases are dropped")
    with ExitStack() as stack:
        runyard_url = stack.enter_context(scratch_postgres(target, "bench_prefect_runyard"))
        prefect_url = stack.enter_context(scratch_postgres(target, "bench_prefect_prefect"))
        yield runyard_url, prefect_url, "PostgreSQL"


def server_url(loader_url: str) -> str:
    """Prefect's async driver for the database the loader writes with a sync one."""
    url = make_url(loader_url)
    driver = "sqlite+aiosqlite" if url.get_backend_name() == "sqlite" else "postgresql+asyncpg"
    return url.set(drivername=driver).render_as_string(hide_password=False)


def loader_engine(loader_url: str) -> sa.Engine:
    url = make_url(loader_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return sa.create_engine(url)


# -- Loading the same runs into both ---------------------------------------------------------


def when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class PrefectRows:
    """Rows of Prefect's ``flow``, ``flow_run`` and ``flow_run_state`` tables for runyard runs,
    in the column types of the dialect (read from the database Prefect made)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.metadata = sa.MetaData()
        with warnings.catch_warnings():  # indexes on expressions: the database keeps them
            warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
            self.metadata.reflect(engine, only=["flow", "flow_run", "flow_run_state"])
        self.postgres = engine.dialect.name == "postgresql"

    def table(self, name: str) -> sa.Table:
        return self.metadata.tables[name]

    def uid(self, value: str) -> Any:
        return uuid.UUID(value) if self.postgres else value

    def duration(self, delta: timedelta) -> Any:
        return delta if self.postgres else EPOCH + delta

    def flows(self, now: datetime) -> list[dict[str, Any]]:
        created = now - timedelta(days=91)
        return [
            {
                "id": self.uid(str(uuid.uuid4())),
                "created": created,
                "updated": created,
                "name": spec["name"],
                "tags": [],
            }
            for spec in WORKFLOWS
        ]

    def run(self, run: dict[str, Any], flow_id: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The flow run and its current state."""
        state_type, state_name = STATE_MAP[run["status"]]
        created = when(run["created_at"])
        assert created is not None
        started, ended = when(run.get("started_at")), when(run.get("finished_at"))
        stamp = ended or started or created
        run_id, state_id = self.uid(run["id"]), self.uid(str(uuid.uuid4()))
        details = {"flow_run_id": run["id"]}
        if state_type == "SCHEDULED":
            details["scheduled_time"] = run["created_at"]
        flow_run = {
            "id": run_id,
            "created": created,
            "updated": stamp,
            "name": f"run-{run['id'][-12:]}",
            "flow_id": flow_id,
            "state_id": state_id,
            "state_type": state_type,
            "state_name": state_name,
            "state_timestamp": stamp,
            "run_count": 1 if started else 0,
            "expected_start_time": created,
            "next_scheduled_start_time": created if state_type == "SCHEDULED" else None,
            "start_time": started,
            "end_time": ended,
            "total_run_time": self.duration(ended - started if started and ended else timedelta()),
            "parameters": run["input"],
            "tags": [f"{key}:{value}" for key, value in sorted(run["tags"].items())],
            "auto_scheduled": False,
        }
        state = {
            "id": state_id,
            "created": stamp,
            "updated": stamp,
            "flow_run_id": run_id,
            "type": state_type,
            "name": state_name,
            "timestamp": stamp,
            "message": run.get("error"),
            "state_details": details,
        }
        return flow_run, state


def insert_flows(engine: sa.Engine, rows: PrefectRows, now: datetime) -> dict[str, Any]:
    flows = rows.flows(now)
    with engine.begin() as conn:
        conn.execute(rows.table("flow").insert(), flows)
    return {flow["name"]: flow["id"] for flow in flows}


def batches(ids: dict[str, str], count: int, now: datetime) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for run in generate_runs(ids, count, now=now):
        batch.append(run)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def load_both(http: httpx.Client, engine: sa.Engine, count: int, now: datetime) -> dict[str, float]:
    """The same runs into runyard (its import API) and into Prefect's tables; the seconds each
    side spent, generation excluded."""
    ids = create_workflows(http)
    rows = PrefectRows(engine)
    flows = insert_flows(engine, rows, now)
    flow_of = {ids[name]: flows[name] for name in ids}
    flow_run, state = rows.table("flow_run"), rows.table("flow_run_state")
    spent = {"runyard": 0.0, "prefect": 0.0}
    loaded = 0
    with engine.connect() as conn:
        if rows.postgres:
            # flow_run.state_id and flow_run_state.flow_run_id refer to each other: the pair
            # goes in within one transaction with the (immediate) foreign-key triggers off.
            conn.exec_driver_sql("SET session_replication_role = replica")
        for batch in batches(ids, count, now):
            body = orjson.dumps({"runs": batch})
            started = time.perf_counter()
            response = http.post(
                "/api/v1/runs/import", content=body, headers={"content-type": "application/json"}
            )
            spent["runyard"] += time.perf_counter() - started
            response.raise_for_status()
            pairs = [rows.run(run, flow_of[run["workflow_id"]]) for run in batch]
            started = time.perf_counter()
            conn.execute(flow_run.insert(), [run for run, _ in pairs])
            conn.execute(state.insert(), [st for _, st in pairs])
            conn.commit()
            spent["prefect"] += time.perf_counter() - started
            loaded += len(batch)
            if loaded % 100_000 < BATCH:
                print(
                    f"  {loaded:,} runs: runyard {loaded / spent['runyard']:,.0f} runs/s, "
                    f"Prefect {loaded / spent['prefect']:,.0f} runs/s",
                    flush=True,
                )
    return spent


def check_prefect_rows(engine: sa.Engine, count: int) -> None:
    """Every flow run has its state, and that state belongs to it."""
    with engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT count(*) FROM flow_run")).scalar_one()
        paired = conn.execute(
            sa.text(
                "SELECT count(*) FROM flow_run r JOIN flow_run_state s"
                " ON s.id = r.state_id AND s.flow_run_id = r.id AND s.name = r.state_name"
            )
        ).scalar_one()
    if runs != count or paired != count:
        raise RuntimeError(f"Prefect holds {runs:,} flow runs, {paired:,} with their state")


def vacuum_analyze(engine: sa.Engine, *tables: str) -> None:
    """``VACUUM`` and ``ANALYZE`` ``tables`` (PostgreSQL; all if none given) or the SQLite file."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name != "postgresql":
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("ANALYZE")
            return
        for table in tables or ("",):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}".strip())


# -- The queries -------------------------------------------------------------------------------


def runyard_queries(
    http: httpx.Client, ids: dict[str, str], now: datetime
) -> dict[str, RunyardQuery]:
    """bench_queries' set (workflows in ``ids``' order, as Prefect's flows are listed),
    less its repeat of the first page, plus a tag filter; its page 200 is the deep page."""
    found = query_set(http, ids, now)
    found["deep page (page 200 by cursor)"] = found["page 200 by cursor"]
    found["tag env=staging"] = ("/api/v1/runs", lambda i: [("tag", "env=staging")])
    return {name: found[name] for name in ORDER}


ORDER = [
    "newest 50",
    "one workflow",
    "2 statuses, 7 days",
    "3 workflows + 2 statuses + 7 days",
    "tag env=staging",
    "offset 5,000",
    "deep page (page 200 by cursor)",
    "count 2 statuses, 7 days",
    "search customer id",
    "search common term 'acm'",
    "one error code",
]


def prefect_queries(flows: list[str], now: datetime) -> dict[str, PrefectQuery | None]:
    """The same names; ``None`` where Prefect's API has no equivalent."""
    week = {"after_": (now - timedelta(days=7)).isoformat()}
    newest = {"sort": "EXPECTED_START_TIME_DESC", "limit": 50}
    staging = {"tags": {"all_": ["env:staging"]}}

    def states(*names: str) -> Body:
        return {"state": {"name": {"any_": list(names)}}}

    runs, count = "/flow_runs/filter", "/flow_runs/count"
    return {
        "newest 50": (runs, lambda i: newest),
        "one workflow": (runs, lambda i: {**newest, "flows": {"id": {"any_": [flows[i % 20]]}}}),
        "2 statuses, 7 days": (
            runs,
            lambda i: {
                **newest,
                "flow_runs": {**states("Failed", "Cancelled"), "expected_start_time": week},
            },
        ),
        "3 workflows + 2 statuses + 7 days": (
            runs,
            lambda i: {
                **newest,
                "flows": {"id": {"any_": flows[i % 5 : i % 5 + 3]}},
                "flow_runs": {**states("Completed", "Failed"), "expected_start_time": week},
            },
        ),
        "tag env=staging": (runs, lambda i: {**newest, "flow_runs": staging}),
        "offset 5,000": (runs, lambda i: {**newest, "offset": 5000}),
        "deep page (page 200 by cursor)": (runs, lambda i: {**newest, "offset": 9950}),
        "count 2 statuses, 7 days": (
            count,
            lambda i: {"flow_runs": {**states("Failed", "Cancelled"), "expected_start_time": week}},
        ),
        "search customer id": None,
        "search common term 'acm'": None,
        "one error code": None,
    }


PREFECT_LABELS = {"deep page (page 200 by cursor)": "Prefect: offset 9,950"}
NO_EQUIVALENT = {
    "search customer id": "Prefect cannot filter on parameter values",
    "search common term 'acm'": "Prefect cannot filter on parameter values",
    "one error code": "Prefect runs have no step errors to filter on",
}


def time_calls(call: Callable[[int], httpx.Response], n: int) -> tuple[list[float], Any]:
    """Three warm-up calls, then ``n`` timed ones (ms); also the first answer, for checking."""
    first = None
    for i in range(3):
        response = call(i)
        response.raise_for_status()
        first = response.json() if first is None else first
    samples = []
    for i in range(n):
        started = time.perf_counter()
        response = call(i)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples, first


def summary(samples: list[float]) -> dict[str, float]:
    return {p: percentile(samples, q) for p, q in (("p50", 50), ("p95", 95), ("p99", 99))}


def rows_of(answer: Any) -> list[str] | int:
    """Run ids in order, or a count, from either server's answer."""
    if isinstance(answer, int):
        return answer
    if isinstance(answer, dict) and "count" in answer:
        return int(answer["count"])
    items = answer["items"] if isinstance(answer, dict) else answer
    return [str(item["id"]) for item in items]


def getter(
    http: httpx.Client, path: str, params: Callable[[int], Params]
) -> Callable[[int], httpx.Response]:
    return lambda i: http.get(path, params=params(i))


def poster(
    http: httpx.Client, path: str, body: Callable[[int], Body]
) -> Callable[[int], httpx.Response]:
    return lambda i: http.post(path, json=body(i))


def time_runyard(
    http: httpx.Client, queries: dict[str, RunyardQuery], n: int
) -> dict[str, tuple[dict[str, float], list[str] | int]]:
    results = {}
    for name, (path, params) in queries.items():
        samples, first = time_calls(getter(http, path, params), n)
        results[name] = (summary(samples), rows_of(first))
    return results


def time_prefect(
    http: httpx.Client, queries: dict[str, PrefectQuery | None], n: int
) -> dict[str, tuple[dict[str, float], list[str] | int]]:
    results = {}
    for name, query in queries.items():
        if query is not None:
            path, body = query
            samples, first = time_calls(poster(http, path, body), n)
            results[name] = (summary(samples), rows_of(first))
    return results


def compare(ours: list[str] | int, theirs: list[str] | int) -> str:
    if ours == theirs:
        return "same count" if isinstance(ours, int) else f"same {len(ours)} runs, same order"
    if isinstance(ours, int) or isinstance(theirs, int):
        return f"DIFFERENT: runyard {ours}, Prefect {theirs}"
    if sorted(ours) == sorted(theirs):
        return f"same {len(ours)} runs, other order"
    return f"DIFFERENT: runyard {len(ours)} runs, Prefect {len(theirs)}, not the same runs"


# -- Report ------------------------------------------------------------------------------------


def report(
    ours: dict[str, tuple[dict[str, float], list[str] | int]],
    theirs: dict[str, tuple[dict[str, float], list[str] | int]],
) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name, (times, rows) in ours.items():
        entry: dict[str, Any] = {"runyard": times}
        if name in theirs:
            their_times, their_rows = theirs[name]
            entry["prefect"] = their_times
            entry["ratio"] = their_times["p50"] / times["p50"]
            entry["check"] = compare(rows, their_rows)
            if name in PREFECT_LABELS:
                entry["prefect_query"] = PREFECT_LABELS[name]
        else:
            entry.update(prefect=None, ratio=None, check=NO_EQUIVALENT[name])
        table[name] = entry
    return table


def print_table(table: dict[str, Any], title: str) -> None:
    width = max(len(name) for name in table)
    print(f"\n{title}")
    head = ("runyard p50", "p95", "Prefect p50", "p95", "ratio")
    print(f"{'query':<{width}}  " + "  ".join(f"{h:>11}" for h in head))
    for name, entry in table.items():
        ours = f"{entry['runyard']['p50']:11.1f}  {entry['runyard']['p95']:11.1f}"
        if entry["prefect"] is None:
            print(f"{name:<{width}}  {ours}  {'—':>11}  {'—':>11}  no equivalent")
            continue
        theirs = f"{entry['prefect']['p50']:11.1f}  {entry['prefect']['p95']:11.1f}"
        print(f"{name:<{width}}  {ours}  {theirs}  {entry['ratio']:10.1f}x")
    for name, entry in table.items():
        if entry["prefect"] is not None and entry["check"].startswith("DIFFERENT"):
            print(f"WARNING: {name}: {entry['check']}")
        if name in PREFECT_LABELS:
            print(f"note: {name}: {PREFECT_LABELS[name]}")


# -- Main --------------------------------------------------------------------------------------


def corpus_time(path: Path, reuse: bool) -> datetime:
    """The ``now`` the corpus was generated at (kept beside the SQLite files for --reuse)."""
    if reuse:
        return datetime.fromisoformat(json.loads(path.read_text())["now"])
    now = datetime.now(UTC)
    path.write_text(json.dumps({"now": now.isoformat()}))
    return now


def count_runs(http: httpx.Client, prefect: bool) -> int:
    if prefect:
        return int(http.post("/flow_runs/count", json={}).json())
    return int(http.get("/api/v1/runs/count").json()["count"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument(
        "--database", default="sqlite", help="'sqlite' or a PostgreSQL server URL (no database)"
    )
    parser.add_argument("--samples", type=int, default=100, help="timed requests per query")
    parser.add_argument("--reuse", action="store_true", help="SQLite files of a previous run")
    args = parser.parse_args()

    RESULTS.mkdir(exist_ok=True)
    PREFECT_HOME.mkdir(exist_ok=True)
    version = ensure_prefect()
    log = RESULTS / "prefect-server.log"
    log.write_text("")
    rates: dict[str, float | None] = {"runyard_import": None, "prefect_insert": None}
    with databases(args.database, args.runs, args.reuse) as (runyard_db, prefect_db, label):
        now = corpus_time(RESULTS / f"prefect-corpus-{label.lower()}-{args.runs}.json", args.reuse)
        engine = loader_engine(prefect_db)
        with running_server(runyard_db, API_KEY, RESULTS / "prefect-runyard-server.log") as url:
            http = httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=300
            )
            if not args.reuse:
                print(f"Prefect {version}: making its schema ...", flush=True)
                migrate_prefect(server_url(prefect_db), log)
                print(f"loading {args.runs:,} runs into runyard and Prefect ({label}) ...")
                spent = load_both(http, engine, args.runs, now)
                rates = {
                    "runyard_import": args.runs / spent["runyard"],
                    "prefect_insert": args.runs / spent["prefect"],
                }
                check_prefect_rows(engine, args.runs)
                vacuum_analyze(engine, "flow", "flow_run", "flow_run_state")
                if label == "PostgreSQL":  # where runyard's maintenance would get within minutes
                    settle = loader_engine(runyard_db)
                    vacuum_analyze(settle)
                    settle.dispose()
            if (held := count_runs(http, prefect=False)) != args.runs:
                raise RuntimeError(f"runyard holds {held:,} runs, not {args.runs:,}")
            wf = {w["name"]: w["id"] for w in http.get("/api/v1/workflows").json()["items"]}
            names = [spec["name"] for spec in WORKFLOWS]
            print("timing runyard ...", flush=True)
            ours = time_runyard(
                http, runyard_queries(http, {n: wf[n] for n in names}, now), args.samples
            )
        engine.dispose()
        with prefect_server(server_url(prefect_db), log) as url:
            http = httpx.Client(base_url=url, timeout=300)
            if (held := count_runs(http, prefect=True)) != args.runs:
                raise RuntimeError(f"Prefect holds {held:,} flow runs, not {args.runs:,}")
            flows = {f["name"]: f["id"] for f in http.post("/flows/filter", json={}).json()}
            print(f"timing Prefect {version} ...", flush=True)
            theirs = time_prefect(
                http, prefect_queries([flows[n] for n in names], now), args.samples
            )

    table = report(ours, theirs)
    print_table(
        table,
        f"{label}, {args.runs:,} runs, {args.samples} requests per query, one client over HTTP, "
        f"ms; ratio = Prefect p50 / runyard p50 (Prefect {version})",
    )
    if rates["runyard_import"] is not None:
        print(
            f"load: runyard import API {rates['runyard_import']:,.0f} runs/s; "
            f"Prefect direct SQL insert {rates['prefect_insert']:,.0f} runs/s (not comparable)"
        )
    record = {
        "database": label,
        "runs": args.runs,
        "samples": args.samples,
        "prefect_version": version,
        "prefect_sort": "EXPECTED_START_TIME_DESC",
        "state_map": STATE_MAP,
        "load_runs_per_s": rates,
        "queries": table,
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, {platform.system()}",
        "corpus_now": now.isoformat(),
        "at": datetime.now(UTC).isoformat(),
    }
    out = RESULTS / f"prefect-{label.lower()}-{args.runs}.json"
    out.write_text(json.dumps(record, indent=2))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
