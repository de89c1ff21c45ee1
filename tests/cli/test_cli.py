"""The CLI on a database URL (in-process API), and against a real ``runyard serve``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from benchmarks.server import running_server
from typer.testing import CliRunner

from runyard.cli.main import app

RUNNER = CliRunner(env={"COLUMNS": "300"})
BIN = Path(sys.executable).parent


def cli(database_url: str, *args: str) -> tuple[int, str]:
    result = RUNNER.invoke(app, ["--database-url", database_url, *args])
    return result.exit_code, result.output


def _write_runs(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run_line(n: int, status: str, created: str) -> str:
    return json.dumps(
        {
            "id": f"0c100000-0000-4000-8000-{n:012d}",
            "workflow_id": "invoice-agent",
            "status": status,
            "created_at": created,
            "input": {"customer_id": f"CUST-{n:04d}"},
        }
    )


def test_the_cli_manages_and_queries_a_database(database_url: str, tmp_path: Path) -> None:
    code, out = cli(database_url, "db", "upgrade")
    assert code == 0, out
    code, out = cli(database_url, "projects", "create", "acme")
    assert code == 0
    assert "created project acme" in out
    project_id = out.split("id=")[1].split()[0]
    code, out = cli(database_url, "keys", "create", "--for", project_id, "--role", "write")
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("ry_")

    # A workflow for the default project, then runs from a JSON-lines file.
    code, out = cli(database_url, "workflows", "list", "--json")
    assert (code, json.loads(out)) == (0, [])
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    code, out = cli(database_url, "runs", "import", str(tmp_path / "missing.jsonl"))
    assert code != 0
    assert "no such file" in out
    lines = [
        _run_line(1, "failed", now),
        _run_line(2, "completed", now),
        _run_line(3, "completed", "2020-01-01T00:00:00Z"),
    ]
    runs_file = _write_runs(tmp_path / "runs.jsonl", lines)
    code, out = cli(database_url, "runs", "import", str(runs_file))
    assert code != 0
    assert "no workflow 'invoice-agent'" in out  # not created yet
    _create_workflow(database_url)
    code, out = cli(database_url, "runs", "import", str(runs_file))
    assert code == 0, out
    assert "imported 3 runs, skipped 0" in out, out
    code, out = cli(database_url, "runs", "import", str(runs_file))
    assert "imported 0 runs, skipped 3" in out

    code, out = cli(database_url, "runs", "list", "--json", "--since", "24h")
    ids = [r["id"] for r in json.loads(out)["items"]]
    assert code == 0
    assert len(ids) == 2
    code, out = cli(database_url, "runs", "list", "--json", "-s", "failed", "-w", "invoice-agent")
    assert [r["status"] for r in json.loads(out)["items"]] == ["failed"]
    code, out = cli(database_url, "runs", "list", "-q", "cust-0003", "--total")
    assert code == 0
    assert "1 runs of 1" in out
    code, out = cli(database_url, "runs", "show", ids[0])
    assert code == 0
    assert "invoice-agent" in out
    assert "CUST-000" in out
    code, out = cli(database_url, "workflows", "list")
    assert code == 0
    assert "invoice-agent" in out


def _create_workflow(database_url: str) -> None:
    from runyard.cli.client import LocalClient

    client = LocalClient(database_url, None)
    try:
        client.request("POST", "/api/v1/workflows", json={"name": "invoice-agent"})
    finally:
        client.close()


def test_cli_errors_are_clear(database_url: str, tmp_path: Path) -> None:
    _create_workflow(database_url)
    bad = _write_runs(
        tmp_path / "bad.jsonl", [_run_line(1, "failed", "2026-01-01T00:00:00Z"), "{nope"]
    )
    code, out = cli(database_url, "runs", "import", str(bad))
    assert code != 0
    assert "line 2: not JSON" in out
    code, out = cli(database_url, "runs", "list", "--status", "bogus")
    assert code != 0
    assert "status" in out
    code, out = cli(database_url, "runs", "list", "--since", "soon")
    assert code != 0
    assert "--since" in out
    code, out = cli(database_url, "runs", "show", "0c100000-0000-4000-8000-000000000099")
    assert code != 0
    assert "404" in out
    code, out = cli(database_url, "--project", "nope", "runs", "list")
    assert code != 0
    assert "project 'nope' does not exist" in out


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A real ``runyard serve`` process on a fresh SQLite file, with a bootstrap key."""
    key = "ry_acceptance_key"
    with running_server(f"sqlite:///{tmp_path / 'served.db'}", key, tmp_path / "log") as url:
        yield url, key


