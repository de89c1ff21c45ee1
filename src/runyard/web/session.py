"""Dashboard sign-in: the API key kept in an HttpOnly, SameSite=Strict cookie, and CSRF.

Every request re-checks the key (a revoked key signs its browser out at once). Every
action (a POST) must carry the CSRF token, an HMAC of the key that only pages served to
this browser contain, and come from this origin when the browser names one.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import Request
from starlette.responses import RedirectResponse

from runyard.api.services import services_of
from runyard.core.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from runyard.core.models import Role
from runyard.service.access import Principal, WorkerKeyRefused

KEY_COOKIE = "runyard_key"
PROJECT_COOKIE = "runyard_project"
MAX_FORM_BYTES = 64 * 1024


class SignInRequired(Exception):
    """No valid key: the browser is sent to the sign-in page, then back to ``next_url``."""

    def __init__(self, next_url: str, reason: str = "") -> None:
        super().__init__(reason)
        self.next_url, self.reason = next_url, reason


class PageError(Exception):
    """A refusal shown as a page (status code, message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.detail = status, message


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in browser: whose key, acting on which project."""

    principal: Principal
    csrf: str

    @property
    def can_write(self) -> bool:
        return self.principal.server_admin or self.principal.role.allows(Role.WRITE)


def csrf_token(secret: str) -> str:
    return hmac.new(secret.encode(), b"runyard dashboard csrf", hashlib.sha256).hexdigest()


def here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def viewer(request: Request) -> Viewer:
    """The signed-in viewer, or ``SignInRequired``."""
    secret = request.cookies.get(KEY_COOKIE)
    if not secret:
        raise SignInRequired(here(request))
    auth = services_of(request).auth
    try:
        principal = auth.authenticate(secret, request.cookies.get(PROJECT_COOKIE))
    except Unauthenticated as exc:
        raise SignInRequired(here(request), str(exc)) from None
    except WorkerKeyRefused as exc:  # (signing in refuses one; a cookie set by hand)
        raise PageError(403, exc.detail) from None
    except (Forbidden, NotFound, InvalidInput):  # a stale project choice: the key's own
        principal = auth.authenticate(secret, None)
    return Viewer(principal, csrf_token(secret))


def safe_next(target: str | None) -> str:
    """Only a path on this server (no scheme, no host, no ``//``) may be gone back to."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def sign_in_url(next_url: str, reason: str = "") -> str:
    url = f"/ui/login?next={quote(next_url, safe='')}"
    return url + (f"&reason={quote(reason, safe='')}" if reason else "")


async def form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the dashboard posts nothing else)."""
    body = await request.body()
    if not body:
        return {}
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind != "application/x-www-form-urlencoded":
        raise PageError(415, "send the form as application/x-www-form-urlencoded")
    if len(body) > MAX_FORM_BYTES:
        raise PageError(413, "the form is too large")
    try:
        return dict(parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=200))
    except (UnicodeDecodeError, ValueError):
        raise PageError(400, "the form could not be read") from None


def check_origin(request: Request) -> None:
    """Refuse a POST that a browser says came from another site (signing in included, so
    no site can sign a visitor in with a key of its own)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise PageError(403, "this action came from another site and was refused")


def check_action(request: Request, who: Viewer, submitted: dict[str, str]) -> None:
    """Refuse a POST without this browser's CSRF token or from another origin."""
    check_origin(request)
    token = submitted.get("csrf") or request.headers.get("x-csrf-token") or ""
    if not hmac.compare_digest(token.encode(), who.csrf.encode()):
        raise PageError(403, "this form has expired or did not come from runyard; reload the page")


def remember_key(response: RedirectResponse, request: Request, secret: str) -> None:
    response.set_cookie(
        KEY_COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(PROJECT_COOKIE, path="/")


def forget_key(response: RedirectResponse) -> None:
    response.delete_cookie(KEY_COOKIE, path="/")
    response.delete_cookie(PROJECT_COOKIE, path="/")
