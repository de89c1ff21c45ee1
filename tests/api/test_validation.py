"""Bad input anywhere: a 4xx problem that names the field and the reason, never a 500."""

from __future__ import annotations

import base64
import json

import pytest

from tests.api.conftest import Api, make_workflow

RUN = "0d000000-0000-4000-8000-000000000001"


def _import_one(**fields: object) -> dict[str, object]:
    """An import body of one run of invoice-agent, with ``fields``."""
    return {"runs": [{"id": RUN, "workflow_id": "invoice-agent", **fields}]}


def _problem(api: Api, method: str, path: str, status: int, **kwargs: object) -> dict[str, object]:
    problem = api.call(method, path, status, **kwargs)
    assert isinstance(problem, dict)
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert problem["status"] == status
    return problem


@pytest.mark.parametrize(
    ("query", "loc", "reason"),
    [
        ("limit=0", ["query", "limit"], "greater than or equal to 1"),
        ("limit=10000", ["query", "limit"], "less than or equal to 1000"),
        ("limit=ten", ["query", "limit"], "integer"),
        ("offset=-1", ["query", "offset"], "greater than or equal to 0"),
        ("status=bogus", ["query", "status", 0], "'completed'"),
        ("workflow_type=robot", ["query", "workflow_type", 0], "'agent'"),
        ("trigger_type=telepathy", ["query", "trigger_type", 0], "'scheduled'"),
        ("is_test=maybe", ["query", "is_test"], "boolean"),
        ("search=" + "x" * 501, ["query", "search"], "at most 500"),
        ("created_after=2026-01-01T00:00:00", ["query", "created_after"], "no UTC offset"),
        ("created_before=last+week", ["query", "created_before"], "not an RFC 3339"),
        (
            "created_after=2026-02-01T00:00:00Z&created_before=2026-01-01T00:00:00Z",
            ["query", "created_after"],
            "not be later",
        ),
        ("cursor=not-a-cursor", ["query", "cursor"], "malformed cursor"),
        ("sort=name", ["query", "sort"], "unknown sort"),
        ("tag==x", ["query", "tag"], "needs a key"),
        ("workflow_id=no-such-workflow", ["query", "workflow_id"], "no workflow"),
        ("stauts=failed", ["query", "stauts"], "unknown parameter"),
    ],
)
def test_bad_run_queries_name_the_field(
    admin: Api, query: str, loc: list[object], reason: str
) -> None:
    problem = _problem(admin, "GET", f"/api/v1/runs?{query}", 422)
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert errors[0]["loc"] == loc
    assert reason in errors[0]["msg"]
    assert str(loc[1]) in str(problem["detail"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/runs/count"),
        ("GET", "/api/v1/runs/stats"),
        ("GET", "/api/v1/runs/export"),
        ("POST", "/api/v1/runs/bulk"),
    ],
)
@pytest.mark.parametrize(
    ("query", "loc", "reason"),
    [
        ("stauts=failed", ["query", "stauts"], "unknown parameter"),
        ("triggered_by=", ["query", "triggered_by"], "1-200 characters"),
        ("credential_id=" + "c" * 201, ["query", "credential_id"], "1-200 characters"),
        ("requeued=perhaps", ["query", "requeued"], "boolean"),
    ],
)
def test_every_filtering_operation_refuses_what_the_list_refuses(
    admin: Api, method: str, path: str, query: str, loc: list[object], reason: str
) -> None:
    body = {"action": "cancel", "dry_run": True} if method == "POST" else None
    problem = _problem(admin, method, f"{path}?{query}", 422, json=body)
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert errors[0]["loc"] == loc
    assert reason in errors[0]["msg"]


