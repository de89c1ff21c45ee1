"""Prometheus metrics: what this process observed, plus live run counts read at scrape time.

One ``Metrics`` per process, built with the services and passed to the embedded worker,
so ``GET /metrics`` shows the claims and steps of the worker running beside the API.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from runyard.core.statuses import RunStatus
from runyard.store import queue
from runyard.store.database import Database

LIVE = [s for s in RunStatus if not s.is_terminal]
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class LiveRuns(Collector):
    """``runyard_runs{status}`` for the live statuses and ``runyard_queue_depth``, read
    from the database when scraped (each an index range: cheap at any size)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.db.read() as conn:
            counts = queue.live_counts(conn)
        runs = GaugeMetricFamily("runyard_runs", "Live runs by status", labels=["status"])
        for status in LIVE:
            runs.add_metric([status.value], counts.get(status.value, 0))
        yield runs
        depth = counts.get(RunStatus.QUEUED.value, 0)
        yield GaugeMetricFamily("runyard_queue_depth", "Runs waiting to be claimed", value=depth)


class Metrics:
    def __init__(self, db: Database | None = None) -> None:
        self.registry = CollectorRegistry()
        self.claim_latency = Histogram(
            "runyard_claim_latency_seconds",
            "From queued (or available) to claimed",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.step_duration = Histogram(
            "runyard_step_duration_seconds",
            "Duration of steps executed here",
            ["workflow"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.runs_finished = Counter(
            "runyard_runs_finished",
            "Runs this process ended, by final status",
            ["status"],
            registry=self.registry,
        )
        if db is not None:
            self.registry.register(LiveRuns(db))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
