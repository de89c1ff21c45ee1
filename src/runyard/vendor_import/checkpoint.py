"""Where an import stands, in a small JSON file, so that running the same command again
goes on from there instead of walking the vendor's runs from the start.

It is written after each imported batch, atomically (a new file renamed over the old,
so an import killed mid-write leaves the previous checkpoint whole), and once more when
the walk is done, marked ``done`` with the time the walk began: a rerun then brings only
the runs created since (``driver.RERUN_OVERLAP`` before it). It names the import it
belongs to: a file written for other options (another ``--since``, other workflows) is
refused rather than misread. By default it
lives under ``$XDG_CACHE_HOME/runyard/imports`` (``~/.cache``), named after the vendor,
its URL and the rest of the import's identity, so a plain rerun finds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from runyard.core.errors import InvalidInput
from runyard.vendor_import.paging import Position

VERSION = 1


def default_path(identity: Mapping[str, Any]) -> Path:
    """``<cache>/runyard/imports/<vendor>-<host>-<hash of the identity>.json``."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    host = urlsplit(str(identity.get("url", ""))).hostname or "vendor"
    return Path(cache) / "runyard" / "imports" / f"{identity.get('vendor')}-{host}-{digest}.json"


@dataclass
class Saved:
    """What a checkpoint holds besides its identity."""

    position: Position
    until: str | None  # the walk's fixed end, where the vendor filters by time
    imported: int = 0
    skipped: int = 0
    pages: int = 0
    done: bool = False  # the walk reached the end


class Checkpoint:
    def __init__(self, path: Path, identity: Mapping[str, Any]) -> None:
        self.path = path
        self.identity = dict(identity)

    def load(self) -> Saved | None:
        """The saved state; None when there is none."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise InvalidInput(
                f"checkpoint {self.path} cannot be read ({exc}); use --restart"
            ) from None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise InvalidInput(f"checkpoint {self.path} is not one of this runyard; use --restart")
        if data.get("identity") != json.loads(json.dumps(self.identity)):
            differ = sorted(
                k
                for k in {*self.identity, *data.get("identity", {})}
                if data.get("identity", {}).get(k) != self.identity.get(k)
            )
            raise InvalidInput(
                f"checkpoint {self.path} belongs to an import with other options "
                f"({', '.join(differ)}); use --restart, or another --checkpoint"
            )
        return Saved(
            Position.from_json(data["position"]),
            data.get("until"),
            int(data.get("imported", 0)),
            int(data.get("skipped", 0)),
            int(data.get("pages", 0)),
            bool(data.get("done", False)),
        )

    def save(self, saved: Saved) -> None:
        data = {
            "version": VERSION,
            "identity": self.identity,
            "position": saved.position.to_json(),
            "until": saved.until,
            "imported": saved.imported,
            "skipped": saved.skipped,
            "pages": saved.pages,
            "done": saved.done,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
