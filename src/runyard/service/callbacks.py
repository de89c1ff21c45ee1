"""Delivering completion callbacks (``webhook_callback_url``), retried with back-off.

The outbox row is written by the transaction that ends the run, so a callback is never
lost to a crash; delivery is at least once. A process takes due rows by pushing their
next attempt a minute out (no other process sends them meanwhile), POSTs each outside
any transaction, then records the outcome.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx

from runyard.core.models import Run
from runyard.core.times import Clock, to_rfc3339
from runyard.store import callback_rows, run_rows
from runyard.store.callback_rows import Callback
from runyard.store.database import Database

log = logging.getLogger("runyard.callbacks")
MAX_ATTEMPTS = 10
TAKEN_FOR = timedelta(minutes=1)


def backoff(attempts: int) -> timedelta:
    """After ``attempts`` failed deliveries: 2 s, 4 s, 8 s ... at most an hour."""
    return timedelta(seconds=min(2**attempts, 3600))


def payload(run: Run) -> dict[str, Any]:
    return {
        "event": "run.finished",
        "run": {
            "id": run.id,
            "workflow_id": run.workflow_id,
            "workflow_version": run.workflow_version,
            "status": run.status.value,
            "attempt": run.attempt,
            "result": run.result,
            "error": run.error,
            "trigger_type": run.trigger_type.value,
            "tags": run.tags,
            "created_at": to_rfc3339(run.created_at),
            "started_at": to_rfc3339(run.started_at),
            "finished_at": to_rfc3339(run.finished_at),
        },
    }


class CallbackService:
    def __init__(self, db: Database, clock: Clock, http: httpx.Client | None = None) -> None:
        self.db = db
        self.clock = clock
        self.http = http or httpx.Client(timeout=5.0, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def deliver_due(self, batch: int = 20) -> int:
        """Attempt every due callback once; returns how many were delivered."""
        now = self.clock()
        with self.db.write() as conn:
            due = callback_rows.take_due(conn, now, now + TAKEN_FOR, batch)
            runs = {c.id: run_rows.run_pk_and_record(conn, c.project_id, c.run_id) for c in due}
        delivered = 0
        for callback in due:
            found = runs[callback.id]
            error = "the run no longer exists" if found is None else self._send(callback, found[1])
            delivered += error is None
            self._settle(callback, error)
        return delivered

    def _send(self, callback: Callback, run: Run) -> str | None:
        headers = {"X-Runyard-Event": "run.finished", "X-Runyard-Delivery": str(callback.id)}
        try:
            response = self.http.post(callback.url, json=payload(run), headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    def _settle(self, callback: Callback, error: str | None) -> None:
        now = self.clock()
        gave_up = error is not None and callback.attempts + 1 >= MAX_ATTEMPTS
        retry_at = None if error is None or gave_up else now + backoff(callback.attempts + 1)
        if gave_up:
            log.warning("callback %s to %s given up: %s", callback.id, callback.url, error)
        with self.db.write() as conn:
            callback_rows.settle(
                conn, callback, delivered_at=None if error else now, error=error, retry_at=retry_at
            )
