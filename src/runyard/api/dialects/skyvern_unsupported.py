"""Skyvern calls about things runyard does not keep: a 404 in Skyvern's envelope saying so.

Skyvern drives browsers; runyard records and runs workflows. Browser sessions and
profiles, credentials, scripts, artifacts and custom LLMs have no runyard counterpart,
so every call of the client about them (any method, any path below each family) is a
404 — after the key is checked, as any Skyvern call — whose ``detail`` says runyard
does not serve them, instead of a bare "Not Found" that reads like a wrong base URL.
These routes are left out of the OpenAPI document: they serve nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query

from runyard.api.dialects.skyvern_access import PrincipalDep
from runyard.core.errors import NotFound

# Path below /v1 -> what runyard does not keep.
FAMILIES: dict[str, str] = {
    "/v1/browser_sessions": "browser sessions",
    "/v1/browser_profiles": "browser profiles",
    "/v1/credentials": "credentials",
    "/v1/scripts": "scripts",
    "/v1/artifacts": "artifacts",
    "/v1/custom-llms": "custom LLMs",
}
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
RUN_ARTIFACTS = "/v1/runs/{run_id}/artifacts"

Ignored = Annotated[str | None, Query(include_in_schema=False)]


def refusal(what: str) -> Callable[..., None]:
    """A route answering 404 about ``what``; it names the query parameters the client
    sends on these calls, so that they are not refused as unknown first."""

    def unserved(
        _: PrincipalDep,
        page: Ignored = None,
        page_size: Ignored = None,
        search: Ignored = None,
        search_key: Ignored = None,
        include_deleted: Ignored = None,
        managed: Ignored = None,
        vault_type: Ignored = None,
        credential_type: Ignored = None,
        artifact_type: Ignored = None,
    ) -> None:
        raise NotFound(f"runyard does not keep {what}; this Skyvern call is not served")

    return unserved


router = APIRouter()
for _path, _what in FAMILIES.items():
    router.add_api_route(
        _path + "{rest:path}", refusal(_what), methods=METHODS, include_in_schema=False
    )
router.add_api_route(RUN_ARTIFACTS, refusal("artifacts"), methods=["GET"], include_in_schema=False)
