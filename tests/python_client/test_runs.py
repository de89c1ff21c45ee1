"""Runs through ``Client``: find, page, count, trigger, report, act, import, prune."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from runyard.client import (
    Client,
    IllegalTransition,
    InvalidInput,
    NotFound,
    Run,
    RunStatus,
    WaitTimeout,
)
from tests.python_client.conftest import Server, make_workflow, run_id


def _corpus(client: Client) -> dict[str, dict[str, Any]]:
    make_workflow(client, "invoice-agent")
    make_workflow(client, "crm-sync")
    runs = [
        {
            "id": run_id(1),
            "workflow_id": "invoice-agent",
            "status": "completed",
            "created_at": "2026-04-01T00:00:00Z",
            "started_at": "2026-04-01T00:00:01Z",
            "finished_at": "2026-04-01T00:00:31Z",
            "trigger_type": "scheduled",
            "input": {"customer_id": "CUST-0001"},
            "tags": {"env": "prod"},
            "credential_id": "cred-1",
        },
        {
            "id": run_id(2),
            "workflow_id": "invoice-agent",
            "status": "failed",
            "created_at": "2026-04-02T00:00:00Z",
            "started_at": "2026-04-02T00:00:01Z",
            "finished_at": "2026-04-02T00:00:03Z",
            "triggered_by": "anna@acme.com",
            "input": {"customer_id": "CUST-0002"},
            "tags": {"env": "staging"},
            "steps": [
                {
                    "name": "login",
                    "status": "failed",
                    "errors": [
                        {"error_code": "LOGIN_FAILED", "message": "bad", "screenshot": "s3://x"}
                    ],
                }
            ],
        },
        {
            "id": run_id(3),
            "workflow_id": "crm-sync",
            "status": "running",
            "created_at": "2026-04-03T00:00:00Z",
            "started_at": "2026-04-03T00:00:05Z",
            "is_test": True,
            "parent_run_id": run_id(1),
            "root_run_id": run_id(1),
        },
        {
            "id": run_id(4),
            "workflow_id": "crm-sync",
            "status": "queued",
            "created_at": "2026-04-04T00:00:00Z",
            "trigger_type": "webhook",
        },
    ]
    result = client.import_runs(runs, batch=3)  # two requests
    assert (result.imported, result.skipped) == (4, 0)
    return {r["id"]: r for r in runs}


def _ids(runs: Any) -> list[str]:
    return [r.id[-1] for r in runs]


def test_every_filter_reaches_the_query(client: Client) -> None:
    _corpus(client)
    april_2 = datetime(2026, 4, 2, tzinfo=UTC)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({}, ["4", "3", "2", "1"]),
        ({"workflow": "invoice-agent"}, ["2", "1"]),
        ({"workflow_id": ["crm-sync", "invoice-agent"], "status": "failed"}, ["2"]),
        ({"status": [RunStatus.COMPLETED, "queued"]}, ["4", "1"]),
        ({"workflow_type": "agent", "trigger_type": "webhook"}, ["4"]),
        ({"created_after": april_2, "created_before": "2026-04-04T00:00:00Z"}, ["3", "2"]),
        ({"triggered_by": "anna@acme.com"}, ["2"]),
        ({"credential_id": ["cred-1", "cred-2"]}, ["1"]),
        ({"error_code": "LOGIN_FAILED"}, ["2"]),
        ({"tag": "env=prod"}, ["1"]),
        ({"tag": "env"}, ["2", "1"]),
        ({"search": "cust-0002"}, ["2"]),
        ({"parent_run_id": run_id(1)}, ["3"]),
        ({"root_run_id": run_id(1)}, ["3", "1"]),  # a top-level run is its own root
        ({"is_test": True}, ["3"]),
        ({"has_parent": False}, ["4", "2", "1"]),
        ({"requeued": False, "status": "queued"}, ["4"]),
        ({"sort": "created_at:asc"}, ["1", "2", "3", "4"]),
        ({"sort": "-duration", "status": ["completed", "failed"]}, ["1", "2"]),
        ({"offset": 1, "limit": 2}, ["3", "2"]),
    ]
    for filters, expected in cases:
        assert _ids(client.list_runs(**filters).items) == expected, filters
        if "offset" not in filters:  # a page of one run at a time: the same runs
            walk = {**filters, "limit": 1}
            assert _ids(client.iter_runs(**walk)) == expected, filters


def test_a_page_counts_and_carries_typed_runs(client: Client) -> None:
    sent = _corpus(client)
    page = client.list_runs(status="failed", include_total=True)
    assert (page.total, page.total_exact, page.has_more, page.next_cursor) == (1, True, False, None)
    run = page.items[0]
    assert isinstance(run, Run)
    assert run.status is RunStatus.FAILED
    assert run.created_at == datetime(2026, 4, 2, tzinfo=UTC)
    assert run.created_at.tzinfo is UTC
    assert run.duration_seconds == 2.0
    assert run.input == sent[run_id(2)]["input"]
    assert run.steps is None  # lists leave steps out
    assert run.ended
    # The raw JSON is the server's, timestamps' text and all.
    assert run.raw["created_at"] == "2026-04-02T00:00:00.000000Z"
    assert page.raw["items"][0] is run.raw
    with pytest.raises(InvalidInput) as bad:
        client.list_runs(created_after=datetime(2026, 4, 2))  # naive: refused before sending
    assert bad.value.errors[0].loc == ("query", "created_after")
    assert bad.value.status is None


def test_iter_runs_walks_every_page_without_skips_or_repeats(client: Client) -> None:
    make_workflow(client)
    base = datetime(2026, 5, 1, tzinfo=UTC)
    # 57 runs, many sharing one created_at: the cursor must break ties by id.
    runs = [
        {
            "id": run_id(n),
            "workflow_id": "invoice-agent",
            "status": "completed",
            "created_at": (base + timedelta(seconds=n // 7)).isoformat(),
        }
        for n in range(1, 58)
    ]
    client.import_runs(runs)
    for sort in ("-created_at", "created_at:asc", "+duration"):
        walked = [r.id for r in client.iter_runs(limit=10, sort=sort)]
        assert len(walked) == 57
        assert set(walked) == {r["id"] for r in runs}
        # The same order as one page of everything.
        assert walked == [r.id for r in client.list_runs(limit=100, sort=sort).items]
    # By hand: cursor after cursor.
    seen: list[str] = []
    page = client.list_runs(limit=25, status="completed")
    while True:
        seen += [r.id for r in page.items]
        if not page.has_more:
            break
        assert page.next_cursor is not None
        page = client.list_runs(limit=25, status="completed", cursor=page.next_cursor)
    assert sorted(seen) == sorted(r["id"] for r in runs)
    assert len(seen) == 57


def test_count_and_stats(client: Client) -> None:
    _corpus(client)
    counted = client.count_runs(workflow="invoice-agent")
    assert (counted.count, counted.exact) == (2, True)
    assert client.count_runs(status="failed", exact=True).count == 1
    assert client.count_runs(search="cust-000").count == 2
    stats = client.stats(bucket="1d", created_after="2026-04-01T00:00:00Z")
    assert stats.bucket == "1d"
    assert stats.totals == {"completed": 1, "failed": 1, "running": 1, "queued": 1}
    assert [b.start.day for b in stats.buckets if b.counts] == [1, 2, 3, 4]


def test_get_run_has_steps_and_their_errors(client: Client) -> None:
    _corpus(client)
    run = client.get_run(run_id(2))
    assert run.steps is not None
    (step,) = run.steps
    assert (step.name, step.status, step.seq) == ("login", RunStatus.FAILED, 1)
    (error,) = step.errors
    assert (error.error_code, error.message) == ("LOGIN_FAILED", "bad")
    assert error.model_extra == {"screenshot": "s3://x"}
    with pytest.raises(NotFound) as missing:
        client.get_run(run_id(99))
    assert missing.value.status == 404


def test_trigger_report_and_steps(client: Client) -> None:
    make_workflow(client)
    run = client.trigger(
        "invoice-agent",
        {"customer_id": "CUST-7"},
        trigger_type="manual",
        tags={"env": "prod"},
        is_test=True,
        triggered_by="ops",
    )
    assert (run.status, run.trigger_type, run.workflow_name) == (
        RunStatus.QUEUED,
        "manual",
        "invoice-agent",
    )
    assert (run.input, run.tags, run.is_test, run.triggered_by) == (
        {"customer_id": "CUST-7"},
        {"env": "prod"},
        True,
        "ops",
    )
    # The same key: the same run; no key: a new one each time.
    first = client.trigger("invoice-agent", idempotency_key="order-1")
    assert client.trigger("invoice-agent", idempotency_key="order-1").id == first.id
    assert client.trigger("invoice-agent").id != client.trigger("invoice-agent").id
    assert client.report(run.id, status="running", progress=40).progress == 40
    step = client.add_step(
        run.id, "fetch", status="failed", errors=[{"error_code": "E_FETCH", "message": "no"}]
    )
    assert (step.seq, step.errors[0].error_code) == (1, "E_FETCH")
    done = client.report(run.id, status="failed", error="could not fetch")
    assert (done.status, done.error) == (RunStatus.FAILED, "could not fetch")
    assert [r.id for r in client.iter_runs(error_code="E_FETCH")] == [run.id]
    with pytest.raises(IllegalTransition) as illegal:
        client.report(run.id, status="running")
    assert illegal.value.status == 409
    assert illegal.value.problem is not None
    assert illegal.value.problem["code"] == "illegal_transition"


def test_actions_cancel_pause_resume_terminate_retry(client: Client) -> None:
    make_workflow(client)
    run = client.trigger("invoice-agent")
    assert client.pause(run.id).status is RunStatus.PAUSED
    assert client.resume(run.id).status is RunStatus.QUEUED
    assert client.cancel(run.id).status is RunStatus.CANCELED
    again = client.retry(run.id, idempotency_key="retry-1")
    assert (again.source_run_id, again.status) == (run.id, RunStatus.QUEUED)
    assert client.retry(run.id, idempotency_key="retry-1").id == again.id
    assert client.terminate(again.id).status is RunStatus.TERMINATED
    assert client.retry(again.id).id != client.retry(again.id).id


def test_wait_returns_the_run_another_caller_finishes(client: Client) -> None:
    make_workflow(client)
    run = client.trigger("invoice-agent")

    def executor() -> None:
        time.sleep(0.3)
        client.report(run.id, status="running")
        time.sleep(0.2)
        client.report(run.id, status="completed", result={"invoices": 2})

    worker = threading.Thread(target=executor)
    worker.start()
    started = time.monotonic()
    try:
        done = client.wait(run.id, timeout=20)
    finally:
        worker.join()
    assert (done.status, done.result) == (RunStatus.COMPLETED, {"invoices": 2})
    assert time.monotonic() - started >= 0.5
    assert client.wait(run.id).status is RunStatus.COMPLETED  # already ended: at once


def test_wait_times_out_with_the_run_as_last_seen(client: Client) -> None:
    make_workflow(client)
    run = client.trigger("invoice-agent")
    started = time.monotonic()
    with pytest.raises(WaitTimeout) as late:
        client.wait(run.id, timeout=0.4)
    waited = time.monotonic() - started
    assert 0.4 <= waited < 3
    assert late.value.run.status is RunStatus.QUEUED
    assert late.value.status is None
    assert f"run {run.id} is still queued" in str(late.value)


def test_import_is_idempotent_and_prune_deletes_old_ended_runs(client: Client) -> None:
    _corpus(client)
    known = [{"id": run_id(1), "workflow_id": "invoice-agent", "status": "completed"}]
    assert client.import_runs(known).skipped == 1
    with pytest.raises(InvalidInput) as bad:
        client.import_runs([{"id": "nope", "workflow_id": "invoice-agent"}])
    assert bad.value.errors[0].loc[:3] == ("body", "runs", 0)
    with pytest.raises(ValueError, match="batch"):
        client.import_runs([], batch=0)
    counted = client.prune(timedelta(days=30), dry_run=True)
    assert (counted.matched, counted.deleted, counted.dry_run) == (2, 0, True)
    done = client.prune("30d")
    assert (done.deleted, done.more) == (2, False)
    assert sorted(_ids(client.iter_runs())) == ["3", "4"]  # live runs stay


def test_the_raw_request_reaches_what_the_typed_methods_do_not(client: Client) -> None:
    make_workflow(client)
    schedule = client.request(
        "POST", "/api/v1/workflows/invoice-agent/schedules", json={"cron": "0 9 * * *"}
    )
    assert schedule["cron"] == "0 9 * * *"
    listed = client.request("GET", "/api/v1/runs", params={"status": ["queued", "failed"]})
    assert listed["items"] == []
    assert client.request("DELETE", "/api/v1/workflows/invoice-agent") is None


def test_the_sync_client_may_be_shared_by_threads(server: Server) -> None:
    client = server.client
    make_workflow(client)
    made: list[str] = []

    def trigger_some() -> None:
        made.extend(client.trigger("invoice-agent").id for _ in range(5))

    threads = [threading.Thread(target=trigger_some) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 20
    assert client.count_runs().count == 20
