"""One API request as data, and how each answer to it settles: without I/O.

A ``Call`` says what to send, whether it is safe to send again, and how to read a
success. ``settle`` turns what came back (a response, or a transport error) into the
result, an error to raise, or a wait before sending again, by the retry policy. The
synchronous and asynchronous clients only send calls and sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from runyard.client.errors import (
    InvalidResponse,
    error_from_response,
    retry_after,
    unreachable,
)
from runyard.client.policy import RetryPolicy

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Outcome = httpx.Response | httpx.TransportError


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    read: Callable[[Any], T]  # the decoded JSON body of a success -> the result
    params: Sequence[tuple[str, str]] = ()
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    safe: bool = False  # may be sent again after it may have reached the server
    read_timeout: float | None = None  # seconds between bytes, if not the client's

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        """The request, with the client's base URL and headers (a new one per send)."""
        headers = dict(self.headers)
        content = None
        if self.json is not None:
            content = orjson.dumps(self.json, option=orjson.OPT_NON_STR_KEYS)
            headers["Content-Type"] = "application/json"
        timeout = http.timeout
        if self.read_timeout is not None:
            timeout = httpx.Timeout(
                connect=timeout.connect,
                read=self.read_timeout,
                write=timeout.write,
                pool=timeout.pool,
            )
        return http.build_request(
            self.method,
            self.path,
            params=list(self.params),
            content=content,
            headers=headers,
            timeout=timeout,
        )


@dataclass(frozen=True)
class Resend:
    after: float  # seconds


def decode(response: httpx.Response) -> Any:
    """A success's JSON body (None for an empty one)."""
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise InvalidResponse(
            f"{response.request.method} {response.request.url.path} answered"
            f" {response.status_code} with a body that is not JSON ({exc})"
        ) from None


def model(cls: type[M]) -> Callable[[Any], M]:
    def read(body: Any) -> M:
        try:
            return cls.model_validate(body)
        except ValidationError as exc:
            raise InvalidResponse(f"not a {cls.__name__}: {exc}") from None

    return read


def items(cls: type[M]) -> Callable[[Any], list[M]]:
    """``{"items": [...]}`` -> a list of ``cls``."""
    one = model(cls)

    def read(body: Any) -> list[M]:
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise InvalidResponse(f"expected {{'items': [...]}} of {cls.__name__}")
        return [one(item) for item in body["items"]]

    return read


def nothing(_: Any) -> None:
    return None


def anything(body: Any) -> Any:
    return body


def failure_delay(
    policy: RetryPolicy, attempt: int, outcome: Outcome, *, safe: bool, url: str
) -> float:
    """Seconds until the ``attempt``-th send may be repeated; raises the ``RunyardError``
    the failure stands for when it may not."""
    if isinstance(outcome, httpx.Response):
        error = error_from_response(outcome)
        delay = policy.delay(attempt, error, safe=safe, retry_after=retry_after(outcome))
        if delay is None:
            raise error
        return delay
    delay = policy.delay(attempt, outcome, safe=safe)
    if delay is None:
        raise unreachable(url, outcome) from outcome
    return delay


def settle(
    call: Call[T], attempt: int, outcome: Outcome, policy: RetryPolicy, url: str
) -> T | Resend:
    """The result of ``call``'s ``attempt``-th send (1 for the first), or when to send it
    again; raises the error it ended in."""
    if isinstance(outcome, httpx.Response) and outcome.is_success:
        return call.read(decode(outcome))
    return Resend(failure_delay(policy, attempt, outcome, safe=call.safe, url=url))
