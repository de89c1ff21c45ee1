"""Runs through the native API: create, report, act, find, count, export."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from typing import Any

import pytest

from runyard.service.runs import RunService
from tests.api.conftest import Api, make_workflow

T0 = "2026-04-01T00:00:00Z"


def _id(n: int) -> str:
    return f"0a100000-0000-4000-8000-{n:012d}"


def _seed(api: Api) -> dict[str, dict[str, Any]]:
    """A small, fully known corpus."""
    make_workflow(api, "invoice-agent")
    make_workflow(
        api, "crm-sync", type="ingestion", parameters=[{"key": "account", "description": "Owner"}]
    )
    runs = [
        {
            "id": _id(1),
            "workflow_id": "invoice-agent",
            "status": "completed",
            "created_at": "2026-04-01T00:00:00Z",
            "started_at": "2026-04-01T00:00:01Z",
            "finished_at": "2026-04-01T00:00:31Z",
            "trigger_type": "scheduled",
            "input": {"customer_id": "CUST-0001", "note": "Zürich office"},
            "tags": {"env": "prod"},
            "credential_id": "cred-1",
        },
        {
            "id": _id(2),
            "workflow_id": "invoice-agent",
            "status": "failed",
            "created_at": "2026-04-02T00:00:00Z",
            "started_at": "2026-04-02T00:00:01Z",
            "finished_at": "2026-04-02T00:00:03Z",
            "triggered_by": "anna@acme.com",
            "input": {"customer_id": "CUST-0002", "discount": "50%_off\\now"},
            "tags": {"env": "staging"},
            "steps": [
                {
                    "name": "login",
                    "status": "failed",
                    "errors": [{"error_code": "LOGIN_FAILED", "message": "bad"}],
                }
            ],
        },
        {
            "id": _id(3),
            "workflow_id": "crm-sync",
            "status": "running",
            "created_at": "2026-04-03T00:00:00Z",
            "started_at": "2026-04-03T00:00:05Z",
            "is_test": True,
            "extra_http_headers": {"X-Region": "Genève"},
            "parent_run_id": _id(1),
        },
        {
            "id": _id(4),
            "workflow_id": "crm-sync",
            "status": "queued",
            "created_at": "2026-04-04T00:00:00Z",
            "trigger_type": "webhook",
        },
    ]
    assert api.post("/api/v1/runs/import", {"runs": runs}, expect=200) == {
        "imported": 4,
        "skipped": 0,
    }
    return {r["id"]: r for r in runs}


def _ids(api: Api, query: str) -> list[str]:
    return [r["id"] for r in api.get(f"/api/v1/runs?{query}")["items"]]


def test_trigger_queues_a_run_with_defaults_and_honours_idempotency(admin: Api) -> None:
    make_workflow(
        admin, parameters=[{"key": "region", "default": "EU"}, {"key": "n", "type": "integer"}]
    )
    first = admin.post(
        "/api/v1/workflows/invoice-agent/runs",
        {"input": {"n": 2}},
        expect=201,
        headers={"Idempotency-Key": "k1"},
    )
    assert first["status"] == "queued"
    assert first["input"] == {"n": 2, "region": "EU"}
    assert first["root_run_id"] == first["id"]
    assert first["queued_at"] is not None
    again = admin.post(
        "/api/v1/workflows/invoice-agent/runs",
        {"input": {"n": 3}},
        expect=200,
        headers={"Idempotency-Key": "k1"},
    )
    assert again["id"] == first["id"]
    other = admin.post(
        "/api/v1/workflows/invoice-agent/runs", {"parent_run_id": first["id"]}, expect=201
    )
    assert (other["parent_run_id"], other["root_run_id"]) == (first["id"], first["id"])
    assert admin.get("/api/v1/runs/count")["count"] == 2


def test_import_is_idempotent_and_immediately_visible(admin: Api) -> None:
    runs = _seed(admin)
    assert admin.post("/api/v1/runs/import", {"runs": list(runs.values())}, expect=200) == {
        "imported": 0,
        "skipped": 4,
    }
    one = admin.get(f"/api/v1/runs/{_id(2)}")
    assert one["steps"][0]["errors"] == [{"error_code": "LOGIN_FAILED", "message": "bad"}]
    assert one["duration_seconds"] == 2.0
    assert one["workflow_name"] == "invoice-agent"
    assert admin.get(f"/api/v1/runs/{_id(3)}")["root_run_id"] == _id(1)


def test_executors_report_through_the_transition_table(admin: Api) -> None:
    make_workflow(admin)
    run = admin.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)
    path = f"/api/v1/runs/{run['id']}"
    running = admin.patch(path, {"status": "running", "progress": 10})
    assert running["started_at"] is not None
    admin.post(
        f"{path}/steps",
        {
            "name": "login",
            "status": "failed",
            "errors": [{"error_code": "MFA_REQUIRED", "message": "code?", "attempt": 2}],
        },
        expect=201,
    )
    assert _ids(admin, "error_code=MFA_REQUIRED") == [run["id"]]
    # The same step reported again (retried and succeeded) replaces its errors.
    admin.post(f"{path}/steps", {"seq": 1, "name": "login", "status": "completed"}, expect=201)
    assert _ids(admin, "error_code=MFA_REQUIRED") == []
    done = admin.patch(path, {"status": "completed", "result": {"ok": True}, "credits_used": 1.5})
    assert (done["progress"], done["result"], done["credits_used"]) == (100, {"ok": True}, 1.5)
    assert done["finished_at"] is not None
    refused = admin.patch(path, {"status": "running"}, expect=409)
    assert refused["code"] == "illegal_transition"
    assert admin.get(path)["status"] == "completed"


def test_cancel_pause_resume_and_retry(admin: Api) -> None:
    make_workflow(admin)
    queued = admin.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)
    running = admin.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)
    admin.patch(f"/api/v1/runs/{running['id']}", {"status": "running"})
    assert admin.post(f"/api/v1/runs/{queued['id']}/cancel", expect=200)["status"] == "canceled"
    assert admin.post(f"/api/v1/runs/{running['id']}/cancel", expect=200)["status"] == "canceling"
    admin.post(f"/api/v1/runs/{queued['id']}/cancel", expect=409)
    paused = admin.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)
    assert admin.post(f"/api/v1/runs/{paused['id']}/pause", expect=200)["status"] == "paused"
    assert admin.post(f"/api/v1/runs/{paused['id']}/resume", expect=200)["status"] == "queued"
    admin.post(f"/api/v1/runs/{paused['id']}/resume", expect=409)
    admin.post(f"/api/v1/runs/{paused['id']}/retry", expect=409)
    retry = admin.post(f"/api/v1/runs/{queued['id']}/retry", expect=201)
    assert retry["source_run_id"] == queued["id"]
    assert (retry["status"], retry["attempt"]) == ("queued", 1)
    assert retry["id"] != queued["id"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [4, 3, 2, 1]),
        ("workflow_id=invoice-agent", [2, 1]),
        ("workflow_id=invoice-agent&workflow_id=crm-sync&limit=3", [4, 3, 2]),
        ("workflow_type=ingestion", [4, 3]),
        ("status=failed&status=queued", [4, 2]),
        ("created_after=2026-04-02T00:00:00Z", [4, 3, 2]),
        ("created_before=2026-04-02T00:00:00Z", [1]),
        ("created_after=2026-04-01T12:00:00%2B02:00&created_before=2026-04-03T00:00:00Z", [2]),
        ("trigger_type=scheduled&trigger_type=webhook", [4, 1]),
        ("triggered_by=anna@acme.com", [2]),
        ("credential_id=cred-1", [1]),
        ("error_code=LOGIN_FAILED", [2]),
        ("search=zürich", [1]),
        ("search=ZÜRICH", [1]),
        ("search=genève", [3]),
        ("search=50%25_", [2]),
        ("search=%25", [2]),
        ("search=_off%5C", [2]),
        ("search=cust-000", [2, 1]),
        ("search=0a100000-0000-4000-8000-000000000003", [3]),
        ("search=supplier%20portal", [2, 1]),
        ("parent_run_id=0a100000-0000-4000-8000-000000000001", [3]),
        ("root_run_id=0a100000-0000-4000-8000-000000000001", [3, 1]),
        ("tag=env", [2, 1]),
        ("tag=env=prod", [1]),
        ("is_test=true", [3]),
        ("is_test=false", [4, 2, 1]),
        ("sort=created_at:asc", [1, 2, 3, 4]),
        ("sort=-duration", [1, 2, 4, 3]),
        ("sort=duration:asc", [2, 1, 3, 4]),
        ("sort=-started_at", [3, 2, 1, 4]),
        ("sort=finished_at:asc", [1, 2, 3, 4]),
    ],
)
def test_every_filter_and_sort(admin: Api, query: str, expected: list[int]) -> None:
    _seed(admin)
    assert _ids(admin, query) == [_id(n) for n in expected]
    if "sort" not in query and "limit" not in query:
        separator = "?" if query else ""
        assert admin.get(f"/api/v1/runs/count{separator}{query}")["count"] == len(expected)


def test_pages_totals_and_cursors(admin: Api) -> None:
    _seed(admin)
    page = admin.get("/api/v1/runs?limit=3&include_total=true")
    assert (page["total"], page["has_more"], len(page["items"])) == (4, True, 3)
    rest = admin.get(f"/api/v1/runs?limit=3&cursor={page['next_cursor']}")
    assert ([r["id"] for r in rest["items"]], rest["has_more"], rest["next_cursor"]) == (
        [_id(1)],
        False,
        None,
    )
    assert admin.get("/api/v1/runs?limit=2&offset=2")["items"][0]["id"] == _id(2)


def _plan_with(admin: Api, **thresholds: int) -> None:
    """Sets thresholds of the app's query planner (store/query/planner.py)."""
    runs: RunService = admin.client.app.state.services.runs
    runs.planner = replace(runs.planner, **thresholds)


