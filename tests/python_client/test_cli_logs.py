"""``runyard runs logs``: a run's log printed by the CLI, through the client."""

from __future__ import annotations

import json
import threading
import time

from typer.testing import CliRunner

from runyard.cli.client import LocalClient
from runyard.cli.main import app

RUNNER = CliRunner(env={"COLUMNS": "300"})


def _cli(database_url: str, *args: str) -> tuple[int, str]:
    result = RUNNER.invoke(app, ["--database-url", database_url, *args])
    return result.exit_code, result.output


def test_runs_logs_prints_and_follows_a_runs_log(database_url: str) -> None:
    with LocalClient(database_url, None) as client:
        client.create_workflow("invoice-agent")
        run = client.trigger("invoice-agent").id
        client.report(run, status="running")
        client.add_logs(
            run,
            [
                {"message": "fetching [3] invoices", "step": "fetch", "ts": "2026-05-01T12:00:00Z"},
                {"message": "done", "level": "warning"},
            ],
        )
        code, out = _cli(database_url, "runs", "logs", run)
        assert code == 0, out
        first, second = out.splitlines()
        assert first == "2026-05-01T12:00:00.000000Z info [fetch] fetching [3] invoices"
        assert second.endswith("Z warning done")
        code, out = _cli(database_url, "runs", "logs", run, "--json")
        assert [json.loads(line)["seq"] for line in out.splitlines()] == [1, 2]

        def finish() -> None:
            time.sleep(0.5)
            client.add_logs(run, ["last words"])
            client.report(run, status="completed")

        thread = threading.Thread(target=finish)
        thread.start()
        started = time.monotonic()
        code, out = _cli(database_url, "runs", "logs", run, "--follow")
        thread.join()
        assert code == 0, out
        assert [line.split(" ", 2)[2] for line in out.splitlines()] == [
            "[fetch] fetching [3] invoices",
            "done",
            "last words",
        ]
        assert time.monotonic() - started >= 0.5  # it waited for the run to end
    code, out = _cli(database_url, "runs", "logs", "0c100000-0000-4000-8000-000000000099")
    assert code == 1
    assert out.strip() == "error: 404: run 0c100000-0000-4000-8000-000000000099 does not exist"
