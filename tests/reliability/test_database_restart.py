"""PostgreSQL restarts while clients write: runyard recovers by itself (no restart of
runyard), loses nothing it acknowledged, and its background upkeep (the kept run
counts) carries on. Clients retry what was refused, with the same Idempotency-Key.

This restarts the machine's PostgreSQL cluster (``pg_ctlcluster``, as root or postgres):
where that cannot be done it is skipped, except in CI, where it must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from benchmarks.server import running_server

from tests.conftest import ADMIN_KEY, IN_CI
from tests.reliability.retrying import every_run, until_acknowledged

CLIENTS = 6
RUNS_PER_CLIENT = 60
CLUSTERS = Path("/etc/postgresql")


def restart_command() -> list[str] | None:
    if not shutil.which("pg_ctlcluster") or not CLUSTERS.is_dir() or os.geteuid() != 0:
        return None
    versions = sorted(p.name for p in CLUSTERS.iterdir())
    if len(versions) != 1:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main", "restart"]


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_postgres_restart_loses_nothing_acknowledged(database_url: str, tmp_path: Path) -> None:
    command = restart_command()
    if command is None:
        reason = "cannot restart PostgreSQL here (needs root and one pg_ctlcluster cluster)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    acknowledged: list[str] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def client(url: str, n: int) -> None:
        try:
            http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
            for j in range(RUNS_PER_CLIENT):
                key = f"client-{n}-{j}"
                run = until_acknowledged(
                    http,
                    "POST",
                    "/api/v1/workflows/restart/runs",
                    refused,
                    json={"input": {"intent": key}},
                    headers={"Idempotency-Key": key},
                )
                acknowledged.append(run["id"])
                time.sleep(0.01)
            http.close()
        except BaseException as exc:
            errors.append(exc)

    log = tmp_path / "serve.log"
    with running_server(database_url, ADMIN_KEY, log, "--no-worker") as url:
        admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        assert admin.post("/api/v1/workflows", json={"name": "restart"}).status_code == 201
        threads = [threading.Thread(target=client, args=(url, n)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        subprocess.run(command, check=True, capture_output=True, timeout=120)
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors
        assert refused, "no request met the restart: the test proved nothing"
        runs = every_run(admin)
        intents = [r["input"]["intent"] for r in runs]
        expected = CLIENTS * RUNS_PER_CLIENT
        assert len(intents) == len(set(intents)) == expected
        assert set(acknowledged) <= {r["id"] for r in runs}
        # The upkeep thread survived: the kept counts catch up with the runs.
        deadline = time.monotonic() + 30
        while admin.get("/api/v1/runs/count").json()["count"] != expected:
            assert time.monotonic() < deadline, "the kept run counts stopped being folded"
            time.sleep(0.5)
        admin.close()
    assert "Traceback" not in log.read_text()
