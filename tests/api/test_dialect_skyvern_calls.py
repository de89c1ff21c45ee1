"""Skyvern's run and workflow calls under /compat/skyvern (the ``skyvern`` client's wire),
on both databases, with one application per module and database.

Runs these tests start are newer than the corpus, so lists are checked with filters
that isolate what each test looks at, or against the native API's answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Api, corpus_per_module
from tests.api.dialect_corpus import newest_first, run_id
from tests.conftest import ADMIN_KEY, BACKENDS

SK = "/compat/skyvern"
EVENT_RUN = run_id(40)  # started by an event: Skyvern reads it as a webhook


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest) -> Iterator[tuple[Api, Api, dict[str, Any]]]:
    """(the native admin client, a Skyvern client, the corpus' workflows) on one database."""
    with corpus_per_module(request) as (admin, workflows):
        event = {
            "id": EVENT_RUN,
            "workflow_id": "lookup",
            "status": "completed",
            "trigger_type": "event",
            "created_at": "2020-01-01T00:00:00Z",
        }
        admin.post("/api/v1/runs/import", {"runs": [event]}, expect=200)
        yield admin, Api(admin.client, {"x-api-key": ADMIN_KEY}), workflows


def _start(sky: Api, body: dict[str, Any], path: str = "/v1/run/agents", **kw: Any) -> Any:
    return sky.post(f"{SK}{path}", body, **kw)


def test_run_workflow_queues_an_ordinary_run_on_either_path(loaded: tuple[Api, Api, Any]) -> None:
    admin, sky, workflows = loaded
    crm = workflows["crm-sync"]
    started = _start(
        sky,
        {
            "agent_id": crm["id"],
            "parameters": {"account": "Ada"},
            "webhook_url": "https://example.com/hook",
            "run_metadata": {"env": "qa"},
            "extra_http_headers": {"X-A": "1"},
            "proxy_location": "RESIDENTIAL",
            "title": "ignored",
        },
        headers={"x-user-agent": "skyvern-ui", "x-max-steps-override": "3"},
        expect=200,
    )
    assert (started["run_type"], started["status"], started["step_count"]) == (
        "workflow_run",
        "queued",
        0,
    )
    assert started["run_request"] == {
        "workflow_id": crm["id"],
        "parameters": {"account": "Ada"},
        "webhook_url": "https://example.com/hook",
        "extra_http_headers": {"X-A": "1"},
        "run_metadata": {"env": "qa"},
    }
    native = admin.get(f"/api/v1/runs/{started['run_id']}")
    assert (native["status"], native["workflow_id"], native["input"]) == (
        "queued",
        crm["id"],
        {"account": "Ada"},
    )
    assert (native["trigger_type"], native["tags"]) == ("api", {"env": "qa"})
    assert native["webhook_callback_url"] == "https://example.com/hook"
    # The legacy path, the workflow_id alias and a runyard name name the same workflow.
    again = _start(sky, {"workflow_id": "crm-sync"}, "/v1/run/workflows", expect=200)
    assert admin.get(f"/api/v1/runs/{again['run_id']}")["workflow_id"] == crm["id"]
    assert sky.get(f"{SK}/v1/runs/{again['run_id']}") == again
    done = sky.post(f"{SK}/v1/runs/cancel", {"run_ids": [started["run_id"], again["run_id"]]})
    assert done == {"cancelled": [started["run_id"], again["run_id"]], "failed": []}


@pytest.mark.parametrize(
    ("body", "status", "loc"),
    [
        ({"parameters": {}}, 422, ["body", "agent_id"]),
        (
            {"agent_id": "crm-sync", "parameters": {"account": 5}},
            422,
            ["body", "parameters", "account"],
        ),
        ({"agent_id": "crm-sync", "parameters": ["x"]}, 422, ["body", "parameters"]),
        (
            {"agent_id": "crm-sync", "browser_session_id": "pbs_1"},
            422,
            ["body", "browser_session_id"],
        ),
        ({"agent_id": "crm-sync", "no_such_field": 1}, 422, ["body", "no_such_field"]),
        ({"agent_id": "crm-sync", "workflow_id": "lookup"}, 422, ["body", "workflow_id"]),
        ({"agent_id": "no-such-workflow"}, 404, None),
    ],
)
def test_run_workflow_refusals_name_the_field(
    loaded: tuple[Api, Api, Any], body: dict[str, Any], status: int, loc: list[Any] | None
) -> None:
    admin, sky, _ = loaded
    before = admin.get("/api/v1/runs/count")
    answer = _start(sky, body, expect=status)
    if loc is None:
        assert "no-such-workflow" in answer["detail"]
    else:
        assert answer["detail"][0]["loc"] == loc
    assert admin.get("/api/v1/runs/count") == before


def test_templates_and_keys(loaded: tuple[Api, Api, Any]) -> None:
    admin, sky, _ = loaded
    answer = sky.post(f"{SK}/v1/run/agents", {"agent_id": "crm-sync"}, params={"template": "true"})
    assert "template" in answer["detail"]
    reader, _ = admin.new_project("skyvern-readers", role="read")
    secret = reader.headers["Authorization"].removeprefix("Bearer ")
    refused = sky.post(
        f"{SK}/v1/run/agents", {"agent_id": "x"}, expect=403, headers={"x-api-key": secret}
    )
    assert isinstance(refused["detail"], str)
    for method, path in [
        ("GET", "/v1/runs"),
        ("GET", "/v1/agents"),
        ("POST", "/v1/runs/cancel"),
        ("GET", f"/v1/runs/{run_id(2)}/timeline"),
    ]:
        bad = sky.call(method, f"{SK}{path}", 403, headers={"x-api-key": "ry_wrong"}, json={})
        assert bad == {"detail": "invalid or revoked API key"}
        missing = Api(sky.client, {}).call(method, f"{SK}{path}", 403, json={})
        assert missing == {"detail": "Invalid credentials"}


def test_get_runs_v2_lists_top_level_runs_as_the_native_api(loaded: tuple[Api, Api, Any]) -> None:
    admin, sky, workflows = loaded

    def ids(**params: Any) -> list[str]:
        return [r["run_id"] for r in sky.get(f"{SK}/v1/runs", params=params)]

    native = admin.get("/api/v1/runs", params={"has_parent": "false", "limit": 100})["items"]
    assert ids(page_size=100) == [r["id"] for r in native]
    assert ids(page=2, page_size=3) == [r["id"] for r in native][3:6]
    assert ids(status=["failed", "timed_out"]) == newest_first([2, 12])
    assert ids(search_key="cust-0001") == [run_id(1)]
    assert ids(run_type="workflow_run", search_key="cust-0001") == [run_id(1)]
    assert ids(run_type=["task_v1", "task_v2"]) == []
    crm = workflows["crm-sync"]["id"]
    assert ids(workflow_permanent_id=crm, status="queued", page_size=100) == newest_first([4, 5])
    assert ids(workflow_permanent_id="no-such-workflow") == []
    # runyard's event trigger reads as webhook, and a filter on webhook finds it.
    assert ids(trigger_type="webhook", page_size=100) == [run_id(4), EVENT_RUN]
    item = sky.get(f"{SK}/v1/runs", params={"search_key": "cust-0002"})[0]
    assert item == {
        "task_run_id": run_id(2),
        "run_id": run_id(2),
        "task_run_type": "workflow_run",
        "status": "failed",
        "title": "Invoice agent",
        "started_at": item["started_at"],
        "finished_at": item["finished_at"],
        "created_at": item["created_at"],
        "workflow_permanent_id": workflows["invoice-agent"]["id"],
        "workflow_deleted": False,
        "script_run": False,
        "trigger_type": "api",
        "attempt": 1,
        "retry_pending": False,
        "next_attempt_at": None,
    }
    listed = sky.get(f"{SK}/v1/agents/runs", params={"search_key": EVENT_RUN})
    assert [r["trigger_type"] for r in listed] == ["webhook"]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"page": "101"}, ["query", "page"]),
        ({"page_size": "101"}, ["query", "page_size"]),
        ({"page_size": "0"}, ["query", "page_size"]),
        ({"search_key": "ab"}, ["query", "search_key"]),
        ({"status": "cancelled"}, ["query", "status", 0]),
        ({"run_type": "task_v9"}, ["query", "run_type", 0]),
        ({"trigger_type": "event"}, ["query", "trigger_type", 0]),
        ({"failure_category": "X"}, ["query", "failure_category"]),
    ],
)
def test_get_runs_v2_refusals(
    loaded: tuple[Api, Api, Any], params: dict[str, str], loc: list[Any]
) -> None:
    _, sky, _ = loaded
    assert sky.get(f"{SK}/v1/runs", expect=422, params=params)["detail"][0]["loc"] == loc


