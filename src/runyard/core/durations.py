"""Durations as people write them: ``90d``, ``12h``, ``30m``, ``2w``, ``45s``."""

from __future__ import annotations

import re
from datetime import timedelta

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PATTERN = re.compile(r"(\d{1,6})([smhdw])")


def parse_duration(text: str) -> timedelta:
    """A positive whole number and a unit; ``ValueError`` with an example otherwise."""
    found = _PATTERN.fullmatch(text.strip().lower())
    if found is None or int(found.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration such as 90d, 12h, 30m or 2w")
    return timedelta(**{UNITS[found.group(2)]: int(found.group(1))})
