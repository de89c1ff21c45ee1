"""Load the benchmark corpus into a running runyard through its HTTP API."""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import orjson

from runyard.demo import WORKFLOWS, generate_runs


def create_workflows(http: httpx.Client) -> dict[str, str]:
    ids = {}
    for spec in WORKFLOWS:
        response = http.post("/api/v1/workflows", json=spec)
        response.raise_for_status()
        ids[spec["name"]] = response.json()["id"]
    return ids


def _batches(
    ids: dict[str, str], count: int, now: datetime, size: int, skip: int
) -> Iterator[bytes]:
    batch: list[Any] = []
    for run in itertools.islice(generate_runs(ids, count, now=now), skip, None):
        batch.append(run)
        if len(batch) == size:
            yield orjson.dumps({"runs": batch})
            batch = []
    if batch:
        yield orjson.dumps({"runs": batch})


def import_runs(
    http: httpx.Client,
    ids: dict[str, str],
    count: int,
    now: datetime,
    *,
    size: int = 1000,
    skip: int = 0,
) -> tuple[int, float]:
    """Import ``count`` runs (but the first ``skip`` of them, imported before); returns
    (imported, seconds spent in import requests).

    Batches are generated on a thread ahead of the requests, so the rate measures the
    server, not the generator.
    """
    ready: queue.Queue[bytes | None] = queue.Queue(maxsize=8)

    def produce() -> None:
        for body in _batches(ids, count, now, size, skip):
            ready.put(body)
        ready.put(None)

    threading.Thread(target=produce, daemon=True).start()
    imported, spent = 0, 0.0
    headers = {"content-type": "application/json"}
    while (body := ready.get()) is not None:
        started = time.perf_counter()
        response = http.post("/api/v1/runs/import", content=body, headers=headers)
        spent += time.perf_counter() - started
        response.raise_for_status()
        imported += response.json()["imported"]
        if imported % 100_000 < size:
            print(f"  imported {skip + imported:,} ({imported / spent:,.0f} runs/s)", flush=True)
    return imported, spent
