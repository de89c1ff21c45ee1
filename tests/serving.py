"""A real ``runyard serve`` process, for the tests that talk to it over the network."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(database_url: str, key: str, *args: str) -> Iterator[str]:
    """Start ``runyard serve`` on ``database_url`` with ``key`` as bootstrap key; yield its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RUNYARD_DATABASE_URL": database_url,
           "RUNYARD_BOOTSTRAP_API_KEY": key}  # fmt: skip
    # The server's log goes to a file: a pipe nobody reads could fill and stall it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(BIN / "runyard"), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=env, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        try:
            _wait_healthy(process, url, log)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


def _wait_healthy(process: subprocess.Popen[bytes], url: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"runyard serve exited: {log.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "runyard serve never became healthy"
        time.sleep(0.1)
