"""The dashboard's pages and actions: thin views over the same services as the API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from runyard.api.routes.runs import csv_rows, jsonl_rows
from runyard.api.services import services_of
from runyard.core.errors import Forbidden, InvalidInput, RunyardError
from runyard.service.bulk import BulkAction
from runyard.web import chart, filters, live, pages, session
from runyard.web.session import PageError, Viewer, viewer
from runyard.web.vendor_views import renderings

router = APIRouter(include_in_schema=False)
ACTIONS = ("cancel", "retry", "pause", "resume")


def _view(request: Request, who: Viewer) -> filters.View:
    services = services_of(request)
    try:
        return filters.parse(request.query_params, who.principal.project_id, services.clock())
    except InvalidInput as exc:
        raise PageError(400, exc.detail) from None


def _layout(request: Request, who: Viewer) -> dict[str, Any]:
    """What every signed-in page shows around its content."""
    projects = []
    if who.principal.server_admin:
        projects = services_of(request).projects.all(who.principal)
    return {
        "who": who,
        "request_query": request.url.query,
        "projects": projects,
        "path": request.url.path,
        "notice": request.query_params.get("notice", ""),
    }


@router.get("/", response_class=HTMLResponse)
def explorer(request: Request) -> HTMLResponse:
    who = viewer(request)
    services = services_of(request)
    workflows = services.workflows.all(who.principal, with_counts=False)
    form = {**_layout(request, who), **filters.FORM, "pickers": filters.pickers(workflows)}
    try:
        view = _view(request, who)
        page = services.runs.page(view.query)
    except (PageError, RunyardError) as exc:
        view = filters.parse(QueryParams(), who.principal.project_id, services.clock())
        return pages.render(
            "explorer.html", 400, **form, view=view, page=None, rows=[], error=exc.detail
        )
    codes = services.runs.error_codes(who.principal, [r.id for r in page.runs])
    rows = [pages.row_html(r, codes.get(r.id, [])) for r in page.runs]
    return pages.render("explorer.html", **form, view=view, page=page, rows=rows, error="")


@router.get("/ui/summary", response_class=HTMLResponse)
def summary(request: Request) -> HTMLResponse:
    """The count and the chart of the explorer's filter (fetched after the page shows)."""
    who = viewer(request)
    services = services_of(request)
    view = _view(request, who)
    count = services.runs.count(view.query)
    bucket = filters.bucket_for(view)
    buckets = services.runs.stats(view.query, bucket)
    present = {s for b in buckets for s in b.counts}
    return pages.render(
        "_summary.html",
        count=count,
        svg=chart.svg(buckets, bucket),
        caption=chart.caption(buckets, bucket),
        legend=[s for s in chart.COLOURS if s in present],
    )


@router.get("/ui/live")
async def live_rows(request: Request) -> StreamingResponse:
    """New and changed runs of the explorer's page, as server-sent events."""
    who = await run_in_threadpool(viewer, request)
    view = await run_in_threadpool(_view, request, who)
    services = services_of(request)
    return await live.stream(request, live.RowWatcher(services, who.principal, view))


@router.get("/ui/runs/{run_id}", response_class=HTMLResponse)
def run_detail(request: Request, run_id: str) -> HTMLResponse:
    who = viewer(request)
    services = services_of(request)
    run = services.runs.get(who.principal, run_id)
    return pages.render(
        "run.html",
        **_layout(request, who),
        run=run,
        body=live.run_body(services, who.principal, run),
        log=live.run_log(services, who.principal, run),
        vendors=renderings(services, who.principal, run),
    )


@router.get("/ui/runs/{run_id}/log.txt")
def run_log_text(request: Request, run_id: str) -> StreamingResponse:
    """The run's whole log as text, a line each: time, level, [step,] message."""
    who = viewer(request)
    logs = services_of(request).logs
    logs.page(who.principal, run_id, 0, 1)  # 404 before the 200 starts

    def lines() -> Iterator[str]:
        after = 0
        while page := logs.page(who.principal, run_id, after, 1000).lines:
            for line in page:
                step = f" [{line.step}]" if line.step else ""
                yield f"{pages.iso(line.ts)} {line.level.value.upper()}{step} {line.message}\n"
            after = page[-1].seq

    headers = {
        **pages.SECURITY_HEADERS,
        "Content-Disposition": f'inline; filename="run-{run_id[:8]}.log"',
    }
    return StreamingResponse(lines(), media_type="text/plain; charset=utf-8", headers=headers)


@router.get("/ui/runs/{run_id}/live")
async def run_live(request: Request, run_id: str) -> StreamingResponse:
    who = await run_in_threadpool(viewer, request)
    services = services_of(request)
    await run_in_threadpool(services.runs.get, who.principal, run_id)  # 404 before streaming
    return await live.stream(request, live.RunWatcher(services, who.principal, run_id))


