"""``DirectTransport``: a worker's calls done in this process, over the database.

For the worker embedded in ``runyard serve`` and for ``runyard worker`` given a database
URL. An idle worker looks for runs every ``poll_seconds``, and at once when a run is
queued through this process (``Database.signals``): the embedded worker starts a run
triggered through its server without waiting for the next look.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from runyard.core.execution import Claim, Ended, Ending
from runyard.core.logs import LogLine
from runyard.core.models import Role, Run, Step
from runyard.core.statuses import RunStatus
from runyard.service.access import Principal
from runyard.service.inputs import WorkflowIn
from runyard.service.services import Services
from runyard.worker.transport import Outage


def owner_name() -> str:
    """A worker's name: where it runs, and a random part to tell restarts apart."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class DirectTransport:
    def __init__(self, services: Services, project_id: str, *, poll_seconds: float = 0.05) -> None:
        self.owner = owner_name()
        self.principal = Principal(project_id, Role.WORKER)
        self.poll_seconds = poll_seconds
        self.execution = services.execution
        self.workflows = services.workflows
        self.logs = services.logs
        self.outage = Outage("the database")
        self._found_work = False
        self._interrupted = threading.Event()

    def register(self, workflows: Sequence[dict[str, Any]]) -> list[str]:
        return [
            self.workflows.create_or_version(self.principal, WorkflowIn.model_validate(w))[0].id
            for w in workflows
        ]

    def claim(
        self,
        workflow_ids: Sequence[str],
        *,
        limit: int,
        lease: timedelta,
        wait: float,
        stop: threading.Event,
    ) -> list[Claim]:
        deadline = time.monotonic() + wait
        with self.execution.watch_queue(self.principal) as queued:
            while True:
                # An empty queue is looked at without the write lock (no claim then).
                claims = self.execution.claim(
                    self.principal,
                    self.owner,
                    workflow_ids,
                    limit=limit,
                    lease=lease,
                    peek=not self._found_work,
                )
                self._found_work = bool(claims)
                left = deadline - time.monotonic()
                if claims or left <= 0 or stop.is_set() or self._interrupted.is_set():
                    return claims
                queued.wait(min(self.poll_seconds, left))

    def interrupt(self) -> None:
        self._interrupted.set()

    def renew(self, run_ids: Sequence[str], lease: timedelta) -> dict[str, RunStatus]:
        return self.execution.renew(self.principal, self.owner, run_ids, lease)

    def record(self, run_id: str, steps: Sequence[Step], progress: int | None) -> RunStatus:
        return self.execution.record(self.principal, self.owner, run_id, steps, progress)

    def suspend(
        self,
        run_id: str,
        steps: Sequence[Step],
        *,
        until: datetime | None = None,
        event: str | None = None,
    ) -> None:
        self.execution.suspend(self.principal, self.owner, run_id, steps, until=until, event=event)

    def start_child(
        self, parent_id: str, workflow: str, data: dict[str, Any], key: str, steps: Sequence[Step]
    ) -> Run:
        return self.execution.start_child(
            self.principal, self.owner, parent_id, workflow, data, key, steps
        )

    def child(self, parent_id: str, child_id: str) -> Run:
        return self.execution.child(self.principal, parent_id, child_id)

    def finish(self, endings: Sequence[Ending]) -> list[Ended]:
        return self.execution.finish(self.principal, self.owner, endings)

    def write_logs(self, lines: Sequence[LogLine]) -> None:
        self.logs.append(self.principal, lines)

    def close(self) -> None:
        """Nothing to let go of: the services and their database are the caller's."""
