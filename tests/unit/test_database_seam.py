"""Only ``store/backends`` knows which database it is talking to (migrations aside: each
keeps the DDL of its day). Anywhere else, a difference between SQLite and PostgreSQL is a
method of the backend, not a branch."""

from __future__ import annotations

import re
from pathlib import Path

import runyard

SRC = Path(runyard.__file__).parent
SEAM = SRC / "store" / "backends"
MIGRATIONS = SRC / "store" / "migrations"
# Asking which database this is: a dialect's or URL's name, or a per-dialect keyword.
BRANCH = re.compile(
    r"dialect\.name|is_sqlite|get_backend_name\(|drivername|"
    r"==\s*[\"'](sqlite|postgresql|postgres)[\"']|[\"'](sqlite|postgresql)[\"']\s*:|"
    r"\b(sqlite|postgresql)_where\b|with_variant\("
)


def test_no_module_outside_the_seam_branches_on_the_database() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.is_relative_to(SEAM) or path.is_relative_to(MIGRATIONS):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if BRANCH.search(line.split("#", 1)[0]):
                found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert found == [], "\n".join(found)


def test_the_check_finds_a_branch() -> None:
    assert BRANCH.search('if conn.dialect.name == "sqlite":')
    assert BRANCH.search('BATCH = {"postgresql": 1000, "sqlite": 200}')
    assert not BRANCH.search('DEFAULT_DATABASE_URL = "sqlite:///./runyard.db"')
