"""Skyvern under /compat/skyvern: golden requests and responses (seed 002)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.dialect_corpus import at, load, newest_first, run_id
from tests.conftest import ADMIN_KEY

KEY = {"x-api-key": ADMIN_KEY}
TOP_LEVEL = [1, 2, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14]  # 3 and 9 are child runs


@pytest.fixture
def loaded(admin: Api) -> tuple[Api, Any, dict[str, Any]]:
    base, workflows = load(admin)
    return Api(admin.client, KEY), base, workflows


def _ids(
    api: Api, path: str, pairs: list[tuple[str, str]] | None = None, **params: Any
) -> list[str]:
    query = pairs if pairs is not None else params
    return [r["workflow_run_id"] for r in api.get(f"/compat/skyvern{path}", params=query)]


def test_a_run_renders_with_every_key_of_the_seed(loaded: tuple[Api, Any, Any]) -> None:
    api, base, workflows = loaded
    runs = api.get("/compat/skyvern/v1/agents/runs", params={"search_key": run_id(2)})
    wf = workflows["invoice-agent"]
    assert runs == [
        {
            "workflow_run_id": run_id(2),
            "workflow_id": wf["version_id"],
            "workflow_permanent_id": wf["id"],
            "organization_id": wf["project_id"],
            "browser_session_id": None,
            "browser_profile_id": None,
            "debug_session_id": None,
            "status": "failed",
            "extra_http_headers": None,
            "cdp_connect_headers": None,
            "proxy_location": None,
            "webhook_callback_url": None,
            "webhook_failure_reason": None,
            "totp_verification_url": None,
            "totp_identifier": None,
            "failure_reason": "bad password",
            "failure_category": None,
            "parent_workflow_run_id": None,
            "workflow_title": "Invoice agent",
            "max_screenshot_scrolls": None,
            "max_elapsed_time_minutes": None,
            "browser_address": None,
            "run_with": None,
            "script_run": None,
            "job_id": None,
            "depends_on_workflow_run_id": None,
            "sequential_key": None,
            "ai_fallback": None,
            "code_gen": None,
            "trigger_type": "api",
            "workflow_schedule_id": None,
            "ignore_inherited_workflow_system_prompt": False,
            "copilot_session_id": None,
            "credits_used": 0,
            "cached_credits_used": 0,
            "queued_at": None,
            "started_at": at(base, 2, 1),
            "finished_at": at(base, 2, 4),
            "created_at": at(base, 2),
            "modified_at": runs[0]["modified_at"],
        }
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/agents/runs",
        "/v1/workflows/runs",
        "/api/v1/workflows/runs",
        "/v1/agents/runs/",
        "/v1/workflows/runs/",
    ],
)
def test_the_organisation_list_pages_by_10_and_leaves_out_child_runs(
    loaded: tuple[Api, Any, Any], path: str
) -> None:
    api, _, _ = loaded
    assert _ids(api, path) == newest_first(TOP_LEVEL)[:10]
    assert _ids(api, path, page=2) == newest_first(TOP_LEVEL)[10:]
    assert _ids(api, path, page=2, page_size=5) == newest_first(TOP_LEVEL)[5:10]


def test_status_is_repeatable_and_skyvern_words_map_to_canonical_statuses(
    loaded: tuple[Api, Any, Any],
) -> None:
    api, _, _ = loaded
    # paused = canonical waiting + paused; running = running + canceling (9 is a child).
    assert _ids(api, "/v1/agents/runs", status="paused") == newest_first([7, 8])
    pairs = [("status", "failed"), ("status", "timed_out")]
    assert _ids(api, "/v1/agents/runs", pairs) == newest_first([2, 12])


def test_search_key_and_error_code(loaded: tuple[Api, Any, Any]) -> None:
    api, _, _ = loaded
    assert _ids(api, "/v1/agents/runs", search_key="cust-0001") == [run_id(1)]
    # A parameter description matches every run of its workflow.
    assert _ids(api, "/v1/agents/runs", search_key="SUPPLIER PORTAL", page_size=50) == (
        newest_first([1, 2, 7, 8, 12])
    )
    assert _ids(api, "/v1/agents/runs", error_code="LOGIN_FAILED") == [run_id(2)]
    assert _ids(api, "/v1/agents/runs", error_code="LOGIN_FAILED", status="completed") == []


def test_the_workflow_list_has_time_bounds_tags_and_child_runs_on_request(
    loaded: tuple[Api, Any, Any],
) -> None:
    api, base, workflows = loaded
    crm = workflows["crm-sync"]["id"]
    for prefix in ("/v1/agents", "/v1/workflows"):
        assert _ids(api, f"{prefix}/{crm}/runs") == newest_first([4, 5, 10])
        assert _ids(api, f"{prefix}/{crm}/runs", include_child_runs="true") == (
            newest_first([3, 4, 5, 9, 10])
        )
    window = {"created_at_start": at(base, 4), "created_at_end": at(base, 10)}
    assert _ids(api, f"/v1/agents/{crm}/runs", **window) == newest_first([4, 5])
    invoice = workflows["invoice-agent"]["id"]
    path = f"/v1/agents/{invoice}/runs"
    assert _ids(api, path, tags="env:*") == newest_first([1, 2])
    assert _ids(api, path, tags="env:prod,env:staging") == newest_first([1, 2])
    assert _ids(api, path, [("tags", "env:prod"), ("tags", "customer:acme")]) == []
    assert _ids(api, "/v1/agents/no-such-workflow/runs") == []


def test_get_and_cancel_a_run(loaded: tuple[Api, Any, Any]) -> None:
    api, _base, _ = loaded
    run = api.get(f"/compat/skyvern/v1/runs/{run_id(12)}")
    assert run["run_type"] == "workflow_run"
    assert run["status"] == "timed_out"
    assert run["errors"] == [{"error_code": "TIMEOUT", "message": "too slow", "step": "fetch"}]
    assert run["step_count"] == 1
    assert api.post(f"/compat/skyvern/v1/runs/{run_id(5)}/cancel", expect=200) is None
    assert api.get(f"/compat/skyvern/v1/runs/{run_id(5)}")["status"] == "canceled"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "cancelled"}, ["query", "status", 0]),
        ({"page": "0"}, ["query", "page"]),
        ({"page_size": "0"}, ["query", "page_size"]),
        ({"page_size": "1001"}, ["query", "page_size"]),
        ({"search_key": "x" * 501}, ["query", "search_key"]),
        ({"error_code": "x" * 501}, ["query", "error_code"]),
        ({"page": "abc"}, ["query", "page"]),
        ({"page": "2000000"}, ["query", "page"]),
    ],
)
def test_bad_parameters_get_422_with_fastapi_details(
    loaded: tuple[Api, Any, Any], params: dict[str, str], field: list[Any]
) -> None:
    api, _, _ = loaded
    body = api.get("/compat/skyvern/v1/agents/runs", expect=422, params=params)
    assert body["detail"][0]["loc"] == field
    assert body["detail"][0]["msg"]


def test_bad_times_and_tags_on_the_workflow_list(loaded: tuple[Api, Any, Any]) -> None:
    api, _, workflows = loaded
    path = f"/compat/skyvern/v1/agents/{workflows['crm-sync']['id']}/runs"
    too_many = ",".join(f"k{i}:v" for i in range(21))
    for params in (
        {"created_at_start": "yesterday"},
        {"created_at_end": "2026-01-01T00:00:00"},
        {"tags": "production"},
        {"tags": too_many},
    ):
        assert api.get(path, expect=422, params=params)["detail"][0]["loc"][0] == "query"


def test_auth_is_the_x_api_key_header(admin: Api) -> None:
    anon = Api(admin.client, {})
    assert anon.get("/compat/skyvern/v1/agents/runs", expect=403) == {
        "detail": "Invalid credentials"
    }
    wrong = Api(admin.client, {"x-api-key": "ry_nope"})
    assert wrong.get("/compat/skyvern/v1/agents/runs", expect=403)["detail"]
    assert admin.get("/compat/skyvern/v1/agents/runs") == []  # Authorization: Bearer works too
    assert admin.get(f"/compat/skyvern/v1/runs/{run_id(99)}", expect=404) == {
        "detail": f"run {run_id(99)} does not exist"
    }
