"""``HttpTransport``: a worker's calls sent to a runyard server over the worker routes
(``/api/v1/worker/...``), holding only a project key.

While the server cannot be reached (restarting, the network cut), a call is tried again
with back-off until it can, and the worker's log says so once, and once more when the
server answers again. What the server refuses (a lost lease, a bad request) is raised
at once as its ``RunyardError``. A waiting claim is a long poll: the server answers as
soon as a run is queued. ``interrupt`` (the worker is stopping) cancels a waiting claim
(its connection is closed, so the server claims nothing more for it), and calls still
retrying give up after ``STOP_PATIENCE`` seconds.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

import runyard
from runyard.client.errors import ServerError, error_from_response, unreachable
from runyard.core.errors import RateLimited, Unavailable
from runyard.core.execution import Claim, Ended, Ending
from runyard.core.logs import LogLine
from runyard.core.models import Run, Step
from runyard.core.statuses import RunStatus
from runyard.core.step_json import step_to_json
from runyard.core.times import to_rfc3339
from runyard.worker import wire
from runyard.worker.direct import owner_name
from runyard.worker.transport import Outage

LONG_POLL = 20.0  # seconds a claim waits at the server for a run at most
STOP_PATIENCE = 30.0  # seconds calls still retry once the worker is stopping
RETRYABLE_STATUSES = (502, 503, 504)  # a restarting server, or a proxy in front of it


class HttpTransport:
    def __init__(
        self, url: str, api_key: str, *, project: str | None = None, timeout: float = 30.0
    ) -> None:
        self.url = url.rstrip("/")
        self.owner = owner_name()
        self.outage = Outage(f"runyard at {self.url}")
        headers = {
            "Authorization": f"Bearer {api_key}",
            "User-Agent": f"runyard-worker/{runyard.__version__}",
        }
        if project:
            headers["X-Project-ID"] = project
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)
        # Claims wait at the server, on a loop of their own so that ``interrupt`` can
        # cancel one from another thread (a blocking request cannot be).
        self._loop = asyncio.new_event_loop()
        self._claims = httpx.AsyncClient(
            base_url=self.url, headers=headers, timeout=timeout + LONG_POLL
        )
        self._claim_task: asyncio.Task[httpx.Response] | None = None
        self._stopping_since: float | None = None
        self._stop_lock = threading.Lock()

    # -- calls -----------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        retry: bool = True,
        send: Callable[[], httpx.Response] | None = None,
        stop: threading.Event | None = None,
    ) -> Any:
        """The decoded answer (None for 204). Transport failures and 502-504/429 answers
        are tried again with back-off (``retry``), until ``stop`` or the stop patience."""
        for attempt in range(1_000_000):
            sent_at = time.monotonic()
            try:
                response = send() if send else self.http.request(method, path, json=body)
            except httpx.TransportError as exc:
                error: Unavailable | RateLimited = unreachable(self.url, exc)
            else:
                if response.status_code < 400:
                    self.outage.ended(sent_at)
                    return response.json() if response.content else None
                found = error_from_response(response)
                if isinstance(found, ServerError) and found.status in RETRYABLE_STATUSES:
                    found = Unavailable(found.detail)
                if not isinstance(found, Unavailable | RateLimited):
                    self.outage.ended(sent_at)  # it answered, if only to refuse
                    raise found  # a lost lease, a bad request, a revoked key...
                error = found
            if not retry or self._given_up() or (stop is not None and stop.is_set()):
                raise error
            self.outage.failed(
                error if isinstance(error, Unavailable) else Unavailable(error.detail)
            )
            pause = min(0.1 * 2**attempt, 5.0) * random.uniform(0.5, 1.0)
            if isinstance(error, RateLimited):
                pause = max(pause, float(error.retry_after_seconds))
            if stop is not None:
                stop.wait(pause)
            else:
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _given_up(self) -> bool:
        with self._stop_lock:
            since = self._stopping_since
        return since is not None and time.monotonic() - since > STOP_PATIENCE

    # -- the transport ---------------------------------------------------------------------

    def register(self, workflows: Sequence[dict[str, Any]]) -> list[str]:
        made = self._call("POST", "/api/v1/worker/workflows", {"workflows": list(workflows)})
        return [str(w["id"]) for w in made["items"]]

    def claim(
        self,
        workflow_ids: Sequence[str],
        *,
        limit: int,
        lease: timedelta,
        wait: float,
        stop: threading.Event,
    ) -> list[Claim]:
        body = {
            "worker_id": self.owner,
            "workflow_ids": list(workflow_ids),
            "limit": limit,
            "lease_seconds": lease.total_seconds(),
            "wait_seconds": min(wait, LONG_POLL),
        }
        path = "/api/v1/worker/claims"

        def send() -> httpx.Response:
            task = self._loop.create_task(self._claims.post(path, json=body))
            with self._stop_lock:
                self._claim_task = task
                if self._stopping_since is not None:
                    task.cancel()
            try:
                return self._loop.run_until_complete(task)
            finally:
                with self._stop_lock:
                    self._claim_task = None

        try:
            found = self._call("POST", path, body, send=send, stop=stop)
        except (asyncio.CancelledError, Unavailable):
            if stop.is_set():  # interrupted: the worker is stopping
                return []
            raise
        return [wire.claim(item) for item in (found or {"items": []})["items"]]

    def interrupt(self) -> None:
        with self._stop_lock:
            if self._stopping_since is None:
                self._stopping_since = time.monotonic()
            task = self._claim_task
        if task is not None:  # a claim waiting at the server: its connection is closed
            self._loop.call_soon_threadsafe(task.cancel)

    def renew(self, run_ids: Sequence[str], lease: timedelta) -> dict[str, RunStatus]:
        body = {
            "worker_id": self.owner,
            "run_ids": list(run_ids),
            "lease_seconds": lease.total_seconds(),
        }
        found = self._call("POST", "/api/v1/worker/heartbeat", body, retry=False)
        return {run_id: RunStatus(status) for run_id, status in found["held"].items()}

    def record(self, run_id: str, steps: Sequence[Step], progress: int | None) -> RunStatus:
        body = {
            "worker_id": self.owner,
            "steps": [step_to_json(s) for s in steps],
            "progress": progress,
        }
        found = self._call("POST", f"/api/v1/worker/runs/{run_id}/steps", body)
        return RunStatus(found["status"])

    def suspend(
        self,
        run_id: str,
        steps: Sequence[Step],
        *,
        until: datetime | None = None,
        event: str | None = None,
    ) -> None:
        body = {
            "worker_id": self.owner,
            "steps": [step_to_json(s) for s in steps],
            "until": to_rfc3339(until),
            "event": event,
        }
        self._call("POST", f"/api/v1/worker/runs/{run_id}/suspend", body)

    def start_child(
        self, parent_id: str, workflow: str, data: dict[str, Any], key: str, steps: Sequence[Step]
    ) -> Run:
        body = {
            "worker_id": self.owner,
            "workflow": workflow,
            "input": data,
            "key": key,
            "steps": [step_to_json(s) for s in steps],
        }
        return wire.run(self._call("POST", f"/api/v1/worker/runs/{parent_id}/children", body))

    def child(self, parent_id: str, child_id: str) -> Run:
        path = f"/api/v1/worker/runs/{parent_id}/children/{child_id}"
        return wire.run(self._call("GET", path))

    def finish(self, endings: Sequence[Ending]) -> list[Ended]:
        body = {"worker_id": self.owner, "runs": [wire.ending_json(e) for e in endings]}
        found = self._call("POST", "/api/v1/worker/finish", body)
        return [wire.ended(item) for item in found["items"]]

    def write_logs(self, lines: Sequence[LogLine]) -> None:
        body = {"lines": [wire.log_line_json(line) for line in lines]}
        self._call("POST", "/api/v1/worker/logs", body, retry=False)

    def close(self) -> None:
        self.interrupt()
        self.http.close()
        if not self._loop.is_running() and not self._loop.is_closed():
            self._loop.run_until_complete(self._claims.aclose())
            self._loop.close()
