"""Two live runyard servers per database: a *source* holding each vendor's corpus (a
project each), whose ``/compat/<vendor>`` mounts stand in for the vendors, and a *target*
to import into (a project per import). Built once per module and database.

``RUNYARD_IMPORT_RUNS`` runs per vendor (default 10,000; at least 2,000, so that an
import spans batches of 250 and can be killed between two). At 10,000 the module takes about
6.5 minutes on both databases, most of it Skyvern's and CloudCruise's per-run calls.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from benchmarks.server import running_server
from typer.testing import CliRunner

from runyard.cli.main import app
from runyard.client import Client
from runyard.vendor_import import VENDORS
from tests.conftest import ADMIN_KEY, BACKENDS, PgTemplates
from tests.vendor_import import corpus

RUNS = int(os.environ.get("RUNYARD_IMPORT_RUNS", "10000"))
# The "vendor": two processes answer its per-run calls, as a vendor's fleet would.
SOURCE = ("--processes", "2", "--no-worker")
RUNNER = CliRunner(env={"COLUMNS": "300"})


@dataclass
class Source:
    """One vendor's history: a project of the source server, with a key of its own (a
    dialect acts on the project of the key that calls it) and its own run ids (run ids
    are global in runyard, so each vendor's import lands in the target apart)."""

    project: str
    key: str
    rows: dict[str, dict[str, Any]]  # by id
    workflows: dict[str, dict[str, Any]]  # by id


@dataclass
class Pair:
    source: str  # URL
    target: str
    backend: str
    cache: Path  # XDG_CACHE_HOME of the CLI: where default checkpoints go
    vendors: dict[str, Source] = field(default_factory=dict)
    projects: int = 0

    def new_project(self, label: str) -> str:
        """A fresh project on the target."""
        self.projects += 1
        with Client(self.target, ADMIN_KEY) as client:
            return client.create_project(f"{label}-{self.projects}").id

    def target_rows(self, project: str) -> dict[str, dict[str, Any]]:
        with Client(self.target, ADMIN_KEY, project=project) as client:
            return {r.id: r.raw for r in client.iter_runs(limit=1000)}

    def target_workflows(self, project: str) -> dict[str, dict[str, Any]]:
        with Client(self.target, ADMIN_KEY, project=project) as client:
            return {w.name: w.raw for w in client.workflows()}

    def cli_args(self, project: str, vendor: str, *more: str) -> list[str]:
        return [
            "--url",
            self.target,
            "--api-key",
            ADMIN_KEY,
            "--project",
            project,
            "runs",
            "import",
            "--from",
            vendor,
            "--vendor-url",
            f"{self.source}/compat/{vendor}",
            "--vendor-key",
            self.vendors[vendor].key,
            *more,
        ]

    def run_cli(self, project: str, vendor: str, *more: str) -> tuple[int, str]:
        env = {"XDG_CACHE_HOME": str(self.cache)}
        result = RUNNER.invoke(app, self.cli_args(project, vendor, *more), env=env)
        return result.exit_code, result.output


def _database(
    backend: str, path: Path, sqlite_template: Path, pg: PgTemplates | None
) -> tuple[str, str | None]:
    if backend == "sqlite":
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}", None
    if pg is None:
        pytest.skip("PostgreSQL unavailable")
    url = pg.fresh()
    return url, url


def _seed(url: str, vendor: str, seed: int) -> Source:
    with Client(url, ADMIN_KEY, timeout=120) as admin:
        project = admin.create_project(f"at-{vendor}").id
        key = admin.create_key(project, role="read", name=vendor).key
    with Client(url, ADMIN_KEY, project=project, timeout=120) as client:
        workflows = {}
        for spec in corpus.WORKFLOWS:
            body = dict(spec)
            made = client.create_workflow(body.pop("name"), **body)
            workflows[made.id] = made.raw
        records = corpus.runs(RUNS, seed)
        done = client.import_runs(reversed(records), batch=1000)  # parents before children
        assert done.imported == RUNS
        rows = {r.id: r.raw for r in client.iter_runs(limit=1000)}
    return Source(project, key, rows, workflows)


@pytest.fixture(scope="module", params=BACKENDS)
def pair(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    pg_templates: PgTemplates | None,
) -> Iterator[Pair]:
    backend = str(request.param)
    where = tmp_path_factory.mktemp(f"vendor-import-{backend}")
    dropped: list[str] = []
    source_db, drop = _database(backend, where / "source.db", sqlite_template, pg_templates)
    dropped += [drop] if drop else []
    target_db, drop = _database(backend, where / "target.db", sqlite_template, pg_templates)
    dropped += [drop] if drop else []
    try:
        with (
            running_server(source_db, ADMIN_KEY, where / "source.log", *SOURCE) as source,
            running_server(target_db, ADMIN_KEY, where / "target.log", "--no-worker") as target,
        ):
            found = Pair(source, target, backend, where / "cache")
            for seed, vendor in enumerate(VENDORS):
                found.vendors[vendor] = _seed(source, vendor, seed)
            yield found
    finally:
        for url in dropped:
            assert pg_templates is not None
            pg_templates.drop(url)
