"""Requests are sent again only where that cannot do anything twice."""

from __future__ import annotations

import httpx
import pytest

from runyard.client import (
    Client,
    RateLimited,
    RetryPolicy,
    RunStatus,
    ServerUnreachable,
    Unavailable,
)
from runyard.client.policy import Poll
from tests.python_client.conftest import Flaky, Server, make_workflow, run_id


def _through(server: Server, *script: str | int, retries: int = 3) -> tuple[Client, Flaky]:
    flaky = Flaky(server.transport, list(script))
    return server.through(flaky, retries=retries), flaky


def test_a_get_is_sent_again_after_its_answer_was_lost(server: Server) -> None:
    make_workflow(server.client)
    run = server.client.trigger("invoice-agent")
    client, flaky = _through(server, "lose", "refuse", "lose")
    assert client.get_run(run.id).id == run.id
    assert (len(flaky.seen), len(flaky.delivered)) == (4, 3)


def test_a_lost_trigger_is_sent_again_with_the_same_key_and_makes_one_run(
    server: Server,
) -> None:
    make_workflow(server.client)
    client, flaky = _through(server, "lose", 503, "lose")
    run = client.trigger("invoice-agent", {"customer_id": "CUST-1"})
    assert len(flaky.delivered) == 3  # the first made the run; the last answered with it
    keys = flaky.keys()
    assert len(keys) == 4
    assert keys[0] is not None
    assert set(keys) == {keys[0]}
    assert [r.id for r in server.client.iter_runs()] == [run.id]
    # The caller's own key is the one sent.
    client, flaky = _through(server, "lose")
    again = client.trigger("invoice-agent", idempotency_key="order-9")
    assert flaky.keys() == ["order-9", "order-9"]
    assert server.client.count_runs().count == 2
    assert server.client.trigger("invoice-agent", idempotency_key="order-9").id == again.id


def test_a_lost_retry_and_a_lost_import_make_nothing_twice(server: Server) -> None:
    make_workflow(server.client)
    ended = server.client.cancel(server.client.trigger("invoice-agent").id)
    client, flaky = _through(server, "lose")
    retried = client.retry(ended.id)
    assert len(set(flaky.keys())) == 1
    assert [r.id for r in server.client.iter_runs(status="queued")] == [retried.id]

    client, flaky = _through(server, "lose")
    records = [{"id": run_id(n), "workflow_id": "invoice-agent"} for n in range(3)]
    result = client.import_runs(records)
    # The answer that arrived is the second send's: the first imported them.
    assert (result.imported, result.skipped) == (0, 3)
    assert len(flaky.delivered) == 2
    assert server.client.count_runs(status="created").count == 3


def test_a_cancel_is_not_sent_again_once_it_may_have_arrived(server: Server) -> None:
    make_workflow(server.client)
    run = server.client.trigger("invoice-agent")
    client, flaky = _through(server, "lose")
    with pytest.raises(ServerUnreachable, match="timed out"):
        client.cancel(run.id)
    assert len(flaky.seen) == 1
    assert server.client.get_run(run.id).status is RunStatus.CANCELED  # it had arrived

    for refusal, error in ((503, Unavailable), (429, RateLimited)):
        client, flaky = _through(server, refusal)
        with pytest.raises(error) as refused:
            client.report(run.id, progress=5)
        assert (refused.value.status, len(flaky.seen)) == (refusal, 1)


def test_any_request_is_sent_again_when_it_never_left(server: Server) -> None:
    make_workflow(server.client)
    run = server.client.trigger("invoice-agent")
    client, flaky = _through(server, "refuse", "refuse")
    assert client.cancel(run.id).status is RunStatus.CANCELED
    assert (len(flaky.seen), len(flaky.delivered)) == (3, 1)
    client, flaky = _through(server, "refuse", "refuse", "refuse", "refuse")
    with pytest.raises(ServerUnreachable, match="connection refused"):
        client.get_run(run.id)
    assert len(flaky.seen) == 4  # the first send and three more
    client, flaky = _through(server, "refuse", retries=0)
    with pytest.raises(ServerUnreachable):
        client.get_run(run.id)
    assert len(flaky.seen) == 1


def test_waits_grow_and_honour_retry_after(server: Server) -> None:
    make_workflow(server.client)
    flaky = Flaky(server.transport, ["lose", "lose", "lose"])
    client = server.through(flaky, backoff=0.25)
    slept: list[float] = []
    client._sleep = slept.append  # type: ignore[method-assign]
    client.list_runs()
    assert slept == [0.25, 0.5, 1.0]
    slept.clear()
    flaky.script, flaky.retry_after = [503, 429], "7"
    client.list_runs()
    assert slept == [7.0, 7.0]
    slept.clear()
    flaky.script, flaky.retry_after = [503], "3600"
    client.list_runs()
    assert slept == [30.0]  # capped


def test_the_retry_policy_decides_alone() -> None:
    policy = RetryPolicy(retries=2, backoff=1.0, max_delay=3.0)
    request = httpx.Request("GET", "http://x/")
    lost = httpx.ReadTimeout("t", request=request)
    refused = httpx.ConnectError("c", request=request)
    assert [policy.delay(n, lost, safe=True) for n in (1, 2, 3)] == [1.0, 2.0, None]
    assert policy.delay(1, lost, safe=False) is None
    assert policy.delay(1, refused, safe=False) == 1.0
    busy = Unavailable("busy")
    assert policy.delay(1, busy, safe=True) is None  # raised here, not an answer
    busy.status = 503
    assert policy.delay(1, busy, safe=True, retry_after=10) == 3.0
    assert policy.delay(1, busy, safe=False) is None
    assert policy.delay(1, httpx.UnsupportedProtocol("ftp", request=request), safe=True) is None
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(retries=-1)


def test_polls_grow_to_a_limit_and_stop_at_the_deadline() -> None:
    now = [0.0]
    poll = Poll(timeout=3.0, clock=lambda: now[0])
    pauses = []
    while (pause := poll.pause()) is not None:
        pauses.append(pause)
        now[0] += pause
    growing = [0.1, 0.15, 0.225, 0.3375, 0.50625, 0.759375]
    assert pauses == pytest.approx([*growing, 3.0 - sum(growing)])
    assert sum(pauses) == pytest.approx(3.0, abs=0.01)
    forever = Poll(timeout=None, clock=lambda: 0.0)
    assert [forever.pause() for _ in range(12)][-2:] == [2.0, 2.0]
