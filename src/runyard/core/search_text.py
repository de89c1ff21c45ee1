"""What a run's free-text ``search`` matches, folded once when the run is written.

A term matches a run when it is a substring of the run's search text: its id, every
leaf of its input as text, and its ``extra_http_headers`` JSON (non-ASCII kept as
itself). Both sides are Unicode case-folded, so matching is case-insensitive for every
script and the database compares plain code points. Parameter keys and descriptions
of the run's workflow are matched at query time (they change without the runs).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

MAX_TERM_LENGTH = 500
SEPARATOR = "\n"


def fold(text: str) -> str:
    return text.casefold()


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, bool):
        yield "true" if value else "false"
    elif value is not None:
        yield json.dumps(value)


def build_search_text(run_id: str, input: Any, extra_http_headers: Any) -> str:
    parts = [run_id, *_leaves(input)]
    if extra_http_headers:
        parts.append(json.dumps(extra_http_headers, ensure_ascii=False, sort_keys=True))
    return fold(SEPARATOR.join(parts))
