"""``runyard db backup`` / ``restore``: a consistent copy of a SQLite database taken while
a server writes to it, checked before anything is replaced."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import httpx
from benchmarks.server import running_server
from typer.testing import CliRunner

from runyard.cli.main import app
from runyard.store import migrate
from tests.conftest import ADMIN_KEY

RUNNER = CliRunner()


def cli(database_url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = RUNNER.invoke(app, ["--database-url", database_url, *args], input=stdin)
    return result.exit_code, result.output


def count_runs(path: Path) -> tuple[int, int]:
    """(runs, runs by the kept counts) in a database file."""
    with sqlite3.connect(path) as conn:
        (runs,) = conn.execute("SELECT count(*) FROM runs").fetchone()
        (kept,) = conn.execute("SELECT coalesce(sum(n), 0) FROM run_counts").fetchone()
    return int(runs), int(kept)


def test_a_backup_taken_under_writes_is_whole_and_restores(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    stop = threading.Event()
    written: list[int] = []

    def write(base: str) -> None:
        http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        while not stop.is_set():
            answer = http.post("/api/v1/workflows/busy/runs", json={"input": {"n": len(written)}})
            assert answer.status_code == 201, answer.text
            written.append(1)
        http.close()

    with running_server(url, ADMIN_KEY, tmp_path / "serve.log", "--no-worker") as base:
        made = httpx.post(
            f"{base}/api/v1/workflows",
            json={"name": "busy"},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        )
        assert made.status_code == 201
        writer = threading.Thread(target=write, args=(base,))
        writer.start()
        try:
            while len(written) < 50:
                stop.wait(0.05)
            code, out = cli(url, "db", "backup", str(tmp_path / "copy.db"))
        finally:
            stop.set()
            writer.join()
    assert code == 0, out
    runs, kept = count_runs(tmp_path / "copy.db")
    assert 50 <= runs <= len(written)
    assert kept == runs  # one consistent moment: the kept counts agree with the rows
    assert f"backed up {runs:,} runs" in out

    # Restored into another database, it serves exactly those runs.
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    code, out = cli(restored, "db", "restore", str(tmp_path / "copy.db"))
    assert code == 0, out
    with running_server(restored, ADMIN_KEY, tmp_path / "serve2.log", "--no-worker") as base:
        count = httpx.get(
            f"{base}/api/v1/runs/count", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        ).json()
    assert count == {"count": runs, "exact": True}


def test_restore_checks_the_backup_and_asks_before_replacing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.db'}"
    assert cli(url, "db", "upgrade")[0] == 0
    code, out = cli(url, "db", "backup", str(tmp_path / "b.db"))
    assert code == 0, out
    # A backup never overwrites a file.
    code, out = cli(url, "db", "backup", str(tmp_path / "b.db"))
    assert code != 0
    assert "exists" in out
    # Not a database, a damaged one, or none at all: refused, the target untouched.
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    for bad, reason in (("junk.db", "not a runyard database"), ("none.db", "no file")):
        code, out = cli(url, "db", "restore", str(tmp_path / bad), "--yes")
        assert code != 0
        assert reason in out
    # Replacing an existing database asks first; "no" leaves it as it was.
    code, out = cli(url, "db", "restore", str(tmp_path / "b.db"), stdin="n\n")
    assert code != 0
    code, out = cli(url, "db", "restore", str(tmp_path / "b.db"), stdin="y\n")
    assert code == 0, out
    assert f"revision {migrate.head_revision()}" in out


def test_postgres_backups_point_to_pg_dump() -> None:
    code, out = cli("postgresql://postgres@127.0.0.1:5432/x", "db", "backup", "/tmp/never")
    assert code != 0
    assert "pg_dump" in out
