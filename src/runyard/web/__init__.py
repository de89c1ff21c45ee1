"""The dashboard: server-rendered pages at ``/`` and ``/ui/``, over the same services."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from runyard.api import problems
from runyard.core.errors import RunyardError
from runyard.web import pages
from runyard.web.routes import router
from runyard.web.session import PageError, SignInRequired, sign_in_url


def is_dashboard(request: Request) -> bool:
    path = request.url.path
    return path == "/" or path.startswith("/ui/")


def install(app: FastAPI) -> None:
    """Add the dashboard's routes, assets and error pages to ``app`` (after the API's
    problem handlers, whose answers it keeps for every path that is not the dashboard's)."""
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=pages.STATIC), name="static")
    api_errors = app.exception_handlers[RunyardError]

    async def sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        if request.method != "GET" or request.url.path.endswith("/live"):
            return pages.render("error.html", 401, message="Sign in again.", who=None)
        return RedirectResponse(sign_in_url(exc.next_url, exc.reason), status_code=303)

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return pages.render("error.html", exc.status, message=exc.detail, who=None)

    async def runyard_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RunyardError)
        if not is_dashboard(request):
            answer = api_errors(request, exc)
            return answer if isinstance(answer, Response) else await answer
        page = pages.render("error.html", problems.status_of(exc), message=exc.detail, who=None)
        page.headers.update(problems.retry_headers(exc) or {})
        return page

    app.add_exception_handler(SignInRequired, sign_in)
    app.add_exception_handler(PageError, page_error)
    app.add_exception_handler(RunyardError, runyard_error)