def test_a_cursor_of_another_query_or_with_an_offset_is_refused(admin: Api) -> None:
    make_workflow(admin)
    runs = [
        {
            "id": f"0d000000-0000-4000-8000-00000000000{i}",
            "workflow_id": "invoice-agent",
            "status": "failed" if i % 2 else "completed",
        }
        for i in range(4)
    ]
    admin.post("/api/v1/runs/import", {"runs": runs}, expect=200)
    cursor = admin.get("/api/v1/runs?limit=1")["next_cursor"]
    assert cursor
    problem = _problem(admin, "GET", f"/api/v1/runs?limit=1&status=failed&cursor={cursor}", 422)
    assert "another query" in str(problem["detail"])
    _problem(admin, "GET", f"/api/v1/runs?limit=1&offset=2&cursor={cursor}", 422)
    _problem(admin, "GET", f"/api/v1/runs?limit=1&sort=duration&cursor={cursor}", 422)
    # The same query with another page size continues where it was.
    assert len(admin.get(f"/api/v1/runs?limit=3&cursor={cursor}")["items"]) == 3


def _edited(cursor: str, run_id: str) -> str:
    """``cursor`` with its run id replaced, as someone editing it by hand would."""
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["i"] = run_id
    raw = json.dumps(payload).encode()  # a lone surrogate travels as its \\u escape
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "run_id",
    [
        "\ud800",
        "0d000000-0000-4000-8000-00000000000\x00",
        "not-a-run-id",
        "",
        "0D000000-0000-4000-8000-000000000001",
    ],
)
def test_a_cursor_edited_to_hold_something_else_than_a_run_id_is_refused(
    admin: Api, run_id: str
) -> None:
    make_workflow(admin)
    runs = [
        {"id": f"0d000000-0000-4000-8000-00000000000{i}", "workflow_id": "invoice-agent"}
        for i in range(2)
    ]
    admin.post("/api/v1/runs/import", {"runs": runs}, expect=200)
    cursor = admin.get("/api/v1/runs?limit=1")["next_cursor"]
    problem = _problem(admin, "GET", f"/api/v1/runs?limit=1&cursor={_edited(cursor, run_id)}", 422)
    assert "malformed cursor" in str(problem["detail"])


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/api/v1/workflows", {"name": "Not A Slug"}, ["body", "name"]),
        ("/api/v1/workflows", {"name": "ok", "type": "robot"}, ["body", "type"]),
        ("/api/v1/workflows", {"name": "ok", "colour": "red"}, ["body", "colour"]),
        (
            "/api/v1/workflows",
            {"name": "ok", "parameters": [{"key": "a"}, {"key": "a"}]},
            ["body", "parameters"],
        ),
        (
            "/api/v1/workflows",
            {"name": "ok", "parameters": [{"key": "a", "type": "blob"}]},
            ["body", "parameters", 0, "type"],
        ),
        (
            "/api/v1/workflows",
            {"name": "ok", "parameters": [{"key": "a", "default": {}}]},
            ["body", "parameters", 0],
        ),  # a string parameter whose default is an object
        (
            "/api/v1/workflows",
            {"name": "ok", "parameters": [{"key": "n", "type": "integer", "default": "7"}]},
            ["body", "parameters", 0],
        ),
        ("/api/v1/workflows/invoice-agent/runs", {"input": "not an object"}, ["body", "input"]),
        (
            "/api/v1/workflows/invoice-agent/runs",
            {"input": {"customer_id": 7}},
            ["body", "input", "customer_id"],
        ),
        (
            "/api/v1/workflows/invoice-agent/runs",
            {"trigger_type": "magic"},
            ["body", "trigger_type"],
        ),
        ("/api/v1/workflows/invoice-agent/runs", {"parent_run_id": RUN}, ["body", "parent_run_id"]),
        ("/api/v1/runs/import", {"runs": []}, ["body", "runs"]),
        (
            "/api/v1/runs/import",
            {"runs": [{"id": "nope", "workflow_id": "invoice-agent"}]},
            ["body", "runs", 0, "id"],
        ),
        (
            "/api/v1/runs/import",
            {"runs": [{"id": RUN, "workflow_id": "ghost"}]},
            ["body", "runs", 0, "workflow_id"],
        ),
        (
            "/api/v1/runs/import",
            _import_one(created_at="2026-01-01T00:00:00"),
            ["body", "runs", 0, "created_at"],
        ),
        (
            "/api/v1/runs/import",
            _import_one(started_at="2026-01-01T00:00:10Z", finished_at="2026-01-01T00:00:00Z"),
            ["body", "runs", 0],
        ),
        ("/api/v1/runs/import", _import_one(status="exploded"), ["body", "runs", 0, "status"]),
        ("/api/v1/projects", {"name": "bad name!"}, ["body", "name"]),
        ("/api/v1/projects", {}, ["body", "name"]),
    ],
)
def test_bad_bodies_name_the_field(admin: Api, path: str, body: object, loc: list[object]) -> None:
    make_workflow(admin)
    problem = _problem(admin, "POST", path, 422, json=body)
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert errors[0]["loc"][: len(loc)] == loc


