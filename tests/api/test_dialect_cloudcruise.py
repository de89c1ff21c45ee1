"""CloudCruise under /compat/cloudcruise: golden requests and responses (seed 003)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from runyard.core.times import to_rfc3339
from tests.api.conftest import Api
from tests.api.dialect_corpus import at, load, newest_first, run_id
from tests.conftest import ADMIN_KEY

ALL = list(range(1, 15))


@pytest.fixture
def loaded(admin: Api) -> tuple[Api, Any, dict[str, Any]]:
    base, workflows = load(admin)
    return Api(admin.client, {"cc-key": ADMIN_KEY}), base, workflows


def _ids(api: Api, params: Any = None) -> list[str]:
    return [r["session_id"] for r in api.get("/compat/cloudcruise/runs", params=params)]


def test_a_run_renders_with_the_seed_fields(loaded: tuple[Api, Any, Any]) -> None:
    api, base, workflows = loaded
    runs = api.get("/compat/cloudcruise/runs", params={"credential_id": "cred-1"})
    assert runs == [
        {
            "session_id": run_id(1),
            "status": "execution.success",
            "created_at": at(base, 1),
            "workflow_id": workflows["invoice-agent"]["id"],
            "workspace_id": workflows["invoice-agent"]["project_id"],
            "execution_start": at(base, 1, 2),
            "execution_end": at(base, 1, 32),
            "dry_run": False,
        }
    ]


def test_the_default_window_is_24_hours_and_limit_defaults_to_1000(
    admin: Api, loaded: tuple[Api, Any, Any]
) -> None:
    api, _, _workflows = loaded
    old = (datetime.now(UTC) - timedelta(hours=30)).isoformat()
    admin.post(
        "/api/v1/runs/import",
        {"runs": [{"id": run_id(50), "workflow_id": "lookup", "created_at": old}]},
        expect=200,
    )
    assert _ids(api) == newest_first(ALL)
    week_ago = to_rfc3339(datetime.now(UTC) - timedelta(days=7))
    assert _ids(api, {"start_time": week_ago}) == [*newest_first(ALL), run_id(50)]


def test_requeued_is_a_queued_run_on_a_later_attempt(loaded: tuple[Api, Any, Any]) -> None:
    api, _, _ = loaded
    assert _ids(api, {"status": "execution.requeued"}) == [run_id(4)]
    assert _ids(api, {"status": "execution.queued"}) == newest_first([5, 6])
    assert _ids(api, {"statuses": "execution.queued,execution.requeued"}) == newest_first([4, 5, 6])
    both = [("statuses", "execution.requeued"), ("statuses", "execution.start")]
    assert _ids(api, both) == newest_first([3, 4, 9])
    words = {r["session_id"]: r["status"] for r in api.get("/compat/cloudcruise/runs")}
    assert words[run_id(4)] == "execution.requeued"
    assert words[run_id(7)] == "execution.paused"


def test_single_and_multiple_filters_by_repeated_keys_or_commas(
    loaded: tuple[Api, Any, Any],
) -> None:
    api, _, workflows = loaded
    crm, lookup = workflows["crm-sync"]["id"], workflows["lookup"]["id"]
    assert _ids(api, {"workflow_id": crm}) == newest_first([3, 4, 5, 9, 10])
    assert _ids(api, {"workflow_ids": f"{crm},{lookup}", "statuses": "execution.stopped"}) == (
        newest_first([10, 11])
    )
    repeated = [("workflow_ids", crm), ("workflow_ids", lookup), ("status", "execution.stopped")]
    assert _ids(api, repeated) == newest_first([10, 11])
    assert _ids(api, {"credential_ids": "cred-1,cred-2"}) == newest_first([1, 4, 5])


def test_the_cursor_is_strictly_before_a_created_at(loaded: tuple[Api, Any, Any]) -> None:
    api, base, _ = loaded
    first = _ids(api, {"limit": 3})
    assert first == newest_first(ALL)[:3]
    page = api.get("/compat/cloudcruise/runs", params={"limit": 3})
    after = _ids(api, {"limit": 3, "cursor": page[-1]["created_at"]})
    assert after == newest_first([9, 10, 11])  # 12's two twins share its instant: skipped
    inclusive = {"start_time": at(base, 4), "end_time": at(base, 6)}
    assert _ids(api, inclusive) == newest_first([4, 5, 6])


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "10001"}, "limit"),
        ({"status": "execution.step"}, "status"),
        ({"statuses": "success"}, "status"),
        ({"start_time": "2020-01-01T00:00:00Z"}, "start_time"),
        ({"end_time": "2999-01-01T00:00:00Z"}, "end_time"),
        ({"start_time": "x"}, "start_time"),
        ({"cursor": "2026-01-01"}, "cursor"),
        ({"workflow_ids": "a,,b"}, "workflow_ids"),
    ],
)
def test_bad_parameters_get_400_with_a_message(
    loaded: tuple[Api, Any, Any], params: dict[str, str], word: str
) -> None:
    api, _base, _ = loaded
    body = api.get("/compat/cloudcruise/runs", expect=400, params=params)
    assert list(body) == ["message"]
    assert word in body["message"]


def test_end_before_start_is_refused(loaded: tuple[Api, Any, Any]) -> None:
    api, base, _ = loaded
    params = {"start_time": at(base, 5), "end_time": at(base, 4)}
    assert "end_time" in api.get("/compat/cloudcruise/runs", expect=400, params=params)["message"]


def test_get_results_and_interrupt(loaded: tuple[Api, Any, Any]) -> None:
    api, _base, _ = loaded
    result = api.get(f"/compat/cloudcruise/run/{run_id(2)}")
    assert result["input_variables"]["customer_id"] == "CUST-0002"
    assert result["errors"] == [
        {
            "message": "password refused",
            "error_code": "LOGIN_FAILED",
            "node_id": "login",
            "created_at": None,
        }
    ]
    assert api.get(f"/compat/cloudcruise/run/{run_id(1)}")["data"] == {"total": 12}
    api.post(f"/compat/cloudcruise/run/{run_id(6)}/interrupt", expect=200)
    assert api.get(f"/compat/cloudcruise/run/{run_id(6)}")["status"] == "execution.stopped"
    response = api.client.get(f"/compat/cloudcruise/run/{run_id(99)}", headers=api.headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert Api(api.client, {}).get("/compat/cloudcruise/runs", expect=401)["message"]
