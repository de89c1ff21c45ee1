"""Who calls the Skyvern dialect, and the HTTP status Skyvern gives each kind of error.

Skyvern's client sends the key as ``x-api-key``; an ``Authorization: Bearer`` header is
taken too, as Skyvern's server does. A missing or bad key is a 403, as Skyvern answers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from runyard.api.dialects import base
from runyard.service.access import Principal

ERRORS = base.ErrorStatuses(invalid=422, unauthenticated=403)


async def principal(
    request: Request,
    x_api_key: Annotated[str | None, Header(description="Your runyard API key")] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    secret = x_api_key or base.bearer(authorization)
    if not secret:
        raise base.Unauthenticated("Invalid credentials")
    return await base.authenticate(request, secret)


PrincipalDep = Annotated[Principal, Depends(principal)]
