"""``polos-sdk``'s ``batch_invoke``, unchanged, against a live ``runyard serve`` (one per
database for the module); its runs are compared with runyard's native API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.clients.conftest import Live, live_per_module
from tests.conftest import BACKENDS


@pytest.fixture(scope="module", params=BACKENDS)
def live(request: pytest.FixtureRequest) -> Iterator[Live]:
    with live_per_module(request, "--no-worker") as found:
        yield found


def test_batch_invoke_queues_every_run_and_refuses_a_bad_batch_whole(live: Live) -> None:
    before = live.http.get("/api/v1/runs/count").json()["count"]
    out = live.drive("polos", "polos_calls", project=live.project)
    handles = out["handles"]
    assert [h[1] for h in handles] == ["crm-sync", "lookup", "crm-sync"]
    for (run_id, _, created_at, session), execution in zip(handles, out["executions"], strict=True):
        native = live.http.get(f"/api/v1/runs/{run_id}").json()
        assert (execution["id"], execution["status"], native["status"]) == (
            run_id,
            "queued",
            "queued",
        )
        assert execution["payload"] == native["input"]
        assert created_at == native["created_at"]
        assert (session, native["session_id"], native["triggered_by"]) == (
            "sess-1",
            "sess-1",
            "ada@example.com",
        )
    assert [e["payload"] for e in out["executions"]] == [
        {"account": "Ada"},
        {"q": 1},
        {"account": "Bo"},
    ]
    assert out["handle_get"] == "queued"
    assert out["unknown"] == [
        404,
        {
            "error": "workflows.1.workflow_id: workflow 'not-in-runyard' does not exist",
            "error_type": "NOT_FOUND",
        },
    ]
    assert live.http.get("/api/v1/runs/count").json()["count"] == before + 3  # none of the bad
