"""Bringing run history over from a vendor: ``runyard runs import --from VENDOR``.

Each vendor module (``polos``, ``b3os``, ``skyvern``, ``cloudcruise``, ``noxus``) knows
its list-runs API as its seed documents it (path, parameters, auth header, paging) and
translates its runs into import records; ``paging`` holds the three ways they page,
``transport`` the HTTP calls with retries, ``checkpoint`` where an import stands,
``driver`` the loop, ``progress`` the live line. Runs reach runyard only through
``runyard.client``, as ``POST /api/v1/runs/import`` batches.
"""

from __future__ import annotations

from runyard.vendor_import import b3os, cloudcruise, noxus, polos, skyvern
from runyard.vendor_import.checkpoint import Checkpoint, default_path
from runyard.vendor_import.driver import Options, Totals, run_import
from runyard.vendor_import.transport import Retries, VendorError
from runyard.vendor_import.vendor import Ask, Vendor

VENDORS: dict[str, Vendor] = {
    v.name: v for v in (polos.VENDOR, b3os.VENDOR, skyvern.VENDOR, cloudcruise.VENDOR, noxus.VENDOR)
}

__all__ = [
    "VENDORS",
    "Ask",
    "Checkpoint",
    "Options",
    "Retries",
    "Totals",
    "Vendor",
    "VendorError",
    "default_path",
    "run_import",
]