def test_counts_past_the_cap_stop_there_and_say_so(admin: Api) -> None:
    _seed(admin)
    _plan_with(admin, count_cap=2)
    uncounted = "is_test=false"  # 3 of the seed's runs, past the cap, and not a kept count
    count = "/api/v1/runs/count"
    assert admin.get(f"{count}?{uncounted}") == {"count": 2, "exact": False}
    assert admin.get(f"{count}?{uncounted}&exact=true") == {"count": 3, "exact": True}
    page = admin.get(f"/api/v1/runs?{uncounted}&limit=1&include_total=true")
    assert (page["total"], page["total_exact"]) == (2, False)
    page = admin.get(f"/api/v1/runs?{uncounted}&limit=1&include_total=true&exact_total=true")
    assert (page["total"], page["total_exact"]) == (3, True)
    assert admin.get("/api/v1/runs?limit=1")["total_exact"] is None  # no total asked
    # Exact when cheap, whatever the cap: the kept counts (by day too), a short list of
    # matches.
    assert admin.get(count) == {"count": 4, "exact": True}
    assert admin.get(f"{count}?status=failed&status=queued") == {"count": 2, "exact": True}
    window = "created_after=2026-04-01T12:00:00Z&created_before=2026-05-01T00:00:00Z"
    assert admin.get(f"{count}?{window}") == {"count": 3, "exact": True}
    _plan_with(admin, count_cap=0)
    assert admin.get(f"{count}?{uncounted}&error_code=LOGIN_FAILED") == {"count": 1, "exact": True}
    # One error code or tag value alone is counted from its own key, stopped alike.
    _plan_with(admin, dense_threshold=0)
    assert admin.get(f"{count}?tag=env=prod") == {"count": 0, "exact": False}
    assert admin.get(f"{count}?tag=env=prod&exact=true") == {"count": 1, "exact": True}
    problem = admin.get(f"{count}?exact=maybe", expect=422)
    assert "exact" in str(problem)


