"""Every error a ``RunyardError`` of the problem's class, with its status and document."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from runyard.client import (
    BadRequest,
    Client,
    Conflict,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    InvalidResponse,
    LeaseLost,
    NotFound,
    RateLimited,
    RunyardError,
    ServerError,
    ServerUnreachable,
    TooLarge,
    Unauthenticated,
    Unavailable,
    error_from_response,
)
from tests.python_client.conftest import BASE, Server, make_workflow, run_id, start


def _problem_of(error: RunyardError) -> dict[str, object]:
    assert error.problem is not None
    return error.problem


def test_the_servers_refusals_become_their_classes(server: Server) -> None:
    client = server.client
    make_workflow(client)
    with pytest.raises(InvalidInput) as invalid:
        client.list_runs(limit=0, status="bogus")
    assert invalid.value.status == 422
    assert {e.loc for e in invalid.value.errors} == {("query", "limit"), ("query", "status", 0)}
    assert _problem_of(invalid.value)["code"] == "invalid_input"
    assert "(and 1 more)" in invalid.value.detail

    with pytest.raises(NotFound) as missing:
        client.trigger("no-such-workflow")
    assert (missing.value.status, _problem_of(missing.value)["title"]) == (404, "Not found")
    assert "no-such-workflow" in str(missing.value)

    client.create_project("acme")
    with pytest.raises(Conflict) as conflict:
        client.create_project("acme")
    assert type(conflict.value) is Conflict
    assert (conflict.value.status, _problem_of(conflict.value)["code"]) == (409, "conflict")

    run = client.trigger("invoice-agent")
    client.cancel(run.id)
    with pytest.raises(IllegalTransition) as illegal:
        client.report(run.id, status="running")
    assert isinstance(illegal.value, Conflict)
    assert illegal.value.status == 409

    with pytest.raises(Unauthenticated) as unknown:
        server.as_key("ry_not_a_key").list_runs()
    assert unknown.value.status == 401
    with pytest.raises(Unauthenticated):
        server.as_key(None).count_runs()

    reader = server.as_key(server.new_key("read"))
    assert reader.list_runs().items  # reading is allowed
    with pytest.raises(Forbidden) as forbidden:
        reader.trigger("invoice-agent")
    assert (forbidden.value.status, _problem_of(forbidden.value)["code"]) == (403, "forbidden")

    with pytest.raises(BadRequest) as method:
        client.request("PUT", "/api/v1/runs")
    assert (method.value.status, _problem_of(method.value)["code"]) == (405, "http_405")
    with pytest.raises(NotFound):
        client.request("GET", "/api/v1/nothing-here")


@pytest.fixture
def strict_server(database_url: str) -> Iterator[Server]:
    yield from start(database_url, max_body_bytes=2_000, rate_limit=1.0)


def test_too_large_and_rate_limited(strict_server: Server) -> None:
    client = strict_server.client
    with pytest.raises(TooLarge) as large:
        client.create_workflow("big", description="x" * 3_000)
    assert (large.value.status, _problem_of(large.value)["code"]) == (413, "too_large")
    limited = strict_server.as_key(strict_server.new_key("read"), retries=0)
    limited.list_runs()
    limited.list_runs()  # a second's allowance is a burst of two
    with pytest.raises(RateLimited) as refused:
        limited.list_runs()
    assert refused.value.status == 429
    assert refused.value.retry_after_seconds >= 1
    assert _problem_of(refused.value)["code"] == "rate_limited"


def _response(status: int, body: bytes, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (409, "lease_lost", LeaseLost),
        (409, "illegal_transition", IllegalTransition),
        (503, "unavailable", Unavailable),
        (500, "internal", ServerError),
        (502, None, ServerError),
        (400, "runyard_error", BadRequest),
        (418, None, BadRequest),
        (404, "http_404", NotFound),  # an unknown code: by status
        (422, "something_new", InvalidInput),
    ],
)
def test_error_from_response_maps_code_then_status(
    status: int, code: str | None, expected: type[RunyardError]
) -> None:
    problem = {"type": "t", "title": "T", "status": status, "detail": "what happened"}
    if code:
        problem["code"] = code
    error = error_from_response(httpx.Response(status, json=problem))
    assert type(error) is expected
    assert (error.status, error.problem, error.detail) == (status, problem, "what happened")


def test_error_from_response_reads_retry_after_and_bodies_that_are_not_problems() -> None:
    busy = error_from_response(
        _response(503, b'{"detail": "busy", "code": "unavailable"}', **{"Retry-After": "7"})
    )
    assert isinstance(busy, Unavailable)
    assert busy.retry_after_seconds == 7
    dated = error_from_response(
        _response(
            429,
            b"{}",
            **{
                "Retry-After": "Wed, 21 Oct 2026 07:28:05 GMT",
                "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
            },
        )
    )
    assert isinstance(dated, RateLimited)
    assert dated.retry_after_seconds == 5
    proxy = error_from_response(_response(502, b"<html>Bad Gateway</html>"))
    assert isinstance(proxy, ServerError)
    assert proxy.problem == {
        "type": "about:blank",
        "title": "Bad Gateway",
        "status": 502,
        "detail": "<html>Bad Gateway</html>",
    }
    assert str(proxy) == "<html>Bad Gateway</html>"


def test_an_unreachable_server_and_an_unreadable_answer() -> None:
    nowhere = Client("http://127.0.0.1:9", "k", retries=1, backoff=0)
    with nowhere, pytest.raises(ServerUnreachable) as unreachable:
        nowhere.get_run(run_id(1))
    assert isinstance(unreachable.value, Unavailable)
    assert unreachable.value.url == "http://127.0.0.1:9"
    assert str(unreachable.value).startswith("cannot reach http://127.0.0.1:9: ")
    assert unreachable.value.status is None

    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>a login page</html>")

    wrong = Client(BASE, "k", transport=httpx.MockTransport(html))
    with wrong, pytest.raises(InvalidResponse, match="not JSON"):
        wrong.get_run(run_id(1))

    def shapeless(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": 1})

    shaky = Client(BASE, "k", transport=httpx.MockTransport(shapeless))
    with shaky, pytest.raises(InvalidResponse, match="not a Run"):
        shaky.get_run(run_id(1))
