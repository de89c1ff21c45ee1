"""``runyard serve`` as a process of its own that a test can kill and start again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from benchmarks.server import free_port

from tests.conftest import ADMIN_KEY

BIN = Path(sys.executable).parent


class Server:
    """``runyard serve`` on a fixed port, which can be killed and started again."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "RUNYARD_DATABASE_URL": database_url,
            "RUNYARD_BOOTSTRAP_API_KEY": ADMIN_KEY,
        }
        self.log = log.open("a")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [str(BIN / "runyard"), "serve", "--no-worker", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not come up")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()
