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


def mount(app: FastAPI) -> list[FastAPI]:
    """Mount every dialect on ``app``; returns them (their state needs the services)."""
    mounted = []
    for vendor, build in DIALECTS.items():
        sub = build()
        app.mount(f"{PREFIX}/{vendor}", sub, name=vendor)
        mounted.append(sub)
    return mounted
