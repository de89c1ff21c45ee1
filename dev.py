#!/usr/bin/env python3
"""The project's two entry points, needing nothing but Python 3.11+.

    python3 dev.py serve [runyard serve options]   # API + demo data on SQLite
    python3 dev.py test  [pytest options]          # ruff, mypy, import contracts, all tests

Both create ``.venv`` and install runyard into it first (again whenever pyproject.toml
changes). ``test`` also keeps ``.venv-clients``: the vendors' official Python clients
(tests/clients/requirements.txt), which the acceptance tests drive against a live server,
and, when run as root, installs Debian's ``chromium`` for the dashboard's browser tests.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".runyard-installed"
CLIENTS = ROOT / ".venv-clients"
CLIENTS_REQUIREMENTS = ROOT / "tests" / "clients" / "requirements.txt"
IN_CI = os.environ.get("CI", "").lower() == "true"


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


def ensure_clients() -> Path | None:
    """The Python of .venv-clients, (re)installed when the pins change; None if it can't be."""
    python = CLIENTS / ("Scripts" if os.name == "nt" else "bin") / "python"
    stamp = CLIENTS / ".installed"
    wanted = hashlib.sha256(CLIENTS_REQUIREMENTS.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    print("installing the vendors' official clients into .venv-clients ...", flush=True)
    try:
        if not python.exists():
            venv.create(CLIENTS, with_pip=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "-r", str(CLIENTS_REQUIREMENTS)], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        if IN_CI:
            raise
        print(f"could not install the official clients ({exc}); their tests will be skipped")
        return None
    stamp.write_text(wanted)
    return python


def ensure_chromium() -> None:
    """Debian's Chromium for the browser tests, installed with apt-get when we are root;
    otherwise those tests are skipped with the reason shown (and fail in CI)."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if not shutil.which("apt-get") or not hasattr(os, "geteuid") or os.geteuid() != 0:
        print("Chromium is not installed; the browser tests will be skipped", flush=True)
        return
    print("installing Debian's chromium for the browser tests ...", flush=True)
    quiet = {
        "stdout": subprocess.DEVNULL,
        "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    }
    done = subprocess.run(["apt-get", "update", "-qq"], **quiet).returncode == 0 and (
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], **quiet).returncode == 0
    )
    if not done:
        print("could not install chromium; the browser tests will be skipped", flush=True)


def run(*command: str) -> int:
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT).returncode


def serve(args: list[str]) -> int:
    # A key to sign in to the dashboard with, for this local demo (set your own to change it).
    os.environ.setdefault("RUNYARD_BOOTSTRAP_API_KEY", "ry_local_admin")
    print(f"dashboard key: {os.environ['RUNYARD_BOOTSTRAP_API_KEY']}", flush=True)
    return run(str(BIN / "runyard"), "serve", "--demo", *args)


def test(args: list[str]) -> int:
    checks = [
        (str(BIN / "ruff"), "check", "src", "tests", "benchmarks", "dev.py"),
        (str(BIN / "ruff"), "format", "--check", "src", "tests", "benchmarks", "dev.py"),
        (str(BIN / "mypy"),),
        (str(BIN / "lint-imports"),),  # the layers (pyproject.toml [tool.importlinter])
    ]
    for command in checks:
        if code := run(*command):
            return code
    ensure_chromium()
    clients = ensure_clients()
    if clients is not None:
        os.environ["RUNYARD_CLIENTS_PYTHON"] = str(clients)
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
