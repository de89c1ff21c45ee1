"""How each vendor dialect renders one run: the run detail page shows them side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runyard.api.dialects import b3os, cloudcruise, noxus, polos, skyvern
from runyard.core.models import Run
from runyard.service.access import Principal
from runyard.service.services import Services


@dataclass(frozen=True, slots=True)
class Rendering:
    vendor: str
    request: str
    body: dict[str, Any]


def renderings(services: Services, principal: Principal, run: Run) -> list[Rendering]:
    context = services.workflows.of_runs(principal, [run], with_counts=True)
    return [
        Rendering("Polos", "GET /compat/polos/api/v1/workflows/runs", polos.summary(run)),
        Rendering("B3OS", f"GET /compat/b3os/v1/workflows/{run.workflow_id}/runs", b3os.item(run)),
        Rendering(
            "Skyvern", "GET /compat/skyvern/v1/workflows/runs", skyvern.workflow_run(run, context)
        ),
        Rendering("CloudCruise", "GET /compat/cloudcruise/runs", cloudcruise.summary(run)),
        Rendering("Noxus", "GET /compat/noxus/v1/runs", noxus.run(run, context)),
    ]
