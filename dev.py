#!/usr/bin/env python3
"""The project's two entry points, needing nothing but Python 3.11+.

    python3 dev.py serve [runyard serve options]   # API + demo data on SQLite
    python3 dev.py test  [pytest options]          # ruff, mypy and the whole test suite

Both create ``.venv`` and install runyard into it first (again whenever pyproject.toml
changes).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".runyard-installed"


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs before any venv exists
        sys.exit(f"runyard needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing runyard and its development tools into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def run(*command: str) -> int:
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT).returncode


def serve(args: list[str]) -> int:
    return run(str(BIN / "runyard"), "serve", "--demo", *args)


def test(args: list[str]) -> int:
    checks = [
        (str(BIN / "ruff"), "check", "src", "tests", "benchmarks", "dev.py"),
        (str(BIN / "ruff"), "format", "--check", "src", "tests", "benchmarks", "dev.py"),
        (str(BIN / "mypy"),),
    ]
    for command in checks:
        if code := run(*command):
            return code
    code = run(str(BIN / "python"), "-m", "pytest", *args)
    if code == 5:
        print("pytest collected no tests: that is a failure", file=sys.stderr)
        return 1
    return code


def main() -> int:
    commands = {"serve": serve, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    ensure_venv()
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
