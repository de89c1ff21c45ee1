"""Live updates as server-sent events: each watcher re-reads what a page shows, once a
second, and sends only what changed since it last looked.

A stream ends after ``LIFETIME`` seconds (the browser's EventSource reconnects at once),
so no connection outlives a deploy for long; it stops as soon as the browser goes away.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Protocol

import orjson
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from runyard.core.errors import NotFound
from runyard.core.models import Run
from runyard.service.access import Principal
from runyard.service.services import Services
from runyard.web import pages
from runyard.web.filters import View

INTERVAL = 1.0
LIFETIME = 300.0
MAX_WATCHED = 500
LOG_LINES = 500  # of a run's log, on its page (the whole log: log.txt)


class Watcher(Protocol):
    def look(self) -> list[tuple[str, str, dict[str, object]]]:
        """What the page shows now: (key, event name, data) per item."""
        ...


class RowWatcher:
    """The explorer's rows: its page re-read (new runs, on the first page), and every run
    it has shown re-read by id (so a run that leaves the filter still shows its change)."""

    def __init__(self, services: Services, principal: Principal, view: View) -> None:
        self.services, self.principal, self.view = services, principal, view
        self.watched: dict[str, None] = {}

    def look(self) -> list[tuple[str, str, dict[str, object]]]:
        runs = self.services.runs
        page = runs.page(self.view.query).runs
        on_page = {r.id for r in page}
        others = [i for i in self.watched if i not in on_page]
        found = page + runs.some(self.principal, others)
        codes = runs.error_codes(self.principal, [r.id for r in found])
        items: list[tuple[str, str, dict[str, object]]] = []
        for index, run in enumerate(found):
            if len(self.watched) < MAX_WATCHED:
                self.watched[run.id] = None
            run_codes = codes.get(run.id, [])
            items.append(
                (
                    run.id,
                    "row",
                    {
                        "id": run.id,
                        "sig": pages.row_signature(run, run_codes),
                        "html": pages.row_html(run, run_codes),
                        "index": index if run.id in on_page else None,
                    },
                )
            )
        return items


def run_body(services: Services, principal: Principal, run: Run) -> str:
    """The live part of a run's page: status, times, result, error and steps."""
    lineage = services.runs.lineage(principal, run)
    history = services.runs.history(principal, run.id)
    return pages.fragment("_run_body.html", run=run, lineage=lineage, history=history)


def run_log(services: Services, principal: Principal, run: Run) -> str:
    """The run's log as its page shows it: the last ``LOG_LINES`` lines."""
    lines, total = services.logs.tail(principal, run.id, LOG_LINES)
    return pages.fragment("_run_log.html", run=run, lines=lines, total=total)


class RunWatcher:
    def __init__(self, services: Services, principal: Principal, run_id: str) -> None:
        self.services, self.principal, self.run_id = services, principal, run_id

    def look(self) -> list[tuple[str, str, dict[str, object]]]:
        try:
            run = self.services.runs.get(self.principal, self.run_id)
            log = run_log(self.services, self.principal, run)
        except NotFound:
            return []
        html = run_body(self.services, self.principal, run)
        return [
            (run.id, "run", {"status": run.status.value, "html": html}),
            ("log", "log", {"html": log}),
        ]


async def stream(request: Request, watcher: Watcher) -> StreamingResponse:
    """Server-sent events of what ``watcher`` sees change. Its first look is taken before
    the response starts, so a filter it cannot use (an unknown workflow, say) is an error
    answer of its own, not a 200 stream that breaks off."""
    first = await run_in_threadpool(watcher.look)

    async def events() -> AsyncIterator[bytes]:
        sent: dict[str, bytes] = {}
        yield b"retry: 2000\n\n"
        ends = time.monotonic() + LIFETIME
        seen = first
        while True:
            for key, event, data in seen:
                payload = orjson.dumps(data)
                if sent.get(key) != payload:
                    sent[key] = payload
                    yield b"event: " + event.encode() + b"\ndata: " + payload + b"\n\n"
            yield b": still here\n\n"
            await asyncio.sleep(INTERVAL)
            if time.monotonic() >= ends or await request.is_disconnected():
                return
            seen = await run_in_threadpool(watcher.look)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
