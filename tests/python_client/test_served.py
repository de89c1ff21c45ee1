"""Both clients against a real ``runyard serve``, over the network."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.server import running_server

from runyard.client import (
    AsyncClient,
    Client,
    InvalidInput,
    NotFound,
    RunStatus,
    ServerUnreachable,
    Unauthenticated,
)
from tests.conftest import ADMIN_KEY


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[str]:
    with running_server(database_url, ADMIN_KEY, tmp_path / "serve.log", "--no-worker") as url:
        yield url


def test_the_client_over_http(served: str) -> None:
    with Client(served, ADMIN_KEY) as client:
        client.create_workflow("invoice-agent", parameters=[{"key": "customer_id"}])
        first = client.trigger("invoice-agent", {"customer_id": "ZZ-47"}, idempotency_key="k-1")
        assert client.trigger("invoice-agent", idempotency_key="k-1").id == first.id
        made = [client.trigger("invoice-agent", {"customer_id": f"D-{n}"}).id for n in range(7)]
        walked = [r.id for r in client.iter_runs(limit=3)]
        assert sorted(walked) == sorted([first.id, *made])
        assert [r.id for r in client.iter_runs(search="zz-47")] == [first.id]

        def executor() -> None:
            time.sleep(0.3)
            client.report(first.id, status="running")
            client.report(first.id, status="completed", result=[1, 2])

        thread = threading.Thread(target=executor)
        thread.start()
        done = client.wait(first.id, timeout=30)
        thread.join()
        assert (done.status, done.result) == (RunStatus.COMPLETED, [1, 2])
        # Following a live run's log over the network, as it is written.
        live = made[0]
        client.report(live, status="running")
        client.add_logs(live, ["started"])

        def writer() -> None:
            time.sleep(0.3)
            client.add_logs(live, [{"message": "working", "step": "fetch"}])
            client.report(live, status="completed")

        thread = threading.Thread(target=writer)
        thread.start()
        followed = [(x.message, x.step) for x in client.follow_logs(live)]
        thread.join()
        assert followed == [("started", None), ("working", "fetch")]
        with pytest.raises(InvalidInput) as invalid:
            client.list_runs(created_after="2026-11-01T00:00:00")
        assert "has no UTC offset" in invalid.value.detail
        assert invalid.value.status == 422
    with Client(served, "ry_wrong") as stranger, pytest.raises(Unauthenticated) as refused:
        stranger.list_runs()
    assert refused.value.problem is not None
    assert refused.value.problem["status"] == 401


def test_the_async_client_over_http(served: str) -> None:
    async def main() -> None:
        async with AsyncClient(served, ADMIN_KEY) as client:
            await client.create_workflow("invoice-agent")
            runs = await asyncio.gather(*(client.trigger("invoice-agent") for _ in range(5)))
            assert len({r.id for r in runs}) == 5
            assert len([r async for r in client.iter_runs(limit=2)]) == 5

            async def executor() -> None:
                await asyncio.sleep(0.3)
                await client.cancel(runs[0].id)

            canceling = asyncio.create_task(executor())
            ended = await client.wait(runs[0].id, timeout=30)
            await canceling
            assert ended.status is RunStatus.CANCELED
            with pytest.raises(NotFound):
                await client.get_run("0c400000-0000-4000-8000-000000000000")

            live = runs[1].id
            await client.report(live, status="running")

            async def writer() -> None:
                for n in range(3):
                    await asyncio.sleep(0.2)
                    await client.add_logs(live, [f"line {n}"])
                await client.report(live, status="completed")

            writing = asyncio.create_task(writer())
            followed = [x.message async for x in client.follow_logs(live)]
            await writing
            assert followed == ["line 0", "line 1", "line 2"]

    asyncio.run(main())


def test_a_server_that_stopped_is_unreachable_by_name(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'served.db'}"
    with running_server(database, ADMIN_KEY, tmp_path / "serve.log", "--no-worker") as url:
        client = Client(url, ADMIN_KEY, retries=2, backoff=0.05)
        assert client.count_runs().count == 0
    with client, pytest.raises(ServerUnreachable) as gone:
        client.count_runs()
    assert gone.value.url == url
    assert str(gone.value).startswith(f"cannot reach {url}: ")
