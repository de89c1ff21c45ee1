"""A live ``runyard serve`` holding the dialect corpus, and a way to drive each vendor's
official client (in ``.venv-clients``) against it: shared by every test of this tier."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from benchmarks.server import running_server

from tests.api.dialect_corpus import WORKFLOWS, base_time, runs
from tests.conftest import ADMIN_KEY, IN_CI, _database_url

HERE = Path(__file__).resolve().parent
CLIENTS_PYTHON = Path(
    os.environ.get("RUNYARD_CLIENTS_PYTHON", HERE.parents[1] / ".venv-clients" / "bin" / "python")
)
TOP_LEVEL = [1, 2, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without the clients' venv every test here is skipped, saying why (in CI: an error)."""
    if CLIENTS_PYTHON.exists():
        return
    reason = f"the official clients' venv is missing ({CLIENTS_PYTHON}); run python3 dev.py test"
    if IN_CI:
        raise RuntimeError(reason)
    for item in items:
        if item.path.parent == HERE:
            item.add_marker(pytest.mark.skip(reason=reason))


class Live:
    """A served runyard holding the dialect corpus."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        self.workflows = {}
        for body in WORKFLOWS:
            made = self.http.post("/api/v1/workflows", json=body)
            assert made.status_code == 201, made.text
            self.workflows[body["name"]] = made.json()
        self.base = base_time()
        imported = self.http.post("/api/v1/runs/import", json={"runs": runs(self.base)})
        assert imported.json() == {"imported": 14, "skipped": 0}, imported.text
        self.project = self.workflows["crm-sync"]["project_id"]

    def drive(self, vendor: str, script: str | None = None, **args: Any) -> Any:
        """Run ``drive_<script>.py`` (default: ``drive_<vendor>.py``) in the clients' venv,
        its client aimed at ``/compat/<vendor>``; returns what it printed, as JSON."""
        done = subprocess.run(
            [
                str(CLIENTS_PYTHON),
                str(HERE / f"drive_{script or vendor}.py"),
                f"{self.url}/compat/{vendor}",
                ADMIN_KEY,
                json.dumps(args),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@contextmanager
def live_per_module(request: pytest.FixtureRequest, *serve_args: str) -> Iterator[Live]:
    """A live server for a whole test module, on the database ``request.param`` names (the
    module's fixture is parametrized by ``BACKENDS``); its log must end with no traceback."""
    folder = request.getfixturevalue("tmp_path_factory").mktemp("live")
    sqlite_template = request.getfixturevalue("sqlite_template")
    pg_templates = request.getfixturevalue("pg_templates")
    log = folder / "serve.log"
    for url in _database_url(str(request.param), folder, sqlite_template, pg_templates, True):
        with running_server(url, ADMIN_KEY, log, *serve_args) as served:
            found = Live(served)
            yield found
            found.http.close()
    assert "Traceback" not in log.read_text()


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[Live]:
    with running_server(database_url, ADMIN_KEY, tmp_path / "serve.log") as url:
        found = Live(url)
        yield found
        found.http.close()
