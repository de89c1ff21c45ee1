"""The worker protocol over HTTP, spoken by hand as a worker in another language would,
on both databases: the whole life of a run, and what is refused (403, 404, 409, 413)."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.api.conftest import Api, make_workflow

WK = "/api/v1/worker"


def _worker_key(admin: Api, project_id: str, role: str = "worker") -> Api:
    made = admin.post(f"/api/v1/projects/{project_id}/api-keys", {"role": role}, expect=201)
    return admin.as_key(made["key"])


def _project(admin: Api, name: str) -> tuple[Api, Api, str]:
    """A project, a client with its admin key and one with its worker key."""
    owner, project_id = admin.new_project(name)
    return owner, _worker_key(admin, project_id), project_id


def _register(worker: Api, name: str = "echo", **definition: Any) -> str:
    body = {"workflows": [{"name": name, "definition": definition}]}
    return str(worker.post(f"{WK}/workflows", body, expect=200)["items"][0]["id"])


def _claim(worker: Api, workflow_id: str, who: str = "w1", **extra: Any) -> list[dict[str, Any]]:
    body = {"worker_id": who, "workflow_ids": [workflow_id], "limit": 10, **extra}
    return list(worker.post(f"{WK}/claims", body, expect=200)["items"])


def test_a_run_from_trigger_to_completion_over_the_worker_routes(admin: Api) -> None:
    owner, worker, _ = _project(admin, "acme")
    workflow_id = _register(worker)
    assert _register(worker) == workflow_id  # registering again changes nothing
    run = owner.post("/api/v1/workflows/echo/runs", {"input": {"n": 2}}, expect=201)
    claimed = _claim(worker, workflow_id)
    assert [c["run"]["id"] for c in claimed] == [run["id"]]
    assert (claimed[0]["run"]["status"], claimed[0]["steps"]) == ("running", [])
    assert _claim(worker, workflow_id) == []  # taken: nothing more to claim
    step = {"seq": 1, "name": "double", "status": "running"}
    record = {"worker_id": "w1", "steps": [step], "progress": 40}
    assert worker.post(f"{WK}/runs/{run['id']}/steps", record, expect=200) == {"status": "running"}
    beat = worker.post(f"{WK}/heartbeat", {"worker_id": "w1", "run_ids": [run["id"]]}, expect=200)
    assert beat == {"held": {run["id"]: "running"}, "lost": []}
    done = {**step, "status": "completed", "output": 4}
    ending = {"run_id": run["id"], "outcome": "completed", "result": {"n": 4}, "steps": [done]}
    finished = worker.post(f"{WK}/finish", {"worker_id": "w1", "runs": [ending]}, expect=200)
    assert finished == {"items": [{"run_id": run["id"], "status": "completed", "problem": None}]}
    stored = owner.get(f"/api/v1/runs/{run['id']}")
    assert (stored["status"], stored["result"], stored["progress"]) == ("completed", {"n": 4}, 100)
    assert [(s["name"], s["status"], s["output"]) for s in stored["steps"]] == [
        ("double", "completed", 4)
    ]


def test_a_failed_attempt_follows_the_registered_retry_policy(admin: Api) -> None:
    owner, worker, _ = _project(admin, "acme")
    workflow_id = _register(worker, retries=1, backoff_seconds=0)
    run = owner.post("/api/v1/workflows/echo/runs", {}, expect=201)
    failed_step = {
        "seq": 1,
        "name": "login",
        "status": "failed",
        "errors": [{"error_code": "LOGIN_FAILED", "message": "no"}],
    }
    for attempt, status in ((1, "queued"), (2, "failed")):
        claimed = _claim(worker, workflow_id)
        assert [(c["run"]["id"], c["run"]["attempt"]) for c in claimed] == [(run["id"], attempt)]
        ending = {"run_id": run["id"], "outcome": "failed", "error": "no", "steps": [failed_step]}
        done = worker.post(f"{WK}/finish", {"worker_id": "w1", "runs": [ending]}, expect=200)
        assert done["items"][0]["status"] == status
    found = owner.get("/api/v1/runs", params={"error_code": "LOGIN_FAILED"})["items"]
    assert [r["id"] for r in found] == [run["id"]]


def test_a_waiting_claim_answers_as_soon_as_a_run_is_queued(admin: Api) -> None:
    owner, worker, _ = _project(admin, "acme")
    workflow_id = _register(worker)
    later = threading.Timer(0.5, lambda: owner.post("/api/v1/workflows/echo/runs", {}))
    later.start()
    started = time.monotonic()
    claimed = _claim(worker, workflow_id, wait_seconds=30)
    waited = time.monotonic() - started
    later.join()
    assert len(claimed) == 1
    assert waited < 15, f"the claim waited {waited:.1f} s for a run queued after 0.5 s"
    assert _claim(worker, workflow_id, wait_seconds=0.3) == []  # and an empty wait ends


def test_a_worker_key_may_use_the_worker_routes_and_nothing_else(admin: Api) -> None:
    owner, worker, project_id = _project(admin, "acme")
    make_workflow(owner)
    run = owner.post("/api/v1/workflows/invoice-agent/runs", {}, expect=201)
    for method, path in (
        ("GET", "/api/v1/runs"),
        ("GET", f"/api/v1/runs/{run['id']}"),
        ("GET", "/api/v1/workflows"),
        ("POST", "/api/v1/events"),
    ):
        problem = worker.call(method, path, expect=403, json={"key": "k"})
        assert "worker key" in problem["detail"], problem
    reader = _worker_key(admin, project_id, role="read")
    problem = reader.post(f"{WK}/workflows", {"workflows": [{"name": "x"}]}, expect=403)
    assert "worker role" in problem["detail"]
    writer = _worker_key(admin, project_id, role="write")
    assert _register(writer, "by-writer")  # write and admin keys may run workers too


def test_a_worker_may_write_only_to_runs_it_holds(admin: Api) -> None:
    owner, worker, _ = _project(admin, "acme")
    workflow_id = _register(worker)
    run = owner.post("/api/v1/workflows/echo/runs", {}, expect=201)
    record = {"worker_id": "w1", "steps": [{"seq": 1, "name": "s", "status": "running"}]}
    problem = worker.post(f"{WK}/runs/{run['id']}/steps", record, expect=409)  # not claimed
    assert problem["code"] == "lease_lost"
    assert _claim(worker, workflow_id, who="w1")
    problem = worker.post(f"{WK}/runs/{run['id']}/steps", {**record, "worker_id": "w2"}, expect=409)
    assert problem["code"] == "lease_lost"
    suspend = {"worker_id": "w2", "event": "go"}
    worker.post(f"{WK}/runs/{run['id']}/suspend", suspend, expect=409)
    child = {"worker_id": "w2", "workflow": "echo", "key": "k"}
    worker.post(f"{WK}/runs/{run['id']}/children", child, expect=409)
    ending = {"run_id": run["id"], "outcome": "completed"}
    refused = worker.post(f"{WK}/finish", {"worker_id": "w2", "runs": [ending]}, expect=200)
    assert refused["items"][0]["status"] is None
    assert refused["items"][0]["problem"]["status"] == 409
    assert owner.get(f"/api/v1/runs/{run['id']}")["status"] == "running"  # untouched
    unknown = "00000000-0000-4000-8000-000000000000"
    worker.post(f"{WK}/runs/{unknown}/steps", record, expect=404)


def test_an_expired_lease_is_refused_and_the_run_moves_on(admin: Api, app_client: Any) -> None:
    owner, worker, _ = _project(admin, "acme")
    workflow_id = _register(worker)
    run = owner.post("/api/v1/workflows/echo/runs", {}, expect=201)
    assert _claim(worker, workflow_id, lease_seconds=1)
    time.sleep(1.2)
    assert app_client.app.state.services.execution.housekeeping().requeued == 1
    record = {"worker_id": "w1", "steps": [{"seq": 1, "name": "s", "status": "completed"}]}
    problem = worker.post(f"{WK}/runs/{run['id']}/steps", record, expect=409)
    assert (problem["code"], problem["status"]) == ("lease_lost", 409)
    assert "drop it" in problem["detail"]
    beat = worker.post(f"{WK}/heartbeat", {"worker_id": "w1", "run_ids": [run["id"]]}, expect=200)
    assert beat == {"held": {}, "lost": [run["id"]]}
    again = owner.get(f"/api/v1/runs/{run['id']}")
    assert (again["status"], again["attempt"], again["steps"]) == ("queued", 2, [])


def test_log_batches_over_a_thousand_lines_are_refused_with_413(admin: Api) -> None:
    owner, worker, _ = _project(admin, "acme")
    _register(worker)
    run = owner.post("/api/v1/workflows/echo/runs", {}, expect=201)
    lines = [{"run_id": run["id"], "message": f"line {n}"} for n in range(1001)]
    problem = worker.post(f"{WK}/logs", {"lines": lines}, expect=413)
    assert "at most 1,000" in problem["detail"]
    done = worker.post(f"{WK}/logs", {"lines": lines[:1000]}, expect=200)
    assert done == {"accepted": 1000, "dropped": 0, "unknown_runs": []}
    own = [{"message": "x"}] * 1001
    owner.post(f"/api/v1/runs/{run['id']}/logs", {"lines": own}, expect=413)


def test_registering_one_workflow_from_many_workers_at_once_is_idempotent(admin: Api) -> None:
    owner, worker, _ = _project(admin, "acme")
    found: list[str] = []
    failures: list[Any] = []

    def register(definition: dict[str, Any]) -> None:
        try:
            found.append(_register(worker, "shared", **definition))
        except AssertionError as exc:
            failures.append(exc)

    for definition in ({}, {"retries": 2}):  # the first registration, then a new version
        threads = [threading.Thread(target=register, args=(definition,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert len(found) == 16
    assert len(set(found)) == 1
    workflow = owner.get("/api/v1/workflows/shared")
    assert (workflow["version"], workflow["definition"]) == (2, {"retries": 2})
