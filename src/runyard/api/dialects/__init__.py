"""The vendor dialects: each vendor's list-runs API under ``/compat/<vendor>``.

Each module is one pure translator (vendor request -> ``RunQuery``, ``Run`` -> vendor
JSON, the vendor's status words, auth header and error envelope) plus its routes, which
call the same services as the native API. No dialect touches SQL.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from runyard.api.dialects import b3os, cloudcruise, noxus, polos, skyvern

PREFIX = "/compat"
DIALECTS: dict[str, Callable[[], FastAPI]] = {
    "polos": polos.build,
    "b3os": b3os.build,
    "skyvern": skyvern.build,
    "cloudcruise": cloudcruise.build,
    "noxus": noxus.build,
}


def mount(app: FastAPI) -> dict[str, FastAPI]:
    """Mount every dialect on ``app``; returns them by path prefix."""
    mounted = {}
    for vendor, build in DIALECTS.items():
        prefix = f"{PREFIX}/{vendor}"
        mounted[prefix] = build()
        app.mount(prefix, mounted[prefix], name=vendor)
    return mounted
