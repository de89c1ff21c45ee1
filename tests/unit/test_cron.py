"""Cron ticks in a time zone, and refusals of bad schedules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from runyard.core.errors import InvalidInput
from runyard.service.schedules import next_tick


def test_ticks_are_computed_in_the_schedules_time_zone() -> None:
    after = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    # 09:00 in Zürich (UTC+1 in winter) is 08:00 UTC; the next one is the next day's.
    assert next_tick("0 9 * * *", "Europe/Zurich", after) == datetime(2026, 1, 11, 8, 0, tzinfo=UTC)
    assert next_tick("*/15 * * * *", "UTC", after) == datetime(2026, 1, 10, 12, 15, tzinfo=UTC)


def test_a_tick_skipped_by_daylight_saving_fires_once_after_the_jump() -> None:
    # 02:30 does not exist in Zürich on 2026-03-29; Debian's cron runs the job at 03:00.
    after = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    tick = next_tick("30 2 * * *", "Europe/Zurich", after)
    assert tick == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST


@pytest.mark.parametrize(
    ("cron", "zone", "field"),
    [
        ("61 * * * *", "UTC", "cron"),
        ("every day", "UTC", "cron"),
        ("0 9 * * *", "Mars/Olympus", "timezone"),
        ("0 9 * * *", "", "timezone"),
    ],
)
def test_bad_schedules_are_refused_naming_the_field(cron: str, zone: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        next_tick(cron, zone, datetime(2026, 1, 1, tzinfo=UTC))
    assert caught.value.errors[0].loc == ("body", field)
