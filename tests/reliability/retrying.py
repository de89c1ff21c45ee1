"""What the reliability tests' clients share: retrying as the API promises a client may,
and reading every run back."""

from __future__ import annotations

import time
from typing import Any

import httpx


def until_acknowledged(
    http: httpx.Client, method: str, path: str, refusals: list[str], **kwargs: Any
) -> Any:
    """Send the same request until it succeeds, retrying only what an outage explains: a
    transport error (the server is down) or a 503 with ``Retry-After`` (the database is).
    Each retry is noted in ``refusals``; any other failure fails the test."""
    while True:
        try:
            response = http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            refusals.append(type(exc).__name__)
            time.sleep(0.05)
            continue
        if response.status_code == 503:
            assert response.headers.get("retry-after"), response.headers
            refusals.append("503")
            time.sleep(0.05)
            continue
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json()


def every_run(http: httpx.Client) -> list[dict[str, Any]]:
    """Every run of the project, page by page."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    while True:
        page = http.get("/api/v1/runs", params=params).json()
        found += page["items"]
        if not page["has_more"]:
            return found
        params["cursor"] = page["next_cursor"]