@router.post("/ui/runs/{run_id}/{action}")
async def run_action(request: Request, run_id: str, action: str) -> RedirectResponse:
    who = await run_in_threadpool(viewer, request)
    session.check_action(request, who, await session.form(request))
    if action not in ACTIONS:
        raise PageError(404, f"no action {action!r}; one of {', '.join(ACTIONS)}")
    services = services_of(request)
    done = await run_in_threadpool(getattr(services.runs, action), who.principal, run_id)
    words = {
        "cancel": "Cancel requested",
        "retry": "Retried as a new run",
        "pause": "Paused",
        "resume": "Resumed",
    }
    return RedirectResponse(f"/ui/runs/{done.id}?notice={quote(words[action])}", status_code=303)


@router.get("/ui/bulk", response_class=HTMLResponse)
def bulk_confirm(
    request: Request, action: Annotated[Literal["cancel", "retry"], Query()]
) -> HTMLResponse:
    """How many runs the action would touch (a dry run), and a form to go ahead."""
    who = viewer(request)
    view = _view(request, who)
    services = services_of(request)
    result = services.bulk.count(who.principal, view.query, BulkAction(action))
    return pages.render(
        "bulk.html",
        **_layout(request, who),
        view=view,
        action=action,
        result=result,
        back=view.url("/"),
    )


@router.post("/ui/bulk")
async def bulk_apply(request: Request) -> RedirectResponse:
    who = await run_in_threadpool(viewer, request)
    submitted = await session.form(request)
    session.check_action(request, who, submitted)
    action = submitted.get("action", "")
    if action not in ("cancel", "retry"):
        raise PageError(400, "action: one of cancel, retry")
    view = await run_in_threadpool(_view, request, who)
    services = services_of(request)
    result = await run_in_threadpool(
        services.bulk.apply, who.principal, view.query, BulkAction(action)
    )
    verb = "Canceled" if action == "cancel" else "Retried"
    notice = f"{verb} {result.applied:,} runs" + (
        f"; {result.skipped:,} had changed and were left as they were" if result.skipped else ""
    )
    return RedirectResponse(view.url("/", notice=notice), status_code=303)


@router.get("/ui/export")
def export(request: Request, format: Literal["csv", "jsonl"] = "csv") -> Response:
    who = viewer(request)
    view = _view(request, who)
    runs = services_of(request).runs.export(view.query)
    if format == "csv":
        return StreamingResponse(
            csv_rows(runs),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="runs.csv"'},
        )
    return StreamingResponse(
        jsonl_rows(runs),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="runs.jsonl"'},
    )


@router.get("/ui/workflows", response_class=HTMLResponse)
def workflows_page(request: Request) -> HTMLResponse:
    who = viewer(request)
    overview = services_of(request).workflows.overview(who.principal)
    return pages.render("workflows.html", **_layout(request, who), overview=overview)


# -- signing in and out ---------------------------------------------------------------


@router.get("/ui/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", reason: str = "") -> HTMLResponse:
    return pages.render("login.html", next=session.safe_next(next), error=reason[:200])


@router.post("/ui/login", response_model=None)
async def login(request: Request) -> Response:
    session.check_origin(request)
    submitted = await session.form(request)
    secret = submitted.get("key", "").strip()
    target = session.safe_next(submitted.get("next"))
    try:
        await run_in_threadpool(services_of(request).auth.authenticate, secret, None)
    except RunyardError as exc:  # a worker key is a valid key that may not sign in: 403
        status = 403 if isinstance(exc, Forbidden) else 401
        return pages.render("login.html", status, next=target, error=exc.detail)
    response = RedirectResponse(target, status_code=303)
    session.remember_key(response, request, secret)
    return response


@router.post("/ui/logout")
async def logout(request: Request) -> RedirectResponse:
    who = await run_in_threadpool(viewer, request)
    session.check_action(request, who, await session.form(request))
    response = RedirectResponse("/ui/login", status_code=303)
    session.forget_key(response)
    return response


@router.post("/ui/project")
async def switch_project(request: Request) -> RedirectResponse:
    """A server-admin key chooses the project the dashboard shows."""
    who = await run_in_threadpool(viewer, request)
    submitted = await session.form(request)
    session.check_action(request, who, submitted)
    if not who.principal.server_admin:
        raise PageError(403, "only the server-admin key can switch projects")
    project_id = submitted.get("project_id", "")
    secret = request.cookies.get(session.KEY_COOKIE, "")
    try:
        await run_in_threadpool(services_of(request).auth.authenticate, secret, project_id)
    except RunyardError as exc:
        raise PageError(400, exc.detail) from None
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        session.PROJECT_COOKIE,
        project_id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response
