"""``Services``: every use case over one database, built in one place.

The API app, the embedded and database-direct workers, the housekeeping and the CLI's
in-process mode all take this container, so each service is built once, the same way,
and those that depend on another (executions, schedules and webhooks on runs; projects
on the authenticator) share it. It takes plain values, not the configuration: the
caller reads ``Settings`` and passes what the services need.
"""

from __future__ import annotations

from dataclasses import dataclass

from runyard.core.logs import LogCap
from runyard.core.times import Clock, utcnow
from runyard.service.access import Authenticator
from runyard.service.bulk import BulkService
from runyard.service.execution import ExecutionService
from runyard.service.metrics import Metrics
from runyard.service.projects import ProjectService
from runyard.service.retention import RetentionService
from runyard.service.run_logs import LogService
from runyard.service.runs import RunService
from runyard.service.schedules import ScheduleService
from runyard.service.webhooks import WebhookService
from runyard.service.workflows import WorkflowService
from runyard.store.database import Database


@dataclass(frozen=True)
class Services:
    db: Database
    clock: Clock
    auth: Authenticator
    projects: ProjectService
    workflows: WorkflowService
    runs: RunService
    bulk: BulkService
    retention: RetentionService
    execution: ExecutionService
    logs: LogService
    schedules: ScheduleService
    webhooks: WebhookService
    metrics: Metrics

    @classmethod
    def build(
        cls, db: Database, clock: Clock = utcnow, *, log_cap: LogCap | None = None
    ) -> Services:
        """The services over ``db``; ``log_cap`` bounds each run's log (default ``LogCap()``)."""
        runs = RunService(db, clock)
        auth = Authenticator(db)
        return cls(
            db=db,
            clock=clock,
            auth=auth,
            projects=ProjectService(db, clock, on_revoke=auth.forget),
            workflows=WorkflowService(db, clock),
            runs=runs,
            bulk=BulkService(runs, clock),
            retention=RetentionService(db, clock),
            execution=ExecutionService(db, clock, runs),
            logs=LogService(db, clock, log_cap),
            schedules=ScheduleService(db, clock, runs),
            webhooks=WebhookService(db, clock, runs),
            metrics=Metrics(db),
        )
