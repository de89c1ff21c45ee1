"""The edges' contract names the store's internals one by one (import-linter cannot say
"all but these"): every module the store adds must be on that list, or an edge could
import it unchecked."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import runyard.store

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"
# What an edge may use of the store: the one handle on the database, and SQLite backups.
OPEN_TO_EDGES = {"runyard.store.database", "runyard.store.backup"}


def _forbidden_to_edges() -> set[str]:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    (edges,) = [c for c in contracts if c["name"].startswith("edges never the store")]
    return set(edges["forbidden_modules"])


def test_every_store_module_but_the_open_ones_is_forbidden_to_the_edges() -> None:
    forbidden = _forbidden_to_edges()
    store = {info.name for info in pkgutil.iter_modules(runyard.store.__path__, "runyard.store.")}
    assert store - OPEN_TO_EDGES - forbidden == set()
    assert forbidden & OPEN_TO_EDGES == set()