def test_serve_honours_the_start_up_contract_and_the_cli_talks_to_it(
    served: tuple[str, str], tmp_path: Path
) -> None:
    url, key = served
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as http:
        projects = http.get("/api/v1/projects").json()["items"]
        created = http.post("/api/v1/workflows", json={"name": "invoice-agent"})
    assert [p["name"] for p in projects] == ["default"]
    assert created.status_code == 201
    runs_file = _write_runs(
        tmp_path / "runs.jsonl",
        [_run_line(n, "completed", f"2026-02-0{n}T00:00:00Z") for n in range(1, 5)],
    )
    remote = ["--url", url, "--api-key", key]
    result = RUNNER.invoke(app, [*remote, "runs", "import", str(runs_file), "--batch", "3"])
    assert result.exit_code == 0, result.output
    assert "imported 4 runs" in result.output, result.output
    listed = RUNNER.invoke(app, [*remote, "runs", "list", "--json", "--limit", "2"])
    page = json.loads(listed.output)
    assert [r["input"]["customer_id"] for r in page["items"]] == ["CUST-0004", "CUST-0003"]
    assert page["has_more"] is True
    following = RUNNER.invoke(
        app, [*remote, "runs", "list", "--json", "--cursor", page["next_cursor"]]
    )
    assert len(json.loads(following.output)["items"]) == 2
    wrong = RUNNER.invoke(app, ["--url", url, "--api-key", "nope", "runs", "list"])
    assert wrong.exit_code != 0
    assert "401" in wrong.output


def test_the_cli_triggers_runs(database_url: str) -> None:
    _create_workflow(database_url)
    args = (
        "runs",
        "trigger",
        "invoice-agent",
        "--input",
        '{"customer_id": "CUST-7"}',
        "--idempotency-key",
        "k-1",
        "--json",
    )
    code, out = cli(database_url, *args)
    assert code == 0, out
    run = json.loads(out)
    assert (run["status"], run["trigger_type"]) == ("queued", "manual")
    assert run["input"]["customer_id"] == "CUST-7"
    code, again = cli(database_url, *args)
    assert json.loads(again)["id"] == run["id"]
    code, out = cli(database_url, "runs", "trigger", "invoice-agent", "--input", "[1]")
    assert code != 0
    assert "JSON object" in out
    code, out = cli(database_url, "runs", "trigger", "nope")
    assert code != 0
    assert "does not exist" in out


def test_the_cli_prunes_old_runs(database_url: str, tmp_path: Path) -> None:
    assert cli(database_url, "db", "upgrade")[0] == 0
    _create_workflow(database_url)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    lines = [
        _run_line(1, "completed", "2020-01-01T00:00:00Z"),
        _run_line(2, "failed", "2020-01-02T00:00:00Z"),
        _run_line(3, "queued", "2020-01-03T00:00:00Z"),
        _run_line(4, "completed", now),
    ]
    code, out = cli(database_url, "runs", "import", str(_write_runs(tmp_path / "r.jsonl", lines)))
    assert code == 0, out
    code, out = cli(database_url, "runs", "prune", "--older-than", "soon")
    assert code != 0
    assert "--older-than" in out
    code, out = cli(database_url, "runs", "prune", "--older-than", "90d", "--dry-run")
    assert (code, out.split()[0]) == (0, "2"), out
    code, out = cli(database_url, "runs", "prune", "--older-than", "90d")
    assert code == 0, out
    assert "deleted 2 ended runs" in out
    code, out = cli(database_url, "runs", "list", "--json")
    left = sorted(r["id"][-1] for r in json.loads(out)["items"])
    assert left == ["3", "4"]  # the live run stays, however old


def test_serve_answers_from_several_processes(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with running_server(
        database_url, "ry_cli_admin", log, "--no-worker", "--processes", "2"
    ) as url:
        headers = {"Authorization": "Bearer ry_cli_admin"}
        for _ in range(10):
            assert httpx.get(f"{url}/api/v1/runs/count", headers=headers).json() == {
                "count": 0,
                "exact": True,
            }
    assert log.read_text().count("Started server process") == 2


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres:secret@127.0.0.1:9/runyard_nowhere",  # no server there
        "sqlite:////nonexistent-folder/runyard.db",  # a file in a missing folder
    ],
)
def test_serve_says_plainly_when_it_cannot_reach_its_database(url: str) -> None:
    done = subprocess.run(
        [str(BIN / "runyard"), "serve", "--port", "0"],
        env={"RUNYARD_DATABASE_URL": url, "COLUMNS": "300", "PATH": str(BIN)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "error: cannot reach the database" in done.stderr
    assert "secret" not in done.stderr  # the password is not printed
