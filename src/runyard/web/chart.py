"""Runs over time by status, drawn as an SVG of stacked bars (no script, no library)."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from runyard.core.query import Bucket
from runyard.core.statuses import RunStatus

# Status colours, each at least 4.5:1 against white (and told apart by text too).
COLOURS = {
    RunStatus.COMPLETED: "#1a7f37",
    RunStatus.FAILED: "#cf222e",
    RunStatus.TIMED_OUT: "#a40e26",
    RunStatus.TERMINATED: "#953800",
    RunStatus.CANCELED: "#57606a",
    RunStatus.CANCELING: "#6e5494",
    RunStatus.RUNNING: "#0969da",
    RunStatus.WAITING: "#9a6700",
    RunStatus.PAUSED: "#6639ba",
    RunStatus.QUEUED: "#0550ae",
    RunStatus.CREATED: "#424a53",
}
WIDTH, HEIGHT = 1200, 120
MAX_BARS = 120


def _label(moment: datetime, bucket_seconds: int) -> str:
    return moment.strftime("%Y-%m-%d" if bucket_seconds >= 86400 else "%m-%d %H:%M")


def _width(bucket_seconds: int) -> str:
    names = {
        60: "a minute",
        300: "5 minutes",
        900: "15 minutes",
        3600: "an hour",
        21600: "6 hours",
        86400: "a day",
        604800: "a week",
    }
    return names.get(bucket_seconds, f"{bucket_seconds} s")


def caption(buckets: list[Bucket], bucket_seconds: int) -> str:
    """What the chart's scale is, in words: one bar per ..., the tallest N."""
    shown = buckets[-MAX_BARS:]
    if not shown:
        return ""
    peak = max(sum(b.counts.values()) for b in shown)
    unit = _width(bucket_seconds).removeprefix("a ").removeprefix("an ")
    return f"one bar per {unit}; the tallest {peak:,} runs"


def svg(buckets: list[Bucket], bucket_seconds: int) -> str:
    """The chart's markup; an empty list draws an empty frame saying so."""
    shown = buckets[-MAX_BARS:]
    if not shown:
        return '<p class="muted">No runs in this window.</p>'
    first, last = shown[0].start, shown[-1].start
    slots = int((last - first).total_seconds() // bucket_seconds) + 1
    peak = max(sum(b.counts.values()) for b in shown) or 1
    bar = WIDTH / max(slots, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 18}" role="img" '
        f'aria-label="Runs over time by status, {len(shown)} bars of {_width(bucket_seconds)}, '
        f'the tallest {peak:,} runs">'
    ]
    order = list(COLOURS)
    for b in shown:
        slot = int((b.start - first).total_seconds() // bucket_seconds)
        x, y = slot * bar, float(HEIGHT)
        detail = ", ".join(f"{b.counts[s]:,} {s}" for s in order if b.counts.get(s))
        parts.append(f"<g><title>{escape(_label(b.start, bucket_seconds))}: {detail}</title>")
        for status in order:
            n = b.counts.get(status, 0)
            if not n:
                continue
            h = HEIGHT * n / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar - 1, 0.5):.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[status]}"/>'
            )
        parts.append("</g>")
    end = last + timedelta(seconds=bucket_seconds)
    parts.append(
        f'<text x="0" y="{HEIGHT + 14}" class="axis">{_label(first, bucket_seconds)}</text>'
        f'<text x="{WIDTH}" y="{HEIGHT + 14}" class="axis" text-anchor="end">'
        f"{_label(end, bucket_seconds)}</text></svg>"
    )
    return "".join(parts)
