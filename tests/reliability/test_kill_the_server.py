"""kill -9 the API server while 20 clients import and trigger runs, retrying with the same
run ids and Idempotency-Keys until acknowledged: after restarts, each intended run exists
exactly once, and every acknowledged one is there.

``RUNYARD_CRASH_KILLS`` (default 3) sets how many times the server is killed.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

from tests.conftest import ADMIN_KEY
from tests.reliability.retrying import every_run, until_acknowledged
from tests.reliability.server_process import Server

CLIENTS = 20
TRIGGERS_PER_CLIENT = 10
IMPORTS_PER_CLIENT = 3  # batches of RUNS_PER_IMPORT runs
RUNS_PER_IMPORT = 20
KILLS = int(os.environ.get("RUNYARD_CRASH_KILLS", "3"))
BIN = Path(sys.executable).parent


RETRIES: list[str] = []  # requests that met a killed server (the kills hit work)


def client(url: str, n: int, acknowledged: list[str], errors: list[BaseException]) -> None:
    try:
        http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=10
        )
        for j in range(max(TRIGGERS_PER_CLIENT, IMPORTS_PER_CLIENT)):
            if j < TRIGGERS_PER_CLIENT:
                key = f"client-{n}-trigger-{j}"
                run = until_acknowledged(
                    http,
                    "POST",
                    "/api/v1/workflows/crash/runs",
                    RETRIES,
                    json={"input": {"intent": key}},
                    headers={"Idempotency-Key": key},
                )
                acknowledged.append(run["id"])
            if j < IMPORTS_PER_CLIENT:
                ids = [
                    str(uuid.UUID(int=(n << 32) | (j << 16) | k)) for k in range(RUNS_PER_IMPORT)
                ]
                runs = [
                    {"id": i, "workflow_id": "crash", "status": "completed", "input": {"intent": i}}
                    for i in ids
                ]
                until_acknowledged(
                    http, "POST", "/api/v1/runs/import", RETRIES, json={"runs": runs}
                )
                acknowledged.extend(ids)
        http.close()
    except BaseException as exc:  # reported by the test
        errors.append(exc)


def test_every_intended_run_exists_exactly_once_after_kill_9(
    database_url: str, tmp_path: Path
) -> None:
    RETRIES.clear()
    server = Server(database_url, tmp_path / "serve.log")
    server.start()
    admin = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert admin.post("/api/v1/workflows", json={"name": "crash"}).status_code == 201
    acknowledged: list[str] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=client, args=(server.url, n, acknowledged, errors))
        for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    try:
        for _ in range(KILLS):
            time.sleep(0.7)
            server.kill()
            time.sleep(0.2)
            server.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors
        assert RETRIES, "no request was cut off by a kill: the test proved nothing"
        assert not any(thread.is_alive() for thread in threads)

        runs = every_run(admin)
        intents = [r["input"]["intent"] for r in runs]
        expected = CLIENTS * (TRIGGERS_PER_CLIENT + IMPORTS_PER_CLIENT * RUNS_PER_IMPORT)
        assert len(intents) == len(set(intents)) == expected  # each intended run once
        assert set(acknowledged) <= {r["id"] for r in runs}  # nothing acknowledged is lost
        assert admin.get("/api/v1/runs/count").json()["count"] == expected
    finally:
        admin.close()
        server.stop()
