"""PostgreSQL ends runyard's connections under load (``pg_terminate_backend``, as a
failover or an administrator does): runyard recovers by itself, and nothing it
acknowledged is lost. Clients retry what was refused, with the same Idempotency-Key."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from benchmarks.server import running_server
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import ADMIN_KEY
from tests.reliability.retrying import every_run, until_acknowledged

CLIENTS = 8
RUNS_PER_CLIENT = 40


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_cut_connections_lose_nothing_acknowledged(database_url: str, tmp_path: Path) -> None:
    admin_engine = create_engine(
        make_url(database_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    database = make_url(database_url).database
    refused: list[str] = []
    acknowledged: list[str] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def client(url: str, n: int) -> None:
        try:
            http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
            for j in range(RUNS_PER_CLIENT):
                key = f"client-{n}-{j}"
                run = until_acknowledged(
                    http,
                    "POST",
                    "/api/v1/workflows/cut/runs",
                    refused,
                    json={"input": {"intent": key}},
                    headers={"Idempotency-Key": key},
                )
                acknowledged.append(run["id"])
            http.close()
        except BaseException as exc:
            errors.append(exc)

    def cut() -> None:
        with admin_engine.connect() as conn:
            while not done.is_set():
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": database},
                )
                time.sleep(0.3)

    with running_server(database_url, ADMIN_KEY, tmp_path / "serve.log", "--no-worker") as url:
        admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        assert admin.post("/api/v1/workflows", json={"name": "cut"}).status_code == 201
        cutter = threading.Thread(target=cut)
        threads = [threading.Thread(target=client, args=(url, n)) for n in range(CLIENTS)]
        cutter.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        done.set()
        cutter.join()
        assert not errors, errors
        # Recovered by itself: with the cutting over, every request succeeds at once.
        for _ in range(20):
            assert admin.get("/api/v1/runs/count").status_code == 200
        runs = every_run(admin)
        intents = [r["input"]["intent"] for r in runs]
        assert len(intents) == len(set(intents)) == CLIENTS * RUNS_PER_CLIENT
        assert set(acknowledged) <= {r["id"] for r in runs}
        admin.close()
    admin_engine.dispose()
    assert refused, "no request met a cut connection: the test proved nothing"
