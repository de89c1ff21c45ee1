"""The official ``skyvern`` client's run and workflow calls against a live ``runyard
serve`` (one per database, for the module) whose embedded worker executes the demo
workflows; what the client parsed agrees with runyard's native API for the same runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.dialect_corpus import newest_first, run_id
from tests.clients.conftest import Live, live_per_module
from tests.conftest import BACKENDS


@pytest.fixture(scope="module", params=BACKENDS)
def live(request: pytest.FixtureRequest) -> Iterator[Live]:
    with live_per_module(request, "--app", "runyard.demo_workflows:APP") as found:
        yield found


def test_every_run_and_workflow_call(live: Live) -> None:
    crm, invoice = live.workflows["crm-sync"], live.workflows["invoice-agent"]
    doomed = live.http.post("/api/v1/workflows", json={"name": "doomed"}).json()
    out = live.drive(
        "skyvern",
        "skyvern_calls",
        crm=crm["id"],
        search="cust-0001",
        ended=run_id(12),
        missing=run_id(99),
        running=run_id(5),
        doomed=doomed["id"],
    )

    def native(run: str) -> dict[str, Any]:
        found: dict[str, Any] = live.http.get(f"/api/v1/runs/{run}").json()
        return found

    queued_id, status, workflow_id = out["queued"]
    started = native(queued_id)
    assert (status, workflow_id, started["workflow_id"]) == ("queued", crm["id"], crm["id"])
    assert (started["input"], started["tags"]) == ({"account": "Ada"}, {"team": "ops"})
    assert started["webhook_callback_url"] == "https://example.com/hook"
    kind, packed_id, status, output, step_count = out["packed"]
    packed = native(packed_id)
    assert (kind, status, packed["status"]) == (
        "GetRunResponse_WorkflowRun",
        "completed",
        "completed",
    )
    assert output == packed["result"] == {"sku": "SKU-7", "packed": True}
    assert step_count == len(packed["steps"]) == 2
    blocks = [e[1:] for e in out["timeline"] if e[0] == "block"]
    assert blocks == [[s["name"], s["status"]] for s in reversed(packed["steps"])]
    statuses = [e[1] for e in out["timeline"] if e[0] == "thought"]
    assert statuses == ["completed", "running", "queued"]

    assert out["v2_failed"] == newest_first([2, 12])
    assert out["v2_search"] == [run_id(1)]
    retried_id, status = out["retried"]  # the one run started after the lists were read
    top = live.http.get("/api/v1/runs", params={"has_parent": "false", "limit": 6}).json()
    assert out["v2_first_page"] == [r["id"] for r in top["items"] if r["id"] != retried_id][:5]
    assert out["v2_tasks"] == []

    assert out["bulk"] == [[queued_id], [run_id(12), run_id(99)]]
    assert native(queued_id)["status"] == "canceled"
    assert (status, native(retried_id)["source_run_id"]) == ("queued", run_id(12))

    native_workflows = live.http.get("/api/v1/workflows").json()["items"]
    assert doomed["id"] in out["workflows"]
    assert set(out["workflows"]) - {doomed["id"]} == {w["id"] for w in native_workflows}
    assert out["search"] == [invoice["title"]]
    assert out["workflow"] == [crm["id"], crm["version_id"], "CRM sync", 1, ["account"]]
    assert out["deleted"] is None
    assert live.http.get(f"/api/v1/workflows/{doomed['id']}").status_code == 404

    assert out["missing_run"][:2] == ["NotFoundError", 404]
    assert out["missing_timeline"][:2] == ["NotFoundError", 404]
    assert out["missing_workflow"][:2] == ["ApiError", 404]
    assert out["bad_parameter"][:2] == ["UnprocessableEntityError", 422]
    assert out["bad_parameter"][2]["detail"][0]["loc"] == ["body", "parameters", "account"]
    assert out["running_retry"][:2] == ["ApiError", 409]
    assert out["sessions"][1:] == [
        404,
        {"detail": "runyard does not keep browser sessions; this Skyvern call is not served"},
    ]
    assert out["credentials"][1] == 404
    assert out["bad_key"] == ["ApiError", 403, {"detail": "invalid or revoked API key"}]