def test_bulk_cancel_reports_what_it_could_not_cancel(loaded: tuple[Api, Api, Any]) -> None:
    admin, sky, _ = loaded
    live = _start(sky, {"agent_id": "lookup"}, expect=200)["run_id"]
    other, _ = admin.new_project("skyvern-other")
    theirs = other.post("/api/v1/workflows", {"name": "theirs"}, expect=201)
    their_run = other.post(f"/api/v1/workflows/{theirs['id']}/runs", {}, expect=201)["id"]
    wanted = [live, run_id(10), "no-such-run", their_run, live]
    done = sky.post(f"{SK}/v1/runs/cancel", {"run_ids": wanted}, expect=200)
    assert done == {"cancelled": [live], "failed": [run_id(10), "no-such-run", their_run]}
    assert admin.get(f"/api/v1/runs/{live}")["status"] == "canceled"
    assert other.get(f"/api/v1/runs/{their_run}")["status"] == "queued"
    too_many = sky.post(f"{SK}/v1/runs/cancel", {"run_ids": ["x"] * 101}, expect=422)
    assert too_many["detail"][0]["loc"] == ["body", "run_ids"]
    no_ids = sky.post(f"{SK}/v1/runs/cancel", {}, expect=422)
    assert no_ids["detail"][0]["loc"] == ["body", "run_ids"]


