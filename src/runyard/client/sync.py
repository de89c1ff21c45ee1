"""``Client``: the API from synchronous code.

Each method sends a call described once in ``operations``; ``call.settle`` decides what
each answer means. Every failure is a ``RunyardError`` (``runyard.client.errors``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar, Unpack

import httpx

from runyard.client import operations as op
from runyard.client.bodies import LogEntry, RunFields, RunReport, StepFields, WorkflowFields
from runyard.client.call import Call, Outcome, Resend, settle
from runyard.client.connection import http_options
from runyard.client.errors import WaitTimeout
from runyard.client.filters import RunFilters, RunListing, RunWalk
from runyard.client.models import (
    ApiKey,
    Count,
    ImportResult,
    LogLine,
    LogPage,
    LogReceipt,
    Project,
    PruneResult,
    Run,
    RunPage,
    Stats,
    Step,
    Workflow,
)
from runyard.client.policy import Poll, RetryPolicy
from runyard.client.sse import LogFollower

T = TypeVar("T")


class Client:
    """A runyard server at ``url`` (``http://127.0.0.1:8000``), as ``api_key``.

    ``project`` names the project a server-admin key acts on. Safe requests are sent
    again up to ``retries`` times after failures that may pass (``runyard.client.policy``),
    waiting ``backoff`` seconds and doubling. ``timeout`` bounds each read, not ``wait``.
    ``transport`` replaces the network (``InProcessTransport`` over an application, or a
    test's); closing the client closes it. ``headers`` are sent with every request. Use
    it as a context manager, or close it.
    """

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        project: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.policy = RetryPolicy(retries, backoff)
        options = http_options(url, api_key, project, timeout, headers)
        self._http = httpx.Client(transport=transport, **options)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def _send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            attempt += 1
            outcome: Outcome
            try:
                outcome = self._http.send(call.request(self._http))
            except httpx.TransportError as exc:
                outcome = exc
            settled = settle(call, attempt, outcome, self.policy, self.url)
            if not isinstance(settled, Resend):
                return settled
            self._sleep(settled.after)

    # -- runs --------------------------------------------------------------------------

    def list_runs(self, **query: Unpack[RunListing]) -> RunPage:
        """One page of the runs matching the filters (``runyard.client.filters``)."""
        return self._send(op.list_runs(query))

    def iter_runs(self, **query: Unpack[RunWalk]) -> Iterator[Run]:
        """Every matching run, page after page by cursor: none skipped or repeated."""
        call: Call[RunPage] | None = op.list_runs(query)
        while call is not None:
            page = self._send(call)
            yield from page.items
            call = op.next_page(query, page)

    def count_runs(self, *, exact: bool = False, **filters: Unpack[RunFilters]) -> Count:
        """How many runs match; past 10,000 "at least" unless ``exact``."""
        return self._send(op.count_runs(filters, exact))

    def stats(self, *, bucket: str = "1h", **filters: Unpack[RunFilters]) -> Stats:
        """Matching runs by status per time bucket (1m 5m 15m 1h 6h 1d 1w)."""
        return self._send(op.stats(filters, bucket))

    def get_run(self, run_id: str) -> Run:
        """One run, with its steps."""
        return self._send(op.get_run(run_id))

    def trigger(
        self,
        workflow: str,
        input: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        **fields: Unpack[RunFields],
    ) -> Run:
        """Queue a run of ``workflow`` (id or name). A trigger repeated with the same
        ``idempotency_key`` returns the first one's run; without one, a key is made up, so
        the call is safe to resend."""
        return self._send(op.trigger(workflow, input, idempotency_key, fields))

    def wait(self, run_id: str, *, timeout: float | None = None) -> Run:
        """The run once it has ended, looking ever less often (up to every 2 s); raises
        ``WaitTimeout`` (with the run as last seen) after ``timeout`` seconds."""
        poll = Poll(timeout)
        while True:
            run = self.get_run(run_id)
            if run.ended:
                return run
            pause = poll.pause()
            if pause is None:
                raise WaitTimeout(f"run {run_id} is still {run.status} after {timeout} s", run)
            self._sleep(pause)

    def report(self, run_id: str, **fields: Unpack[RunReport]) -> Run:
        """Report a run's status, result, error or progress (an external executor)."""
        return self._send(op.report(run_id, fields))

    def add_step(self, run_id: str, name: str, **fields: Unpack[StepFields]) -> Step:
        """Report a step of a run."""
        return self._send(op.add_step(run_id, name, fields))

    def cancel(self, run_id: str) -> Run:
        """Cancel a run: at once, or through ``canceling`` while it executes."""
        return self._send(op.action(run_id, "cancel"))

    def terminate(self, run_id: str) -> Run:
        return self._send(op.action(run_id, "terminate"))

    def pause(self, run_id: str) -> Run:
        return self._send(op.action(run_id, "pause"))

    def resume(self, run_id: str) -> Run:
        return self._send(op.action(run_id, "resume"))

    def retry(self, run_id: str, *, idempotency_key: str | None = None) -> Run:
        """Run an ended run again, as a new run (safe to resend, as ``trigger``)."""
        return self._send(op.retry(run_id, idempotency_key))

    def import_runs(self, runs: Iterable[Mapping[str, Any]], *, batch: int = 1000) -> ImportResult:
        """Import complete run records, ``batch`` a request; known run ids are skipped.
        A refused batch raises; the batches before it stay imported."""
        total = ImportResult(imported=0, skipped=0)
        for records in op.batches(runs, batch):
            total += self._send(op.import_batch(records))
        return total

    def prune(
        self, older_than: str | timedelta, *, dry_run: bool = False, limit: int | None = None
    ) -> PruneResult:
        """Delete (or with ``dry_run`` count) ended runs older than an age (``90d``), up to
        ``limit`` (10,000) a call; ``more`` says whether older ones remain. Admin key."""
        return self._send(op.prune(older_than, dry_run, limit))

    # -- logs --------------------------------------------------------------------------

    def logs(self, run_id: str, *, cursor: str | None = None, limit: int | None = None) -> LogPage:
        """Stored log lines of a run from ``cursor`` (the first ones without)."""
        return self._send(op.logs(run_id, cursor, limit))

    def iter_logs(self, run_id: str, *, cursor: str | None = None) -> Iterator[LogLine]:
        """Every stored log line of a run (from ``cursor``), page after page."""
        call: Call[LogPage] | None = op.logs(run_id, cursor, None)
        while call is not None:
            page = self._send(call)
            yield from page.items
            call = op.next_logs(run_id, page)

    def follow_logs(self, run_id: str, *, cursor: str | None = None) -> Iterator[LogLine]:
        """A run's log lines (from ``cursor``: the first line without), then each new one
        as it is written, until the run ends. A lost stream is opened again after the
        last line received; no line is given twice."""
        follower = LogFollower(run_id, cursor, self.policy, self.url)
        while True:
            failure: Outcome | None = None
            try:
                response = self._http.send(follower.call().request(self._http), stream=True)
                try:
                    if response.is_success:
                        follower.opened()
                        for text in response.iter_lines():
                            if (line := follower.feed(text)) is not None:
                                yield line
                            if follower.ended:
                                return
                    else:
                        response.read()
                        failure = response
                finally:
                    response.close()
            except httpx.TransportError as exc:
                failure = exc
            self._sleep(follower.reopen_after(failure))

    def add_logs(self, run_id: str, lines: Sequence[LogEntry | str]) -> LogReceipt:
        """Append up to 1,000 lines to a run's log (a string is an ``info`` line)."""
        entries = [{"message": x} if isinstance(x, str) else x for x in lines]
        return self._send(op.add_logs(run_id, entries))

    # -- workflows, events -------------------------------------------------------------

    def workflows(self, *, type: Sequence[str] = ()) -> list[Workflow]:
        """The project's workflows (of these types), with run counts."""
        return self._send(op.workflows(type))

    def get_workflow(self, ref: str) -> Workflow:
        return self._send(op.get_workflow(ref))

    def create_workflow(self, name: str, **fields: Unpack[WorkflowFields]) -> Workflow:
        """Create a workflow, or a new version of the one of that name when its
        definition or parameters differ."""
        return self._send(op.create_workflow(name, fields))

    def publish_event(self, key: str, payload: Any = None) -> int:
        """Deliver an event to the runs waiting for ``key``; how many there were."""
        return self._send(op.publish_event(key, payload))

    # -- projects and keys -------------------------------------------------------------

    def projects(self) -> list[Project]:
        return self._send(op.projects())

    def create_project(self, name: str) -> Project:
        """A new project (server-admin key)."""
        return self._send(op.create_project(name))

    def api_keys(self) -> list[ApiKey]:
        return self._send(op.api_keys())

    def create_key(self, project_id: str, *, role: str = "read", name: str = "") -> ApiKey:
        """A new key; its secret is in ``key`` of this answer only."""
        return self._send(op.create_key(project_id, name, role))

    def revoke_key(self, key_id: str) -> None:
        return self._send(op.revoke_key(key_id))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Iterable[tuple[str, str]] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Any other request (``/api/v1/...``): its decoded JSON, None when empty."""
        return self._send(op.request(method, path, params, json, headers))
