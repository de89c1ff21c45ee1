"""Rendering dashboard pages: the Jinja environment and the formats every page shares."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

import runyard
from runyard.core.models import Run
from runyard.core.statuses import RunStatus
from runyard.web.chart import COLOURS

HERE = Path(__file__).parent
STATIC = HERE / "static"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def iso(moment: datetime | None) -> str:
    return moment.isoformat().replace("+00:00", "Z") if moment else ""


def took(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def pretty(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def _asset_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC.iterdir()):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, iso=iso, took=took, pretty=pretty)
    env.globals.update(
        version=runyard.__version__,
        asset_version=_asset_version(),
        statuses=list(RunStatus),
        colours={s.value: c for s, c in COLOURS.items()},
    )
    return env


ENV = build_environment()


# Pages load nothing from elsewhere, are never framed, and keep their URLs to themselves.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = ENV.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def fragment(name: str, **context: Any) -> str:
    return ENV.get_template(name).render(**context)


def row_signature(run: Run, codes: list[str]) -> str:
    """Changes whenever what a run's row shows changes."""
    seen = f"{run.status}|{iso(run.modified_at)}|{iso(run.finished_at)}|{','.join(codes)}"
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def row_html(run: Run, codes: list[str]) -> str:
    return fragment("_row.html", run=run, codes=codes, sig=row_signature(run, codes))
