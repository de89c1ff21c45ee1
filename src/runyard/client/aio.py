"""``AsyncClient``: ``Client`` for asyncio code, method for method (see ``Client`` for
what each does). Both send the calls of ``operations`` and settle them with ``call``; only
the sending and the sleeping differ, so nothing else is written twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
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


class AsyncClient:
    """As ``Client``; ``transport`` is an ``httpx.AsyncBaseTransport`` (for an application
    in-process, ``httpx.ASGITransport``, which hands over a response only once it is
    complete: ``follow_logs`` then needs the network)."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        project: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.policy = RetryPolicy(retries, backoff)
        options = http_options(url, api_key, project, timeout, headers)
        self._http = httpx.AsyncClient(transport=transport, **options)

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            attempt += 1
            outcome: Outcome
            try:
                outcome = await self._http.send(call.request(self._http))
            except httpx.TransportError as exc:
                outcome = exc
            settled = settle(call, attempt, outcome, self.policy, self.url)
            if not isinstance(settled, Resend):
                return settled
            await self._sleep(settled.after)

    # -- runs --------------------------------------------------------------------------

    async def list_runs(self, **query: Unpack[RunListing]) -> RunPage:
        return await self._send(op.list_runs(query))

    async def iter_runs(self, **query: Unpack[RunWalk]) -> AsyncIterator[Run]:
        call: Call[RunPage] | None = op.list_runs(query)
        while call is not None:
            page = await self._send(call)
            for run in page.items:
                yield run
            call = op.next_page(query, page)

    async def count_runs(self, *, exact: bool = False, **filters: Unpack[RunFilters]) -> Count:
        return await self._send(op.count_runs(filters, exact))

    async def stats(self, *, bucket: str = "1h", **filters: Unpack[RunFilters]) -> Stats:
        return await self._send(op.stats(filters, bucket))

    async def get_run(self, run_id: str) -> Run:
        return await self._send(op.get_run(run_id))

    async def trigger(
        self,
        workflow: str,
        input: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        **fields: Unpack[RunFields],
    ) -> Run:
        return await self._send(op.trigger(workflow, input, idempotency_key, fields))

    async def wait(self, run_id: str, *, timeout: float | None = None) -> Run:
        poll = Poll(timeout)
        while True:
            run = await self.get_run(run_id)
            if run.ended:
                return run
            pause = poll.pause()
            if pause is None:
                raise WaitTimeout(f"run {run_id} is still {run.status} after {timeout} s", run)
            await self._sleep(pause)

    async def report(self, run_id: str, **fields: Unpack[RunReport]) -> Run:
        return await self._send(op.report(run_id, fields))

    async def add_step(self, run_id: str, name: str, **fields: Unpack[StepFields]) -> Step:
        return await self._send(op.add_step(run_id, name, fields))

    async def cancel(self, run_id: str) -> Run:
        return await self._send(op.action(run_id, "cancel"))

    async def terminate(self, run_id: str) -> Run:
        return await self._send(op.action(run_id, "terminate"))

    async def pause(self, run_id: str) -> Run:
        return await self._send(op.action(run_id, "pause"))

    async def resume(self, run_id: str) -> Run:
        return await self._send(op.action(run_id, "resume"))

    async def retry(self, run_id: str, *, idempotency_key: str | None = None) -> Run:
        return await self._send(op.retry(run_id, idempotency_key))

    async def import_runs(
        self, runs: Iterable[Mapping[str, Any]], *, batch: int = 1000
    ) -> ImportResult:
        total = ImportResult(imported=0, skipped=0)
        for records in op.batches(runs, batch):
            total += await self._send(op.import_batch(records))
        return total

    async def prune(
        self, older_than: str | timedelta, *, dry_run: bool = False, limit: int | None = None
    ) -> PruneResult:
        return await self._send(op.prune(older_than, dry_run, limit))

    # -- logs --------------------------------------------------------------------------

    async def logs(
        self, run_id: str, *, cursor: str | None = None, limit: int | None = None
    ) -> LogPage:
        return await self._send(op.logs(run_id, cursor, limit))

    async def iter_logs(self, run_id: str, *, cursor: str | None = None) -> AsyncIterator[LogLine]:
        call: Call[LogPage] | None = op.logs(run_id, cursor, None)
        while call is not None:
            page = await self._send(call)
            for line in page.items:
                yield line
            call = op.next_logs(run_id, page)

    async def follow_logs(
        self, run_id: str, *, cursor: str | None = None
    ) -> AsyncIterator[LogLine]:
        follower = LogFollower(run_id, cursor, self.policy, self.url)
        while True:
            failure: Outcome | None = None
            try:
                response = await self._http.send(follower.call().request(self._http), stream=True)
                try:
                    if response.is_success:
                        follower.opened()
                        async for text in response.aiter_lines():
                            if (line := follower.feed(text)) is not None:
                                yield line
                            if follower.ended:
                                return
                    else:
                        await response.aread()
                        failure = response
                finally:
                    await response.aclose()
            except httpx.TransportError as exc:
                failure = exc
            await self._sleep(follower.reopen_after(failure))

    async def add_logs(self, run_id: str, lines: Sequence[LogEntry | str]) -> LogReceipt:
        entries = [{"message": x} if isinstance(x, str) else x for x in lines]
        return await self._send(op.add_logs(run_id, entries))

    # -- workflows, events -------------------------------------------------------------

    async def workflows(self, *, type: Sequence[str] = ()) -> list[Workflow]:
        return await self._send(op.workflows(type))

    async def get_workflow(self, ref: str) -> Workflow:
        return await self._send(op.get_workflow(ref))

    async def create_workflow(self, name: str, **fields: Unpack[WorkflowFields]) -> Workflow:
        return await self._send(op.create_workflow(name, fields))

    async def publish_event(self, key: str, payload: Any = None) -> int:
        return await self._send(op.publish_event(key, payload))

    # -- projects and keys -------------------------------------------------------------

    async def projects(self) -> list[Project]:
        return await self._send(op.projects())

    async def create_project(self, name: str) -> Project:
        return await self._send(op.create_project(name))

    async def api_keys(self) -> list[ApiKey]:
        return await self._send(op.api_keys())

    async def create_key(self, project_id: str, *, role: str = "read", name: str = "") -> ApiKey:
        return await self._send(op.create_key(project_id, name, role))

    async def revoke_key(self, key_id: str) -> None:
        return await self._send(op.revoke_key(key_id))

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Iterable[tuple[str, str]] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return await self._send(op.request(method, path, params, json, headers))
