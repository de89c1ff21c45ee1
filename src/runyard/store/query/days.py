"""The UTC days the kept day counts are numbered by, and a window as the whole days it spans.

The triggers of migration 0008 keep ``run_day_counts`` per day since 1970-01-01 (UTC): a
count or a chart whose window spans whole days sums those days, and only the partial days
at its ends are counted from the runs (``split_window``). Pure: no SQL here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from runyard.core.times import from_micros, to_micros

MICROS_PER_DAY = 86_400_000_000
SECONDS_PER_DAY = 86_400


def day_of(at: datetime) -> int:
    """The UTC day ``at`` falls in, as the triggers number it (days since 1970-01-01)."""
    return to_micros(at) // MICROS_PER_DAY


def day_start(day: int) -> datetime:
    return from_micros(day * MICROS_PER_DAY)


@dataclass(frozen=True, slots=True)
class Window:
    """A time window ``[after, before)`` as the whole days it spans, ``first`` to ``end``
    (exclusive; None: unbounded), and the partial days at its ends (``edges``, each a
    ``(after, before)``) that only the runs can count."""

    first: int | None
    end: int | None
    edges: tuple[tuple[datetime | None, datetime | None], ...]


def split_window(after: datetime | None, before: datetime | None) -> Window | None:
    """The whole days of a window and its partial ends; None if it spans no whole day."""
    first = None if after is None else -(-to_micros(after) // MICROS_PER_DAY)  # ceiling
    end = None if before is None else day_of(before)
    if first is not None and end is not None and first >= end:
        return None
    edges = []
    if after is not None and first is not None and day_start(first) != after:
        edges.append((after, day_start(first)))
    if before is not None and end is not None and day_start(end) != before:
        edges.append((day_start(end), before))
    return Window(first, end, tuple(edges))
