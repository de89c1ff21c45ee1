"""``AsyncClient`` over the application (``httpx.ASGITransport``): the same calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest

from runyard.client import (
    AsyncClient,
    IllegalTransition,
    NotFound,
    RunStatus,
    ServerUnreachable,
    WaitTimeout,
)
from tests.conftest import ADMIN_KEY
from tests.python_client.conftest import BASE, Server, run_id


class AsyncFlaky(httpx.AsyncBaseTransport):
    """``Flaky`` for the async client: "lose" sends, then loses the answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport, script: list[str]) -> None:
        self.inner, self.script, self.seen = inner, script, list[httpx.Request]()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        step = self.script.pop(0) if self.script else None
        if step == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        response = await self.inner.handle_async_request(request)
        if step == "lose":
            await response.aread()
            raise httpx.ReadTimeout("timed out", request=request)
        return response


def _run(server: Server, scenario: Callable[[AsyncClient, AsyncFlaky], Awaitable[None]]) -> None:
    async def main() -> None:
        flaky = AsyncFlaky(httpx.ASGITransport(app=server.app), [])
        async with AsyncClient(BASE, ADMIN_KEY, transport=flaky, backoff=0) as client:
            await scenario(client, flaky)

    asyncio.run(main())


def test_the_async_client_does_what_the_sync_one_does(server: Server) -> None:
    async def scenario(client: AsyncClient, flaky: AsyncFlaky) -> None:
        workflow = await client.create_workflow("invoice-agent", type="agent")
        assert [w.id for w in await client.workflows()] == [workflow.id]
        assert (await client.get_workflow("invoice-agent")).type == "agent"
        imported = await client.import_runs(
            [
                {
                    "id": run_id(n),
                    "workflow_id": "invoice-agent",
                    "status": "completed",
                    "created_at": "2026-03-01T00:00:00Z",
                }
                for n in range(1, 6)
            ],
            batch=2,
        )
        assert (imported.imported, imported.skipped) == (5, 0)
        run = await client.trigger("invoice-agent", {"customer_id": "C-1"}, is_test=True)
        assert run.status is RunStatus.QUEUED
        page = await client.list_runs(limit=2, include_total=True)
        assert (len(page.items), page.total, page.has_more) == (2, 6, True)
        walked = [r.id async for r in client.iter_runs(limit=2)]
        assert len(walked) == len(set(walked)) == 6
        assert (await client.count_runs(status="completed", exact=True)).count == 5
        assert (await client.stats(bucket="1d")).totals == {"completed": 5, "queued": 1}

        async def execute() -> None:
            await asyncio.sleep(0.2)
            await client.report(run.id, status="running")
            await client.add_step(run.id, "fetch", output={"n": 2})
            await client.report(run.id, status="completed", result={"n": 2})

        executing = asyncio.create_task(execute())
        done = await client.wait(run.id, timeout=20)
        await executing
        assert (done.status, done.result) == (RunStatus.COMPLETED, {"n": 2})
        assert [s.name for s in (await client.get_run(run.id)).steps or ()] == ["fetch"]
        with pytest.raises(IllegalTransition):
            await client.report(run.id, status="running")

        other = await client.trigger("invoice-agent")
        with pytest.raises(WaitTimeout):
            await client.wait(other.id, timeout=0.3)
        assert (await client.pause(other.id)).status is RunStatus.PAUSED
        assert (await client.resume(other.id)).status is RunStatus.QUEUED
        assert (await client.cancel(other.id)).status is RunStatus.CANCELED
        again = await client.retry(other.id)
        assert (await client.terminate(again.id)).status is RunStatus.TERMINATED
        assert (await client.prune(timedelta(days=1), dry_run=True)).matched == 5
        assert (await client.prune("1d")).deleted == 5

        assert await client.publish_event("approve:1") == 0
        await client.create_project("acme")
        projects = {p.name: p.id for p in await client.projects()}
        assert set(projects) == {"default", "acme"}
        key = await client.create_key(projects["default"], role="read")
        assert key.key is not None
        assert key.id in {k.id for k in await client.api_keys()}
        await client.revoke_key(key.id)
        assert key.id not in {k.id for k in await client.api_keys()}
        assert (await client.request("GET", "/api/v1/runs/count"))["count"] == 3
        with pytest.raises(NotFound):
            await client.get_run(run_id(99))

    _run(server, scenario)


def test_the_async_client_sends_again_only_what_is_safe(server: Server) -> None:
    async def scenario(client: AsyncClient, flaky: AsyncFlaky) -> None:
        await client.create_workflow("invoice-agent")
        flaky.script[:] = ["lose", "refuse"]
        run = await client.trigger("invoice-agent")
        keys = {r.headers["Idempotency-Key"] for r in flaky.seen[-3:]}
        assert len(keys) == 1
        assert (await client.count_runs()).count == 1
        flaky.script[:] = ["lose"]
        seen = len(flaky.seen)
        with pytest.raises(ServerUnreachable):
            await client.cancel(run.id)
        assert len(flaky.seen) == seen + 1
        assert (await client.get_run(run.id)).status is RunStatus.CANCELED

    _run(server, scenario)
