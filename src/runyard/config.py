"""Configuration: one typed object, read from the environment once and passed in."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from runyard.core.durations import parse_duration
from runyard.core.logs import LogCap

DEFAULT_DATABASE_URL = "sqlite:///./runyard.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    bootstrap_api_key: str | None = None
    # Largest request body accepted, in bytes (an import of 1,000 runs fits easily).
    max_body_bytes: int = 16 * 1024 * 1024
    db_pool_size: int = 10
    # Ended runs older than this are pruned continuously (None: kept for ever).
    retention: timedelta | None = None
    # Requests a second each API key may send to one server process (None: no limit).
    rate_limit: float | None = None
    # Web origins whose pages may call the API from a browser (CORS); none by default.
    cors_origins: tuple[str, ...] = ()
    # How much of each run's log is kept (lines past it are dropped, and counted).
    log_cap: LogCap = field(default_factory=LogCap)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        source = os.environ if env is None else env
        values: dict[str, object] = {
            "database_url": source.get("RUNYARD_DATABASE_URL") or DEFAULT_DATABASE_URL,
            "bootstrap_api_key": source.get("RUNYARD_BOOTSTRAP_API_KEY") or None,
        }
        if source.get("RUNYARD_MAX_BODY_BYTES"):
            values["max_body_bytes"] = int(source["RUNYARD_MAX_BODY_BYTES"])
        if source.get("RUNYARD_RETENTION"):
            values["retention"] = parse_duration(source["RUNYARD_RETENTION"])
        if source.get("RUNYARD_RATE_LIMIT"):
            values["rate_limit"] = _positive("RUNYARD_RATE_LIMIT", source["RUNYARD_RATE_LIMIT"])
        if source.get("RUNYARD_CORS_ORIGINS"):
            origins = source["RUNYARD_CORS_ORIGINS"].split(",")
            values["cors_origins"] = tuple(o.strip() for o in origins if o.strip())
        if source.get("RUNYARD_RUN_LOG_MAX_LINES") or source.get("RUNYARD_RUN_LOG_MAX_BYTES"):
            default = LogCap()
            values["log_cap"] = LogCap(
                _count("RUNYARD_RUN_LOG_MAX_LINES", source, default.max_lines),
                _count("RUNYARD_RUN_LOG_MAX_BYTES", source, default.max_bytes),
            )
        if source.get("RUNYARD_DB_POOL_SIZE"):
            values["db_pool_size"] = int(source["RUNYARD_DB_POOL_SIZE"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def _positive(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(f"{name} must be a positive number, not {text!r}")
    return value


def _count(name: str, source: Mapping[str, str], default: int) -> int:
    text = source.get(name)
    if not text:
        return default
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a whole number above 0, not {text!r}")
    return int(text)
