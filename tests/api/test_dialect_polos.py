"""Polos under /compat/polos: golden requests and responses (seed 000)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.dialect_corpus import at, load, newest_first, run_id
from tests.conftest import ADMIN_KEY

ROOT = "/compat/polos/api/v1"


@pytest.fixture
def loaded(admin: Api) -> tuple[Api, Any, dict[str, Any]]:
    base, workflows = load(admin)
    project = workflows["crm-sync"]["project_id"]
    return admin.as_key(ADMIN_KEY, project), base, workflows


def _ids(api: Api, **params: Any) -> list[str]:
    return [r["id"] for r in api.get(f"{ROOT}/workflows/runs", params=params)]


def test_a_summary_carries_every_key_nulls_included(loaded: tuple[Api, Any, Any]) -> None:
    api, base, _ = loaded
    runs = api.get(
        f"{ROOT}/workflows/runs", params={"workflow_id": "crm-sync", "limit": 1, "offset": 4}
    )
    assert runs == [
        {
            "id": run_id(3),
            "root_execution_id": run_id(1),
            "workflow_id": "crm-sync",
            "session_id": None,
            "created_at": at(base, 3),
            "status": "running",
            "completed_at": None,
            "payload": {"account": "Zoë"},
            "result": None,
            "error": None,
        }
    ]


def test_workflow_type_defaults_to_workflow_and_pages_by_limit_and_offset(
    loaded: tuple[Api, Any, Any],
) -> None:
    api, _, _ = loaded
    crm = newest_first([3, 4, 5, 9, 10])  # crm-sync is the only workflow of type workflow
    assert _ids(api) == crm
    assert _ids(api, limit=2, offset=1) == crm[1:3]
    assert _ids(api, workflow_type="agent") == newest_first([1, 2, 7, 8, 12])
    assert _ids(api, workflow_type="tool", workflow_id="lookup") == newest_first([6, 11, 13, 14])
    assert _ids(api, workflow_type="agent", workflow_id="crm-sync") == []
    assert _ids(api, workflow_id="no-such-workflow") == []


def test_start_and_end_time_are_both_inclusive(loaded: tuple[Api, Any, Any]) -> None:
    api, base, _ = loaded
    assert _ids(api, start_time=at(base, 4), end_time=at(base, 9)) == newest_first([4, 5, 9])


def test_statuses_render_in_polos_words(loaded: tuple[Api, Any, Any]) -> None:
    api, _, _ = loaded
    words = {r["id"]: r["status"] for r in api.get(f"{ROOT}/workflows/runs")}
    assert words == {
        run_id(3): "running",
        run_id(4): "queued",
        run_id(5): "queued",
        run_id(9): "pending_cancel",
        run_id(10): "cancelled",
    }


def test_invoke_get_and_cancel_an_execution(loaded: tuple[Api, Any, Any]) -> None:
    api, _, _ = loaded
    body = {"payload": {"account": "Ada"}, "wait_for_subworkflow": False}
    made = api.post(f"{ROOT}/workflows/crm-sync/run", body, expect=200)
    execution = api.get(f"{ROOT}/executions/{made['execution_id']}")
    assert execution["status"] == "queued"
    assert execution["payload"] == {"account": "Ada"}
    assert execution["output_schema_name"] is None
    assert execution["created_at"] == made["created_at"]
    api.post(f"{ROOT}/executions/{made['execution_id']}/cancel", expect=200)
    assert api.get(f"{ROOT}/executions/{made['execution_id']}")["status"] == "cancelled"
    missing = api.get(f"{ROOT}/executions/{run_id(99)}", expect=404)
    assert missing == {"error": f"run {run_id(99)} does not exist", "error_type": "NOT_FOUND"}
    assert api.post(f"{ROOT}/workflows/nope/run", {"payload": {}}, expect=404)["error_type"]


@pytest.mark.parametrize(
    "params",
    [
        {"workflow_type": "flow"},
        {"limit": "0"},
        {"limit": "1001"},
        {"offset": "-1"},
        {"limit": "ten"},
        {"start_time": "2026-01-01"},
        {"end_time": "soon"},
    ],
)
def test_bad_parameters_get_400_in_the_polos_envelope(
    loaded: tuple[Api, Any, Any], params: dict[str, str]
) -> None:
    api, _, _ = loaded
    body = api.get(f"{ROOT}/workflows/runs", expect=400, params=params)
    assert set(body) == {"error", "error_type"}
    assert body["error_type"] == "BAD_REQUEST"
    assert next(iter(params)) in body["error"]


def test_the_project_header_and_auth(admin: Api) -> None:
    project = admin.post("/api/v1/projects", {"name": "other"}, expect=201)["id"]
    key = admin.post(
        f"/api/v1/projects/{project}/api-keys", {"name": "k", "role": "read"}, expect=201
    )["key"]
    default = admin.get("/api/v1/projects")["items"]
    default_id = next(p["id"] for p in default if p["name"] == "default")
    client = admin.client
    url = f"{ROOT}/workflows/runs"
    # No X-Project-ID, or not a UUID: 400, before auth is looked at.
    assert client.get(url).status_code == 400
    assert client.get(url, headers={"X-Project-ID": "abc"}).status_code == 400
    # A project but no credential: 401; a key of another project: 403.
    r = client.get(url, headers={"X-Project-ID": project})
    assert (r.status_code, r.json()) == (
        401,
        {"error": "Not authenticated", "error_type": "UNAUTHORIZED"},
    )
    r = client.get(url, headers={"X-Project-ID": default_id, "Authorization": f"Bearer {key}"})
    assert (r.status_code, r.json()["error_type"]) == (403, "PROJECT_ACCESS_FORBIDDEN")
    # Bearer, or the polos_auth cookie, with the key's own project: 200.
    r = client.get(url, headers={"X-Project-ID": project, "Authorization": f"Bearer {key}"})
    assert (r.status_code, r.json()) == (200, [])
    client.cookies.set("polos_auth", key)
    r = client.get(url, headers={"X-Project-ID": project})
    client.cookies.clear()
    assert (r.status_code, r.json()) == (200, [])