def test_retry_starts_a_new_run_of_an_ended_one(loaded: tuple[Api, Api, Any]) -> None:
    admin, sky, _ = loaded
    for path in ("/v1/agents/runs", "/v1/workflows/runs"):
        retried = sky.post(f"{SK}{path}/{run_id(12)}/retry", expect=200)
        assert (retried["status"], retried["run_request"]["workflow_id"]) == (
            "queued",
            admin.get(f"/api/v1/runs/{run_id(12)}")["workflow_id"],
        )
        native = admin.get(f"/api/v1/runs/{retried['run_id']}")
        assert (native["source_run_id"], native["status"]) == (run_id(12), "queued")
        admin.post(f"/api/v1/runs/{retried['run_id']}/cancel", expect=200)
    assert (
        "only a finished run"
        in sky.post(f"{SK}/v1/agents/runs/{run_id(5)}/retry", expect=409)["detail"]
    )
    assert sky.post(f"{SK}/v1/agents/runs/no-such-run/retry", expect=404)["detail"]


def test_get_run_and_its_timeline(loaded: tuple[Api, Api, Any]) -> None:
    admin, sky, _ = loaded
    run = sky.get(f"{SK}/v1/runs/{run_id(2)}")
    assert (run["status"], run["step_count"], run["run_request"]["parameters"]) == (
        "failed",
        1,
        {"customer_id": "CUST-0002", "portal_url": "https://acme.example/login"},
    )
    timeline = sky.get(f"{SK}/v1/runs/{run_id(2)}/timeline")  # imported: steps, no history
    assert [(e["type"], e["block"]["label"], e["block"]["status"]) for e in timeline] == [
        ("block", "login", "failed")
    ]
    block = timeline[0]["block"]
    assert (block["block_type"], block["error_codes"], block["failure_reason"]) == (
        "code",
        ["LOGIN_FAILED"],
        "password refused",
    )
    started = _start(sky, {"agent_id": "lookup"}, expect=200)["run_id"]
    sky.post(f"{SK}/v1/runs/{started}/cancel", expect=200)
    admin.post(f"/api/v1/runs/{started}/steps", {"name": "late", "status": "completed"}, expect=201)
    entries = sky.get(f"{SK}/v1/runs/{started}/timeline")
    thoughts = [e["thought"]["output"] for e in entries if e["type"] == "thought"]
    assert thoughts == [{"status": "canceled", "attempt": 1}, {"status": "queued", "attempt": 1}]
    stamps = [e["created_at"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    assert sky.get(f"{SK}/v1/runs/no-such-run/timeline", expect=404)["detail"]
    assert sky.get(f"{SK}/v1/runs/no-such-run", expect=404)["detail"]


def test_workflows_list_get_and_delete(loaded: tuple[Api, Api, Any]) -> None:
    admin, sky, workflows = loaded
    listed = sky.get(f"{SK}/v1/agents", params={"page_size": 100})
    native = admin.get("/api/v1/workflows")["items"]
    assert sorted(w["workflow_permanent_id"] for w in listed) == sorted(w["id"] for w in native)
    stamps = [w["created_at"] for w in listed]
    assert stamps == sorted(stamps, reverse=True)
    invoice = workflows["invoice-agent"]
    one = sky.get(f"{SK}/v1/agents/{invoice['id']}")
    assert one == sky.get(f"{SK}/v1/workflows/invoice-agent")
    assert (one["workflow_id"], one["title"], one["version"]) == (
        invoice["version_id"],
        "Invoice agent",
        invoice["version"],
    )
    params = one["workflow_definition"]["parameters"]
    assert [(p["key"], p["description"], p["workflow_parameter_type"]) for p in params] == [
        ("customer_id", "Customer to bill", "string"),
        ("portal_url", "Supplier portal login page", "string"),
    ]
    assert sky.get(f"{SK}/v1/agents", params={"search_key": "INVOICE"}) == [one]
    assert sky.get(f"{SK}/v1/agents", params={"title": "invoice"}) == [one]
    assert len(sky.get(f"{SK}/v1/agents", params={"page": 2, "page_size": 2})) == len(native) - 2
    for empty in (
        {"status": "draft"},
        {"only_templates": "true"},
        {"folder_id": "f"},
        {"tags": "env:prod"},
    ):
        assert sky.get(f"{SK}/v1/agents", params=empty) == []
    assert sky.get(f"{SK}/v1/agents", params={"status": "published", "search_key": "invoice"})
    bad_status = sky.get(f"{SK}/v1/agents", expect=422, params={"status": "live"})
    assert bad_status["detail"][0]["loc"] == ["query", "status", 0]
    assert sky.get(f"{SK}/v1/agents/{invoice['id']}", expect=404, params={"version": 9})
    assert sky.get(f"{SK}/v1/agents/no-such-workflow", expect=404)["detail"]
    made = admin.post("/api/v1/workflows", {"name": "to-delete"}, expect=201)
    assert sky.post(f"{SK}/v1/agents/{made['id']}/delete", expect=200) is None
    assert sky.get(f"{SK}/v1/agents/{made['id']}", expect=404)
    admin.get(f"/api/v1/workflows/{made['id']}", expect=404)
    assert sky.post(f"{SK}/v1/workflows/{made['id']}/delete", expect=404)["detail"]


@pytest.mark.parametrize(
    ("method", "path", "what"),
    [
        ("GET", "/v1/browser_sessions", "browser sessions"),
        ("POST", "/v1/browser_sessions/pbs_1/close", "browser sessions"),
        ("GET", "/v1/browser_profiles?page=1&include_deleted=false", "browser profiles"),
        ("GET", "/v1/credentials?page=1&page_size=10", "credentials"),
        ("POST", "/v1/credentials/cred_1/delete", "credentials"),
        ("GET", "/v1/scripts", "scripts"),
        ("GET", f"/v1/runs/{run_id(2)}/artifacts?artifact_type=screenshot", "artifacts"),
        ("GET", "/v1/artifacts/a_1/content", "artifacts"),
        ("DELETE", "/v1/custom-llms/llm_1", "custom LLMs"),
    ],
)
def test_what_runyard_does_not_keep_is_a_404_saying_so(
    loaded: tuple[Api, Api, Any], method: str, path: str, what: str
) -> None:
    _, sky, _ = loaded
    answer = sky.call(method, f"{SK}{path}", 404)
    assert answer == {"detail": f"runyard does not keep {what}; this Skyvern call is not served"}
    assert sky.call(method, f"{SK}{path}", 403, headers={"x-api-key": "ry_wrong"})
