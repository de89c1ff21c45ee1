"""``runyard serve --demo``: a handful of workflows and a few thousand realistic runs."""

from __future__ import annotations

from runyard.core.models import Role
from runyard.core.query import RunQuery
from runyard.demo import WORKFLOWS, generate_runs
from runyard.service.access import Principal
from runyard.service.inputs import ImportIn, WorkflowIn
from runyard.service.services import Services

DEMO_WORKFLOW_COUNT = 6
DEMO_RUNS = 3000


def load_demo(services: Services, runs: int = DEMO_RUNS) -> int:
    """Fill the ``default`` project if it has no runs yet; returns how many runs it added."""
    project = services.projects.find("default")
    assert project is not None, "prepare() creates the default project"
    admin = Principal(project.id, Role.ADMIN, server_admin=True)
    if services.runs.page(RunQuery(project.id, limit=1)).runs:
        return 0
    ids = {}
    for spec in WORKFLOWS[:DEMO_WORKFLOW_COUNT]:
        workflow, _ = services.workflows.create_or_version(admin, WorkflowIn.model_validate(spec))
        ids[workflow.name] = workflow.id
    records = list(generate_runs(ids, runs, now=services.clock(), days=30))
    imported = 0
    for start in range(0, len(records), 1000):
        batch = ImportIn.model_validate({"runs": records[start : start + 1000]})
        imported += services.runs.import_runs(admin, batch).imported
    return imported


def start_demo_runs(services: Services) -> None:
    """Trigger a few runs of the demo workflows, so that a new user sees them execute."""
    from runyard.demo_workflows import STARTERS
    from runyard.service.inputs import TriggerIn

    project = services.projects.find("default")
    assert project is not None
    admin = Principal(project.id, Role.ADMIN, server_admin=True)
    for name, data in STARTERS:
        body = TriggerIn.model_validate({"input": data, "trigger_type": "manual"})
        services.runs.trigger(admin, name, body)
