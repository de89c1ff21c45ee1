"""Workflows executed by a worker, on both databases and over both transports (in-process
over the database, and over a real server's worker routes with a worker key): steps,
outcomes, waits, children, control and recovery."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from runyard.core.errors import LeaseLost
from runyard.core.models import Role, Run, Step
from runyard.core.query import RunQuery
from runyard.core.statuses import RunStatus
from runyard.service.access import Principal
from runyard.service.execution import ExecutionService
from runyard.service.housekeeping import Housekeeper
from runyard.service.inputs import TriggerIn
from runyard.service.metrics import Metrics
from runyard.service.runs import RunService
from runyard.service.services import Services
from runyard.store.database import Database
from runyard.worker import App, Context, WorkflowError, workflow
from runyard.worker.runner import Worker
from tests.worker.conftest import Transports

S = RunStatus
CALLS: dict[str, int] = {}
RELEASE = threading.Event()


def count(name: str) -> str:
    CALLS[name] = CALLS.get(name, 0) + 1
    return name


@workflow(title="Three steps")
def three_steps(ctx: Context, customer_id: str, n: int = 2) -> dict[str, Any]:
    a = ctx.step("fetch", count, f"fetch-{customer_id}")
    b = ctx.step("double", lambda: n * 2)
    ctx.progress(50)
    c = ctx.step("store", count, f"store-{customer_id}")
    return {"a": a, "b": b, "c": c}


@workflow(retries=2, backoff=0.05)
def flaky(ctx: Context, fail_times: int) -> str:
    ctx.step("prepare", count, f"prepare-{ctx.run_id}")
    if ctx.attempt <= fail_times:
        ctx.step("login", _refuse)
    return f"ok on attempt {ctx.attempt}"


def _refuse() -> None:
    raise WorkflowError("password refused", "LOGIN_FAILED")


@workflow()
def doomed(ctx: Context) -> None:
    raise WorkflowError("no such customer", "UNKNOWN_CUSTOMER", retryable=False)


@workflow()
def sleeper(ctx: Context) -> str:
    ctx.step("before", count, f"before-{ctx.run_id}")
    ctx.sleep(0.3)
    return "rested"


@workflow()
def approval(ctx: Context, order: str) -> Any:
    decision = ctx.wait_for_event(f"approve:{order}")
    return {"decision": decision}


@workflow()
def parent(ctx: Context) -> Any:
    first = ctx.child("three-steps", {"customer_id": "kid"})
    return {"child": first}


@workflow()
def blocking(ctx: Context) -> str:
    ctx.step("wait", RELEASE.wait, 10)
    ctx.step("after", count, f"after-{ctx.run_id}")
    return "done"


@workflow(timeout=0.5)
def slow(ctx: Context) -> str:
    ctx.step("nap", time.sleep, 2)
    ctx.step("late", count, "late")
    return "too late"


APP = App(three_steps, flaky, doomed, sleeper, approval, parent, blocking, slow)


def _worker(transports: Transports, project_id: str, concurrency: int = 3) -> Worker:
    return Worker(
        transports.make(project_id),
        APP,
        concurrency=concurrency,
        lease=timedelta(seconds=2),
        metrics=Metrics(),
    )


@pytest.fixture
def world(
    db: Database, transports: Transports
) -> Iterator[tuple[Principal, RunService, ExecutionService, Worker]]:
    CALLS.clear()
    RELEASE.clear()
    services = Services.build(db)
    project = services.projects.bootstrap(None)
    admin = Principal(project.id, Role.ADMIN)
    housekeeper = Housekeeper(services)  # as runyard serve (or a database-direct worker) runs
    housekeeper.start()
    worker = _worker(transports, project.id)
    worker.start()
    yield admin, services.runs, services.execution, worker
    RELEASE.set()
    worker.stop(grace_seconds=5)
    housekeeper.stop()


def _trigger(runs: RunService, admin: Principal, name: str, **data: Any) -> Run:
    return runs.trigger(admin, name, TriggerIn(input=data))[0]


def _until(
    runs: RunService, admin: Principal, run_id: str, done: Callable[[Run], bool], within: float = 15
) -> Run:
    deadline = time.monotonic() + within
    while True:
        run = runs.get(admin, run_id)
        if done(run):
            return run
        assert time.monotonic() < deadline, f"run is {run.status}, steps {run.steps}"
        time.sleep(0.02)


def _ended(run: Run) -> bool:
    return run.status.is_terminal


def _steps(run: Run) -> list[tuple[str, str]]:
    return [(s.name, s.status.value) for s in run.steps or ()]


def test_steps_are_recorded_and_the_result_kept(world: Any) -> None:
    admin, runs, _, _ = world
    run = _trigger(runs, admin, "three-steps", customer_id="C1", n=4)
    done = _until(runs, admin, run.id, _ended)
    assert done.status is S.COMPLETED
    assert done.result == {"a": "fetch-C1", "b": 8, "c": "store-C1"}
    assert _steps(done) == [("fetch", "completed"), ("double", "completed"), ("store", "completed")]
    assert (done.progress, done.attempt) == (100, 1)
    assert done.started_at is not None
    assert done.finished_at is not None
    history = runs.history(admin, run.id)
    assert [(h.status, h.attempt) for h in history] == [
        ("queued", 1),
        ("running", 1),
        ("completed", 1),
    ]
    assert [h.at for h in history] == sorted(h.at for h in history)
    assert history[-1].at == done.finished_at


def test_retries_back_off_and_errors_are_findable_by_code(world: Any) -> None:
    admin, runs, _, _ = world
    recovered = _trigger(runs, admin, "flaky", fail_times=1)
    exhausted = _trigger(runs, admin, "flaky", fail_times=5)
    ok = _until(runs, admin, recovered.id, _ended)
    assert (ok.status, ok.attempt, ok.result) == (S.COMPLETED, 2, "ok on attempt 2")
    assert CALLS[f"prepare-{recovered.id}"] == 1  # recorded on attempt 1, replayed on 2
    failed = _until(runs, admin, exhausted.id, _ended)
    assert (failed.status, failed.attempt, failed.error) == (S.FAILED, 3, "password refused")
    # Both met the error (the recovered run on its first attempt): history is kept.
    found = runs.page(RunQuery(admin.project_id, error_codes=("LOGIN_FAILED",))).runs
    assert {r.id for r in found} == {recovered.id, exhausted.id}
    assert ("login", "failed") in _steps(ok)


def test_a_non_retryable_error_outside_a_step_is_recorded_with_its_code(world: Any) -> None:
    admin, runs, _, _ = world
    run = _until(runs, admin, _trigger(runs, admin, "doomed").id, _ended)
    assert (run.status, run.attempt) == (S.FAILED, 1)
    assert run.steps
    assert run.steps[-1].errors[0].error_code == "UNKNOWN_CUSTOMER"
    missing = _until(runs, admin, _trigger(runs, admin, "three-steps").id, _ended)
    assert missing.steps
    assert missing.steps[-1].errors[0].error_code == "INVALID_INPUT"


def test_a_durable_sleep_parks_the_run_and_resumes_it(world: Any) -> None:
    admin, runs, _, _ = world
    run = _trigger(runs, admin, "sleeper")
    parked = _until(runs, admin, run.id, lambda r: r.status is S.WAITING)
    assert _steps(parked)[-1] == ("sleep", "waiting")
    done = _until(runs, admin, run.id, _ended)
    assert (done.status, done.result) == (S.COMPLETED, "rested")
    assert CALLS[f"before-{run.id}"] == 1


def test_waiting_for_an_event(world: Any) -> None:
    admin, runs, execution, _ = world
    run = _trigger(runs, admin, "approval", order="A-1")
    _until(runs, admin, run.id, lambda r: r.status is S.WAITING)
    assert execution.publish(admin, "approve:B-2", "no") == 0
    assert execution.publish(admin, "approve:A-1", {"by": "anna"}) == 1
    done = _until(runs, admin, run.id, _ended)
    assert done.result == {"decision": {"by": "anna"}}


def test_a_child_workflow_runs_under_its_parent(world: Any) -> None:
    admin, runs, _, _ = world
    run = _trigger(runs, admin, "parent")
    done = _until(runs, admin, run.id, _ended)
    assert done.status is S.COMPLETED
    assert done.result == {"child": {"a": "fetch-kid", "b": 4, "c": "store-kid"}}
    children = runs.page(RunQuery(admin.project_id, parent_run_id=run.id)).runs
    assert len(children) == 1
    assert children[0].root_run_id == run.id


def test_cancel_takes_effect_at_the_next_step_boundary(world: Any) -> None:
    admin, runs, _, _ = world
    run = _trigger(runs, admin, "blocking")
    _until(runs, admin, run.id, lambda r: _steps(r)[:1] == [("wait", "running")])
    assert runs.cancel(admin, run.id).status is S.CANCELING
    time.sleep(1.0)  # a heartbeat (every lease/3) tells the worker
    RELEASE.set()
    done = _until(runs, admin, run.id, _ended)
    assert done.status is S.CANCELED
    assert f"after-{run.id}" not in CALLS


def test_a_timeout_ends_the_run_as_timed_out(world: Any) -> None:
    admin, runs, _, _ = world
    run = _until(runs, admin, _trigger(runs, admin, "slow").id, _ended)
    assert run.status is S.TIMED_OUT
    time.sleep(2)
    assert "late" not in CALLS


def test_a_run_whose_worker_vanished_resumes_after_its_last_recorded_step(
    transports: Transports, world: Any
) -> None:
    admin, runs, execution, worker = world
    worker.stop(grace_seconds=1)  # take the live worker away; a "ghost" claims instead
    run = _trigger(runs, admin, "three-steps", customer_id="G")
    ghost = Principal(admin.project_id, Role.WORKER)
    claims = execution.claim(ghost, "ghost", [run.workflow_id], lease=timedelta(milliseconds=200))
    assert [c.run.id for c in claims] == [run.id]
    first = Step(1, "fetch", S.COMPLETED, output="fetch-G(recorded)")
    execution.record(ghost, "ghost", run.id, [first])
    time.sleep(0.3)  # the ghost never renews: its lease expires
    execution.housekeeping()  # (or the housekeeper's next pass) requeues the run
    _until(runs, admin, run.id, lambda r: (r.status, r.attempt) == (S.QUEUED, 2))
    successor = _worker(transports, admin.project_id, concurrency=1)
    successor.start()
    try:
        done = _until(runs, admin, run.id, _ended)
    finally:
        successor.stop(grace_seconds=2)
    assert (done.status, done.attempt) == (S.COMPLETED, 2)
    assert [(h.status, h.attempt) for h in runs.history(admin, run.id)] == [
        ("queued", 1),
        ("running", 1),
        ("queued", 2),
        ("running", 2),
        ("completed", 2),
    ]
    assert done.result == {"a": "fetch-G(recorded)", "b": 4, "c": "store-G"}
    assert "fetch-G" not in CALLS  # the recorded step did not run again
    with pytest.raises(LeaseLost, match="not held by worker 'ghost'"):
        execution.record(ghost, "ghost", run.id, [first])


def test_a_run_that_depends_on_another_starts_once_that_one_ended(world: Any) -> None:
    admin, runs, _, _ = world
    first = _trigger(runs, admin, "blocking")
    body = TriggerIn.model_validate({"input": {"customer_id": "D"}, "depends_on_run_id": first.id})
    second = runs.trigger(admin, "three-steps", body)[0]
    _until(runs, admin, first.id, lambda r: r.status is S.RUNNING)
    time.sleep(0.5)
    assert runs.get(admin, second.id).status is S.QUEUED  # held back while the first runs
    RELEASE.set()
    done = _until(runs, admin, second.id, _ended)
    assert done.status is S.COMPLETED
    first_done = runs.get(admin, first.id)
    assert first_done.finished_at is not None
    assert done.started_at is not None
    assert done.started_at >= first_done.finished_at
    unknown = TriggerIn.model_validate(
        {"depends_on_run_id": "00000000-0000-4000-8000-000000000000"}
    )
    with pytest.raises(Exception, match="does not exist"):
        runs.trigger(admin, "three-steps", unknown)


def test_metrics_count_what_the_worker_did(world: Any) -> None:
    admin, runs, _, worker = world
    _until(runs, admin, _trigger(runs, admin, "three-steps", customer_id="M").id, _ended)
    # The worker counts an ending once the server has acknowledged it, which is just after
    # the run reads as ended here.
    finished = 'runyard_runs_finished_total{status="completed"} 1.0'
    deadline = time.monotonic() + 5
    while finished not in (text := worker.metrics.exposition().decode()):
        assert time.monotonic() < deadline, text
        time.sleep(0.02)
    assert "runyard_claim_latency_seconds_count 1.0" in text
    assert 'runyard_step_duration_seconds_count{workflow="three-steps"} 3.0' in text


def test_pause_stops_at_a_step_boundary_and_resume_continues_after_recorded_steps(
    world: Any,
) -> None:
    admin, runs, _, _ = world
    run = _trigger(runs, admin, "blocking")
    _until(runs, admin, run.id, lambda r: _steps(r)[:1] == [("wait", "running")])
    assert runs.pause(admin, run.id).status is S.PAUSED
    time.sleep(1.0)  # a heartbeat tells the worker
    RELEASE.set()  # the step returns; the worker stops before the next one
    time.sleep(1.0)
    paused = runs.get(admin, run.id)
    assert paused.status is S.PAUSED
    assert f"after-{run.id}" not in CALLS
    assert runs.resume(admin, run.id).status is S.QUEUED
    done = _until(runs, admin, run.id, _ended)
    assert (done.status, done.result) == (S.COMPLETED, "done")
    assert CALLS[f"after-{run.id}"] == 1
