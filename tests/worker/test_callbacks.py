"""Completion callbacks: written with the run's end, delivered, retried with back-off."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from runyard.core.models import Role
from runyard.core.times import utcnow
from runyard.service.access import Principal
from runyard.service.callbacks import MAX_ATTEMPTS, CallbackService
from runyard.service.inputs import TriggerIn, WorkflowIn
from runyard.service.projects import ProjectService
from runyard.service.runs import RunService
from runyard.service.workflows import WorkflowService
from runyard.store import callback_rows
from runyard.store.database import Database


class Receiver:
    """A local HTTP endpoint that fails the first ``failures`` deliveries with 500."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.received.append((dict(self.headers), body))
                failing = len(receiver.received) <= receiver.failures
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/done"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def setup(db: Database) -> Iterator[tuple[Principal, RunService]]:
    project = ProjectService(db, utcnow).bootstrap(None)
    admin = Principal(project.id, Role.ADMIN)
    WorkflowService(db, utcnow).create_or_version(admin, WorkflowIn(name="wf"))
    return admin, RunService(db, utcnow)


def _run_with_callback(admin: Principal, runs: RunService, url: str) -> str:
    body = TriggerIn.model_validate({"webhook_callback_url": url})
    run = runs.trigger(admin, "wf", body)[0]
    runs.cancel(admin, run.id)  # queued -> canceled: the run ends, the callback is due
    return run.id


def test_a_finished_run_calls_back_until_delivered(
    db: Database, setup: tuple[Principal, RunService]
) -> None:
    admin, runs = setup
    receiver = Receiver(failures=2)
    run_id = _run_with_callback(admin, runs, receiver.url)
    clock = Clock()
    callbacks = CallbackService(db, clock)
    assert callbacks.deliver_due() == 0  # attempt 1: 500
    assert callbacks.deliver_due() == 0  # not due again yet
    assert len(receiver.received) == 1
    clock.now += timedelta(seconds=3)
    assert callbacks.deliver_due() == 0  # attempt 2: 500
    clock.now += timedelta(seconds=5)
    assert callbacks.deliver_due() == 1  # attempt 3: delivered
    clock.now += timedelta(hours=2)
    assert callbacks.deliver_due() == 0  # never again
    headers, body = receiver.received[-1]
    assert len(receiver.received) == 3
    assert headers["X-Runyard-Event"] == "run.finished"
    assert (body["run"]["id"], body["run"]["status"]) == (run_id, "canceled")
    with db.read() as conn:
        [row] = callback_rows.of_run(conn, admin.project_id, run_id)
    assert (row["attempts"], row["last_error"], row["next_attempt_at"]) == (3, None, None)
    assert row["delivered_at"] is not None
    callbacks.close()
    receiver.server.shutdown()
    receiver.server.server_close()


def test_an_unreachable_callback_is_given_up_after_the_last_attempt(
    db: Database, setup: tuple[Principal, RunService]
) -> None:
    admin, runs = setup
    run_id = _run_with_callback(admin, runs, "http://127.0.0.1:9/nothing-listens")
    clock = Clock()
    callbacks = CallbackService(db, clock)
    for _ in range(MAX_ATTEMPTS + 2):
        callbacks.deliver_due()
        clock.now += timedelta(hours=2)
    with db.read() as conn:
        [row] = callback_rows.of_run(conn, admin.project_id, run_id)
    assert row["attempts"] == MAX_ATTEMPTS
    assert row["delivered_at"] is None
    assert row["next_attempt_at"] is None
    assert "Connect" in str(row["last_error"])
    callbacks.close()


def test_runs_without_a_callback_url_queue_nothing(
    db: Database, setup: tuple[Principal, RunService]
) -> None:
    admin, runs = setup
    run = runs.trigger(admin, "wf", TriggerIn())[0]
    runs.cancel(admin, run.id)
    callbacks = CallbackService(db, Clock())
    assert callbacks.deliver_due() == 0
    callbacks.close()
