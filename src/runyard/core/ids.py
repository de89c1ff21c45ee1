"""Identifiers: time-ordered UUIDv7 for runs, so ids sort roughly by creation."""

from __future__ import annotations

import os
import time
import uuid


def uuid7(unix_ms: int | None = None) -> str:
    """A UUIDv7 (RFC 9562) as its canonical lower-case string."""
    ms = int(time.time() * 1000) if unix_ms is None else unix_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF  # rand_b, 62 bits
    return str(uuid.UUID(int=value))


def new_id() -> str:
    return str(uuid.uuid4())


def canonical_uuid(text: str) -> str | None:
    """The canonical form of a UUID string, or ``None`` if ``text`` is not one."""
    try:
        return str(uuid.UUID(text))
    except (ValueError, AttributeError, TypeError):
        return None