def test_stats_count_by_bucket_and_status(admin: Api) -> None:
    _seed(admin)
    stats = admin.get("/api/v1/runs/stats?bucket=1w&created_after=2026-03-01T00:00:00Z")
    assert stats["totals"] == {"completed": 1, "failed": 1, "running": 1, "queued": 1}
    daily = admin.get("/api/v1/runs/stats?bucket=1d&status=failed")
    assert daily["buckets"] == [{"start": "2026-04-02T00:00:00.000000Z", "counts": {"failed": 1}}]


def test_export_streams_the_filtered_runs(admin: Api) -> None:
    _seed(admin)
    text = admin.get("/api/v1/runs/export?format=csv&workflow_id=invoice-agent")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["id"] for r in rows] == [_id(2), _id(1)]
    assert json.loads(rows[1]["input"])["note"] == "Zürich office"
    lines = admin.get("/api/v1/runs/export?format=jsonl").strip().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [_id(n) for n in (4, 3, 2, 1)]


def test_an_export_of_an_unknown_workflow_is_refused_before_it_starts(admin: Api) -> None:
    # Found by fuzzing: the refusal came after the 200 had been sent (a broken stream).
    for fmt in ("csv", "jsonl"):
        problem = admin.get(f"/api/v1/runs/export?format={fmt}&workflow_id=nope", expect=422)
        assert problem["errors"][0]["loc"] == ["query", "workflow_id"]


