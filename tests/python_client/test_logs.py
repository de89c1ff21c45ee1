"""A run's log through the clients: append, read page by page, follow live."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest

from runyard.client import (
    AsyncClient,
    Client,
    LogLine,
    NotFound,
    RunStatus,
    TooLarge,
)
from tests.conftest import ADMIN_KEY
from tests.python_client.conftest import BASE, Flaky, Server, make_workflow, run_id


def _running(client: Client) -> str:
    make_workflow(client)
    run = client.trigger("invoice-agent")
    client.report(run.id, status="running")
    return run.id


def test_lines_are_appended_and_read_page_by_page(client: Client) -> None:
    run = _running(client)
    written = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    receipt = client.add_logs(
        run,
        ["plain", {"message": "fetched 3", "level": "warning", "step": "fetch", "ts": written}],
    )
    assert (receipt.accepted, receipt.dropped) == (2, 0)
    first = client.logs(run, limit=1)
    assert [(x.seq, x.level, x.step, x.message) for x in first.items] == [
        (1, "info", None, "plain")
    ]
    assert first.has_more
    assert first.next_cursor is not None
    rest = client.logs(run, cursor=first.next_cursor)
    (line,) = rest.items
    assert (line.seq, line.level, line.step, line.ts) == (2, "warning", "fetch", written)
    # All read, but the run goes on: the cursor still says where to continue.
    assert not rest.has_more
    assert rest.next_cursor is not None
    client.add_logs(run, [f"line {n}" for n in range(448)])
    every = list(client.iter_logs(run))  # pages of 200
    assert [x.seq for x in every] == list(range(1, 451))
    assert [x.message for x in client.iter_logs(run, cursor=rest.next_cursor)][:2] == [
        "line 0",
        "line 1",
    ]
    at_the_end = client.logs(run, limit=1000).next_cursor
    assert at_the_end is not None
    client.report(run, status="completed")
    tail = client.logs(run, cursor=at_the_end)
    assert (tail.items, tail.next_cursor) == ((), None)  # ended, and all read
    assert client.logs(run, limit=1000).next_cursor is None
    with pytest.raises(TooLarge) as large:
        client.add_logs(run, ["x"] * 1001)
    assert large.value.status == 413
    with pytest.raises(NotFound):
        client.logs(run_id(99))


def test_follow_gives_each_line_as_it_is_written_until_the_run_ends(client: Client) -> None:
    run = _running(client)
    client.add_logs(run, ["first"])

    def executor() -> None:
        time.sleep(0.3)
        client.add_logs(run, [{"message": "second", "step": "fetch", "level": "error"}])
        time.sleep(0.3)
        client.add_logs(run, ["third"])
        client.report(run, status="failed", error="no luck")

    thread = threading.Thread(target=executor)
    thread.start()
    seen: list[tuple[float, LogLine]] = []
    started = time.monotonic()
    try:
        for line in client.follow_logs(run):
            seen.append((time.monotonic() - started, line))
    finally:
        thread.join()
    assert [(x.seq, x.message) for _, x in seen] == [(1, "first"), (2, "second"), (3, "third")]
    assert seen[0][0] < 0.3  # the stored line at once, the others as they came
    assert seen[1][1].step == "fetch"
    assert client.get_run(run).status is RunStatus.FAILED
    with pytest.raises(NotFound):
        next(client.follow_logs(run_id(99)))


def test_a_broken_stream_is_opened_again_after_the_last_line(server: Server) -> None:
    run = _running(server.client)
    server.client.add_logs(run, [f"line {n}" for n in range(1, 6)])
    server.client.report(run, status="completed")
    flaky = Flaky(server.transport, ["cut", "refuse", "cut"], cut_after=3)
    lines = list(server.through(flaky).follow_logs(run))
    assert [x.seq for x in lines] == [1, 2, 3, 4, 5]
    resumed = [r.headers.get("Last-Event-ID") for r in flaky.seen]
    # The first stream broke after its retry field and two lines; the third, after two more.
    assert resumed == [None, "2", "2", "4"]
    # A cursor starts a follow past what was read.
    cursor = server.client.logs(run, limit=3).next_cursor
    assert [x.seq for x in server.client.follow_logs(run, cursor=cursor)] == [4, 5]


def test_the_async_client_reads_and_follows_an_ended_runs_log(server: Server) -> None:
    run = _running(server.client)
    server.client.add_logs(run, ["one", "two", "three"])
    server.client.report(run, status="completed")

    async def main() -> None:
        transport = httpx.ASGITransport(app=server.app)
        async with AsyncClient(BASE, ADMIN_KEY, transport=transport) as client:
            page = await client.logs(run, limit=2)
            assert [x.message for x in page.items] == ["one", "two"]
            assert [x.seq async for x in client.iter_logs(run)] == [1, 2, 3]
            assert [x.message async for x in client.follow_logs(run)] == ["one", "two", "three"]
            receipt = await client.add_logs(run, ["late"])
            assert receipt.accepted == 1

    asyncio.run(main())
