"""Start a real ``runyard serve`` for a benchmark, and stop it afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Headless Chromium on a machine with no outside network: no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def healthy_process(
    command: list[str],
    env: dict[str, str],
    log: Path,
    health_url: str,
    *,
    mode: str = "w",
    within: float = 120,
) -> Iterator[None]:
    """Run ``command`` (output in ``log``) until the block ends; the block starts once
    ``health_url`` answers 200."""
    with log.open(mode) as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + within
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited; see {log}")
                try:
                    if httpx.get(health_url, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not become healthy in {within:.0f} s")
                time.sleep(0.2)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def running_server(database_url: str, api_key: str, log: Path, *args: str) -> Iterator[str]:
    """``runyard serve`` on ``database_url`` with ``api_key`` as its bootstrap key, its output
    in ``log`` (benchmarks and the tests that need a real server share this)."""
    port = free_port()
    env = {**os.environ, "RUNYARD_DATABASE_URL": database_url, "RUNYARD_BOOTSTRAP_API_KEY": api_key}
    command = [str(BIN / "runyard"), "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    url = f"http://127.0.0.1:{port}"
    with healthy_process(command, env, log, f"{url}/healthz"):
        yield url


@contextmanager
def scratch_postgres(url: str, name: str, template: str | None = None) -> Iterator[str]:
    """A PostgreSQL database ``name`` made anew on ``url``'s server (a copy of
    ``template`` if given) for one benchmark, and dropped after it; yields its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(
        make_url(url).set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