def test_docs_openapi_and_health(admin: Api) -> None:
    schema = admin.get("/openapi.json")
    assert "/api/v1/runs" in schema["paths"]
    assert "text/html" in admin.client.get("/docs").headers["content-type"]
    assert admin.client.get("/healthz").json() == {"status": "ok"}


def test_json_documents_that_are_bare_numbers_round_trip(admin: Api) -> None:
    # SQLite gives JSON columns numeric affinity: "2" is stored as the integer 2.
    make_workflow(admin, parameters=[{"key": "n", "type": "integer", "default": 2}])
    runs = [
        {
            "id": _id(n),
            "workflow_id": "invoice-agent",
            "status": "completed",
            "created_at": T0,
            "result": value,
        }
        for n, value in ((1, 12), (2, 2.5), (3, "7"), (4, True), (5, None))
    ]
    admin.post("/api/v1/runs/import", {"runs": runs}, expect=200)
    assert [admin.get(f"/api/v1/runs/{_id(n)}")["result"] for n in range(1, 6)] == [
        12,
        2.5,
        "7",
        True,
        None,
    ]
    workflow = admin.get("/api/v1/workflows/invoice-agent")
    assert workflow["parameters"][0]["default"] == 2


def test_metrics_need_the_server_admin_key_and_count_live_runs(admin: Api) -> None:
    _seed(admin)
    text = admin.get("/metrics")
    assert 'runyard_runs{status="queued"} 1.0' in text
    assert 'runyard_runs{status="running"} 1.0' in text
    assert "runyard_queue_depth 1.0" in text
    other, _ = admin.new_project("other", role="admin")
    other.get("/metrics", expect=403)


def test_a_retry_honours_its_idempotency_key(admin: Api) -> None:
    _seed(admin)
    key = {"Idempotency-Key": "retry-2"}
    first = admin.post(f"/api/v1/runs/{_id(2)}/retry", expect=201, headers=key)
    again = admin.post(f"/api/v1/runs/{_id(2)}/retry", expect=201, headers=key)
    assert again["id"] == first["id"]
    assert first["source_run_id"] == _id(2)
    other = admin.post(f"/api/v1/runs/{_id(2)}/retry", expect=201)
    assert other["id"] != first["id"]
    admin.post(f"/api/v1/runs/{_id(2)}/retry", expect=422, headers={"Idempotency-Key": "x" * 201})
