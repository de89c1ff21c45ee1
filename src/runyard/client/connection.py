"""What both clients are built from: where the server is, who calls, how patiently."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

import runyard

USER_AGENT = f"runyard-client/{runyard.__version__}"


def http_options(
    url: str,
    api_key: str | None,
    project: str | None,
    timeout: float,
    headers: Mapping[str, str] | None,
) -> dict[str, Any]:
    """Keyword arguments for ``httpx.Client`` or ``httpx.AsyncClient``."""
    sent = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
    if api_key:
        sent["Authorization"] = f"Bearer {api_key}"
    if project:
        sent["X-Project-ID"] = project
    return {
        "base_url": url.rstrip("/"),
        "headers": sent,
        "timeout": httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        "follow_redirects": False,
    }
