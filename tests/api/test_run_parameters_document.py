"""The run filters' query parameters as the OpenAPI document shows them, pinned.

``GET /api/v1/runs`` (and count, stats, export, bulk) take the filters of one table
(``core/filters.py``). This snapshot holds each operation's parameters: names, types,
descriptions, whether required, in order. A change to it is deliberate: rewrite the
snapshot with ``RUNYARD_UPDATE_SNAPSHOTS=1`` and read the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from runyard.core.filters import NAMES
from tests.api.conftest import introspected_app

SNAPSHOT = Path(__file__).parent / "snapshots" / "run_parameters.json"
OPERATIONS = (
    ("get", "/api/v1/runs"),
    ("get", "/api/v1/runs/count"),
    ("get", "/api/v1/runs/stats"),
    ("get", "/api/v1/runs/export"),
    ("post", "/api/v1/runs/bulk"),
)


def _parameters() -> dict[str, Any]:
    """Each operation's parameter names in order, and each parameter once (a name means
    the same parameter in every operation that takes it)."""
    paths = introspected_app().openapi()["paths"]
    operations: dict[str, list[str]] = {}
    parameters: dict[str, Any] = {}
    for method, path in OPERATIONS:
        found = paths[path][method].get("parameters", [])
        operations[f"{method.upper()} {path}"] = [p["name"] for p in found]
        for parameter in found:
            assert parameters.setdefault(parameter["name"], parameter) == parameter
    return {"operations": operations, "parameters": parameters}


def test_the_run_operations_parameters_are_the_snapshots() -> None:
    found = _parameters()
    if os.environ.get("RUNYARD_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n")
    assert found == json.loads(SNAPSHOT.read_text())


def test_every_operation_takes_every_filter_of_the_table() -> None:
    for operation, names in _parameters()["operations"].items():
        assert set(NAMES) <= set(names), operation
