"""GET requests to a vendor's API, with its key, its rate limits and its bad days.

Every call is a read, so any failure that may pass is worth another try: a 429 waits
what ``Retry-After`` says, a 5xx, a timeout or a dropped connection wait longer each
time; after ``Retries.attempts`` tries the import stops with ``VendorUnavailable`` (its
checkpoint holds what was done). A refused key is ``VendorRefused``; any other refusal
is ``VendorError`` with the vendor's own message, read from its error envelope.

    RunyardError
    └── VendorError           the vendor refused a request (its status and message)
        ├── VendorRefused     401 or 403: the key (or project) is not accepted
        └── VendorUnavailable no usable answer after every retry
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from runyard.client.errors import retry_after
from runyard.core.errors import RunyardError


class VendorError(RunyardError):
    code = "vendor_error"
    vendor_status: int | None = None  # the vendor's HTTP status (``status`` is runyard's)


class VendorRefused(VendorError):
    code = "vendor_refused"


class VendorUnavailable(VendorError):
    code = "vendor_unavailable"


@dataclass(frozen=True)
class Retries:
    """How often, and how patiently, a request is sent again (a pure decision)."""

    attempts: int = 8  # tries in all
    backoff: float = 0.5  # seconds before the second try, doubled for each further one
    max_delay: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait after the ``attempt``-th try failed; None: give up."""
        if attempt >= self.attempts:
            return None
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        return min(self.backoff * 2.0 ** (attempt - 1), self.max_delay)


def _transient(response: httpx.Response) -> bool:
    return response.status_code == 429 or response.status_code >= 500


class VendorHttp:
    """A vendor's API at ``base_url`` (its path prefix kept), sending ``headers``."""

    def __init__(
        self,
        title: str,
        base_url: str,
        headers: Mapping[str, str],
        message: Callable[[Any], str | None],
        *,
        retries: Retries | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.title = title
        self.base_url = base_url.rstrip("/")
        self.message = message
        self.retries = retries or Retries()
        self.sleep = sleep
        self.http = httpx.Client(
            headers={"Accept": "application/json", **headers},
            timeout=timeout,
            transport=transport,
            follow_redirects=True,
        )

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """The decoded JSON answer of ``GET path?params``."""
        query = [
            (k, str(x).lower() if isinstance(x, bool) else str(x))
            for k, v in (params or {}).items()
            for x in (v if isinstance(v, list | tuple) else [v])
            if x is not None
        ]
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.http.get(url)
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {exc}".rstrip(": ")
                wait = self.retries.delay(attempt, None)
            else:
                if not _transient(response):
                    return self._settle(path, response)
                failure = f"{response.status_code}: {self._text(response)}"
                wait = self.retries.delay(attempt, retry_after(response))
            if wait is None:
                raise VendorUnavailable(
                    f"{self.title} at {self.base_url} gave no usable answer to GET {path} "
                    f"after {attempt} tries (last: {failure})"
                )
            self.sleep(wait)

    def _settle(self, path: str, response: httpx.Response) -> Any:
        refusal: VendorError | None = None
        if response.status_code in (401, 403):
            refusal = VendorRefused(
                f"{self.title} refused the key ({response.status_code}: "
                f"{self._text(response)}); check --vendor-key"
                + (" and --vendor-project" if response.status_code == 403 else "")
            )
        elif not response.is_success:
            refusal = VendorError(
                f"{self.title} refused GET {path} ({response.status_code}: {self._text(response)})"
            )
        if refusal is not None:
            refusal.vendor_status = response.status_code
            raise refusal
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise VendorError(
                f"{self.title} answered GET {path} with something other than JSON: "
                f"{response.text[:200]!r}"
            ) from None

    def _text(self, response: httpx.Response) -> str:
        """The vendor's error message, from its envelope when there is one."""
        try:
            found = self.message(orjson.loads(response.content))
        except orjson.JSONDecodeError:
            found = None
        text = found or response.text.strip()[:300] or response.reason_phrase
        return " ".join(text.split())