def test_an_import_over_1000_runs_is_refused(admin: Api) -> None:
    make_workflow(admin)
    runs = [
        {"id": f"0e000000-0000-4000-8000-{i:012d}", "workflow_id": "invoice-agent"}
        for i in range(1001)
    ]
    problem = _problem(admin, "POST", "/api/v1/runs/import", 422, json={"runs": runs})
    assert problem["errors"][0]["loc"] == ["body", "runs"]  # type: ignore[index]
    assert admin.get("/api/v1/runs/count")["count"] == 0


@pytest.mark.parametrize("raw", [b"not json", b"{", b"[1, 2", b""])
def test_a_body_that_is_not_json_is_refused(admin: Api, raw: bytes) -> None:
    problem = admin.call(
        "POST", "/api/v1/workflows", None, content=raw, headers={"content-type": "application/json"}
    )
    assert problem["status"] == 422
    assert problem["errors"][0]["loc"][0] == "body"


def test_bad_patches_and_steps(admin: Api) -> None:
    make_workflow(admin)
    run = admin.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)
    path = f"/api/v1/runs/{run['id']}"
    for body, loc in (
        ({"status": "finished"}, ["body", "status"]),
        ({"progress": 101}, ["body", "progress"]),
        ({"progress": None}, ["body", "progress"]),
        ({"credits_used": -1}, ["body", "credits_used"]),
        ({"owner": "me"}, ["body", "owner"]),
    ):
        problem = _problem(admin, "PATCH", path, 422, json=body)
        assert problem["errors"][0]["loc"] == loc  # type: ignore[index]
    for body, loc in (
        ({}, ["body", "name"]),
        ({"name": "s", "errors": [{"message": "no code"}]}, ["body", "errors", 0, "error_code"]),
        ({"name": "s", "seq": 0}, ["body", "seq"]),
        ({"name": "s", "started_at": "yesterday"}, ["body", "started_at"]),
    ):
        problem = _problem(admin, "POST", f"{path}/steps", 422, json=body)
        assert problem["errors"][0]["loc"] == loc  # type: ignore[index]
    assert admin.get(path)["status"] == "queued"


def test_unknown_things_are_404_and_wrong_methods_405(admin: Api) -> None:
    make_workflow(admin)
    _problem(admin, "GET", f"/api/v1/runs/{RUN}", 404)
    _problem(admin, "GET", "/api/v1/runs/not-even-a-uuid", 404)
    _problem(admin, "GET", "/api/v1/workflows/ghost", 404)
    _problem(admin, "POST", "/api/v1/workflows/ghost/runs", 404, json={})
    _problem(admin, "DELETE", "/api/v1/workflows/invoice-agent/parameters/ghost", 404)
    _problem(admin, "GET", "/api/v1/nothing-here", 404)
    _problem(admin, "PUT", "/api/v1/runs", 405)
    _problem(admin, "GET", "/api/v1/runs/export?format=xml", 422)
    _problem(admin, "GET", "/api/v1/runs/stats?bucket=3h", 422)
    _problem(
        admin,
        "POST",
        "/api/v1/workflows/invoice-agent/runs",
        422,
        json={},
        headers={"Idempotency-Key": "k" * 201},
    )
