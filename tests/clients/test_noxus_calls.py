"""``noxus-sdk``'s workflow and run calls, unchanged, against a live ``runyard serve``
(one per database for the module); what it gets is compared with runyard's native API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.dialect_corpus import run_id
from tests.clients.conftest import Live, live_per_module
from tests.conftest import BACKENDS


@pytest.fixture(scope="module", params=BACKENDS)
def live(request: pytest.FixtureRequest) -> Iterator[Live]:
    with live_per_module(request, "--no-worker") as found:
        yield found


def test_workflows_runs_search_and_wait(live: Live) -> None:
    crm = live.workflows["crm-sync"]
    out = live.drive("noxus", "noxus_calls", workflow=crm["id"])
    assert out["nodes"] == []
    native = live.http.get("/api/v1/workflows").json()["items"]
    assert out["workflows"] == [[w["id"], w["title"], "flow"] for w in native]
    assert out["workflow"] == [crm["id"], "CRM sync", "flow", [], []]
    assert out["search"] == [run_id(2), run_id(1)]
    assert out["fuzzy_search"][0] == 422
    assert out["fuzzy_search"][1]["detail"][0]["loc"] == ["body", "exact"]
    run, status, given, workflow = out["started"]
    assert (status, given, workflow) == ("queued", {"account": "Ada"}, crm["id"])
    assert out["wait"]["waiting_before_the_end"] is True
    assert out["wait"]["returned"] is True
    assert (out["wait"]["status"], out["wait"]["output"]) == ("completed", {"ok": 1})
    ended = live.http.get(f"/api/v1/runs/{run}").json()
    assert (ended["status"], ended["result"], ended["input"]) == (
        "completed",
        {"ok": 1},
        {"account": "Ada"},
    )
    stopped = out["wait_stopped"]
    assert (stopped["waiting_before_the_end"], stopped["returned"]) == (True, True)
    assert stopped["status"] == "stopped"
    assert out["missing"] == 404
    assert out["knowledge_bases"] == {"detail": "runyard does not keep knowledge bases"}
