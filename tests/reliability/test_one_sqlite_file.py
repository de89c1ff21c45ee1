"""A server (with its embedded worker) and two worker processes write one SQLite file at
once while clients trigger, list and count runs over HTTP: every request succeeds, no
"database is locked" reaches a client or a log, and every run completes once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from benchmarks.server import running_server

from tests.conftest import ADMIN_KEY
from tests.reliability.retrying import every_run
from tests.worker.test_worker_processes import Workers

CLIENTS = 8
RUNS_PER_CLIENT = 25


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_writers_of_one_sqlite_file_never_show_a_lock(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    effects = tmp_path / "effects.txt"
    monkeypatch.setenv("RUNYARD_TEST_EFFECTS", str(effects))
    failures: list[str] = []
    errors: list[BaseException] = []

    def client(url: str, n: int) -> None:
        try:
            http = httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60
            )
            for j in range(RUNS_PER_CLIENT):
                for method, path, body in (
                    ("POST", "/api/v1/workflows/five-steps/runs", {"input": {"n": j}}),
                    ("GET", "/api/v1/runs", None),
                    ("GET", "/api/v1/runs/count", None),
                ):
                    response = http.request(method, path, json=body)
                    if response.status_code >= 300:
                        failures.append(f"{method} {path}: {response.status_code} {response.text}")
            http.close()
        except BaseException as exc:
            errors.append(exc)

    workers = Workers(database_url, effects, tmp_path)
    log = tmp_path / "serve.log"
    app = "tests.worker.flows:app"
    with running_server(database_url, ADMIN_KEY, log, "--app", app) as url:
        admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        deadline = time.monotonic() + 60
        while admin.get("/api/v1/workflows/five-steps").status_code != 200:
            assert time.monotonic() < deadline, "the embedded worker did not register"
            time.sleep(0.1)
        try:
            for _ in range(2):
                workers.start(concurrency=4, lease=10.0)
            threads = [threading.Thread(target=client, args=(url, n)) for n in range(CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=300)
            assert not errors, errors
            assert not failures, failures[:5]
            total = CLIENTS * RUNS_PER_CLIENT
            deadline = time.monotonic() + 240
            while True:
                runs = every_run(admin)
                if all(r["status"] == "completed" for r in runs):
                    break
                assert time.monotonic() < deadline, "runs did not all complete"
                time.sleep(0.5)
            assert len(runs) == total
            lines = effects.read_text().splitlines()
            assert len(lines) == len(set(lines)) == total * 5  # each step ran once
        finally:
            workers.stop()
            admin.close()
    logs = [log.read_text()] + [p.read_text() for p in tmp_path.glob("worker-*.log")]
    assert not [text for text in logs if "database is locked" in text]
