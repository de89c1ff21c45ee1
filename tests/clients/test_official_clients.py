"""The vendors' official Python clients, unchanged, against a live ``runyard serve``.

Each client runs in ``.venv-clients`` (built by ``python3 dev.py test`` from
``requirements.txt`` beside this file: their dependencies clash with ours), driven by a
``drive_<vendor>.py`` script that prints what the client returned; the test checks that
against the runs it loaded. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess

from tests.api.dialect_corpus import at, newest_first, run_id
from tests.clients.conftest import CLIENTS_PYTHON, HERE, TOP_LEVEL, Live


def test_skyvern_client(live: Live) -> None:
    crm, invoice = live.workflows["crm-sync"], live.workflows["invoice-agent"]
    out = live.drive(
        "skyvern",
        search="cust-0001",
        workflow=crm["id"],
        run=run_id(12),
        cancel=run_id(6),
        since=at(live.base, 5),
    )
    assert out["first_page"] == newest_first(TOP_LEVEL)[:10]
    assert out["page_2_of_5"] == newest_first(TOP_LEVEL)[5:10]
    assert out["failed_or_timed_out"] == newest_first([2, 12])
    assert out["search"] == [run_id(1)]
    assert out["error_code"] == [run_id(2)]
    assert out["by_id"] == newest_first([4, 5, 10])
    assert out["by_id_since"] == newest_first([5, 10])
    assert out["by_id_with_children"] == newest_first([3, 4, 5, 9, 10])
    fields = out["fields"]
    assert fields["workflow_permanent_id"] == invoice["id"]
    assert fields["workflow_id"] == invoice["version_id"]
    assert fields["organization_id"] == live.project
    assert (fields["status"], fields["workflow_title"]) == ("completed", "Invoice agent")
    assert out["get_run"] == ["GetRunResponse_WorkflowRun", run_id(12), "timed_out"]
    assert out["cancel"] is None
    assert out["after_cancel"] == "canceled"
    assert out["bad_status"] == [422, ["query", "status", 0]]
    assert out["bad_key"] == [403, {"detail": "invalid or revoked API key"}]


def test_polos_client(live: Live) -> None:
    other = live.http.post("/api/v1/projects", json={"name": "other"}).json()
    key = live.http.post(
        f"/api/v1/projects/{other['id']}/api-keys", json={"name": "k", "role": "write"}
    ).json()["key"]
    out = live.drive("polos", project=live.project, other_key=key, missing=run_id(99))
    assert [r["id"] for r in out["list"]] == newest_first([3, 4, 5, 9, 10])
    assert out["list"][0] == {
        "id": run_id(10),
        "root_execution_id": run_id(10),
        "workflow_id": "crm-sync",
        "session_id": None,
        "created_at": at(live.base, 10),
        "status": "cancelled",
        "completed_at": at(live.base, 10, 9),
        "payload": {},
        "result": None,
        "error": None,
    }
    execution = out["execution"]
    assert execution["id"] == out["invoked"]
    assert (execution["status"], execution["payload"]) == ("queued", {"account": "Ada"})
    assert execution["output_schema_name"] is None
    assert out["handle_get"]["status"] == "queued"
    assert out["cancelled"] is True
    assert out["after_cancel"] == "cancelled"
    assert out["cancel_missing"] is False
    assert out["other_project"] == [
        403,
        {"error": "Access to project forbidden", "error_type": "PROJECT_ACCESS_FORBIDDEN"},
    ]


def test_cloudcruise_client(live: Live) -> None:
    crm, lookup = live.workflows["crm-sync"]["id"], live.workflows["lookup"]["id"]
    out = live.drive(
        "cloudcruise",
        workflows=[crm, lookup],
        run=run_id(2),
        interrupt=run_id(5),
        missing=run_id(99),
    )
    assert [r["session_id"] for r in out["default"]] == newest_first(list(range(1, 15)))
    assert [r["session_id"] for r in out["queued_page"]] == newest_first([5, 6])
    assert [r["session_id"] for r in out["queued_next"]] == [run_id(4)]
    assert out["queued_next"][0]["status"] == "execution.requeued"
    result = out["result"]
    assert (result["session_id"], result["status"]) == (run_id(2), "execution.failed")
    assert result["input_variables"]["customer_id"] == "CUST-0002"
    assert result["workflow_id"] == live.workflows["invoice-agent"]["id"]
    assert result["errors"][0]["error_code"] == "LOGIN_FAILED"
    assert result["errors"][0]["message"] == "password refused"
    assert out["after_interrupt"] == "execution.stopped"
    assert out["bad_limit"] == "limit: Input should be greater than or equal to 1"
    assert out["missing"] == f"run {run_id(99)} does not exist"


def test_noxus_client(live: Live) -> None:
    crm = live.workflows["crm-sync"]["id"]
    out = live.drive("noxus", workflow=crm, run=run_id(3), stop=run_id(5))
    order = newest_first([3, 4, 5, 9, 10])
    assert out["pages"] == [order[:2], order[2:4]]
    assert out["statuses"] == ["stopped", "running", "queued", "queued", "running"]
    assert out["run"] == {
        "id": run_id(3),
        "status": "running",
        "input": {"account": "Zoë"},
        "group_id": live.project,
        "progress": 0,
        "workflow_id": crm,
    }
    assert out["stopped"] == "stopped"
    assert out["refreshed"] == "stopped"
    assert "no-such-workflow" in out["missing"]


def test_the_clients_are_the_pinned_versions() -> None:
    pinned = [
        line.split("==")
        for line in (HERE / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    code = (
        "import importlib.metadata as m, json, sys;"
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    done = subprocess.run(
        [str(CLIENTS_PYTHON), "-c", code, *(n for n, _ in pinned)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == dict(pinned)
