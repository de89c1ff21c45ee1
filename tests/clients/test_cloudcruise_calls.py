"""The official ``cloudcruise`` client, unchanged, makes every run and workflow call
against one live ``runyard serve`` per database, whose embedded worker executes the
workflows of ``tests.worker.flows``; what it gets agrees with runyard's native API."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.clients.conftest import Live, live_per_module
from tests.conftest import BACKENDS

TYPED = {
    "name": "quote",
    "title": "Quote",
    "parameters": [
        {"key": "customer_id", "description": "Customer to bill"},
        {"key": "amount", "type": "integer", "default": 3},
    ],
}


@pytest.fixture(scope="module", params=BACKENDS)
def live(request: pytest.FixtureRequest) -> Iterator[Live]:
    effects = request.getfixturevalue("tmp_path_factory").mktemp("effects") / "effects.txt"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RUNYARD_TEST_EFFECTS", str(effects))  # tests.worker.flows
        app = ("--app", "tests.worker.flows:app")
        with live_per_module(request, *app) as found:
            assert found.http.post("/api/v1/workflows", json=TYPED).status_code == 201
            deadline = time.monotonic() + 30
            while found.http.get("/api/v1/workflows/one-shot").status_code != 200:
                assert time.monotonic() < deadline, "the embedded worker did not register"
                time.sleep(0.1)
            yield found


def test_every_run_and_workflow_call(live: Live) -> None:
    native = {w["name"]: w for w in live.http.get("/api/v1/workflows").json()["items"]}
    out = live.drive(
        "cloudcruise",
        "cloudcruise_calls",
        typed="quote",
        worked="one-shot",
        missing="no-such-workflow",
    )

    listed = {w["id"]: w for w in out["workflows"]}
    assert set(listed) == {w["id"] for w in native.values()}
    quote = listed[native["quote"]["id"]]
    assert (quote["name"], quote["workspace_id"]) == ("Quote", live.project)
    assert quote["updated_at"] == native["quote"]["modified_at"]
    schema = out["metadata"]["input_schema"]
    assert schema["properties"] == {
        "customer_id": {"type": "string", "description": "Customer to bill"},
        "amount": {"type": "integer", "default": 3},
    }
    assert (schema["required"], out["metadata"]["workspace_id"]) == (["customer_id"], live.project)

    # runs.start end to end: a worker runs it, the client's wait ends with the run. (The
    # client drops what comes before it knows the run's id: an early event may be missed.)
    worked = out["worked"]
    assert worked["events"][-1] == "execution.success"
    in_order = ("execution.queued", "execution.start", "execution.success")
    assert worked["events"] == [e for e in in_order if e in worked["events"]]
    run = live.http.get(f"/api/v1/runs/{worked['session_id']}").json()
    assert (run["status"], run["result"]) == ("completed", "once")
    assert run["triggered_by"] == f"cloudcruise:{out['client_id']}"
    assert run["workflow_id"] == native["one-shot"]["id"]
    result = worked["result"]
    assert (result["status"], result["data"]) == ("execution.success", {"value": "once"})
    assert (result["input_variables"], result["workflow_id"]) == ({"note": "n"}, run["workflow_id"])

    # no worker runs "quote": queued until the client interrupts it
    interrupted = out["interrupted"]
    assert interrupted["events"] in (
        ["execution.queued", "execution.stopped"],
        ["execution.stopped"],
    )
    assert interrupted["status"] == "execution.stopped"
    run = live.http.get(f"/api/v1/runs/{interrupted['session_id']}").json()
    assert (run["status"], run["input"]) == ("canceled", {"customer_id": "C", "amount": 3})

    refused = out["refused"]
    assert refused["checked_by_client"] == {"invalid_types": ["customer_id"], "missing": []}
    assert refused["missing"] == {"invalid_types": [], "missing": ["customer_id"]}
    assert refused["checked_by_runyard"] == {"invalid_types": ["amount"], "missing": []}
    assert refused["unknown_workflow"] == "workflow 'no-such-workflow' does not exist"
    assert refused["bad_key"] == "invalid or revoked API key"
    for call in (
        "vault",
        "tfa_code",
        "secret_providers",
        "live_view",
        "input_variables",
        "replay_webhooks",
    ):
        assert refused[call].startswith("runyard does not serve"), (call, refused[call])
    started = live.http.get("/api/v1/runs", params={"triggered_by": run["triggered_by"]})
    assert {r["id"] for r in started.json()["items"]} == {
        worked["session_id"],
        interrupted["session_id"],
    }
