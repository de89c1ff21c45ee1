"""Use cases for workflows: create, new versions, change, soft delete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from runyard.core.errors import Conflict, Duplicate, NotFound
from runyard.core.ids import new_id
from runyard.core.models import Parameter, Role, Run, Workflow
from runyard.core.times import Clock
from runyard.service.access import Principal
from runyard.service.inputs import ParameterIn, WorkflowIn, WorkflowPatch
from runyard.store import workflow_rows
from runyard.store.database import Database, Tx
from runyard.store.query.counts import by_workflow_status

# Tries at registering a workflow that others register at the same moment: each lost race
# is followed by a read that finds the winner's row, so two tries settle any pair.
REGISTER_ATTEMPTS = 5


def _parameters(items: list[ParameterIn]) -> tuple[Parameter, ...]:
    return tuple(Parameter(p.key, p.description, p.type, p.default) for p in items)


@dataclass(frozen=True, slots=True)
class WorkflowsOfRuns:
    """The workflow of each run of a page, and the id of the version each run ran."""

    workflows: dict[str, Workflow]
    version_ids: dict[tuple[str, int], str]

    def of(self, run: Run) -> Workflow:
        return self.workflows[run.workflow_id]

    def version_id(self, run: Run) -> str:
        """The id of the version the run ran (the workflow's current one if unrecorded)."""
        found = self.version_ids.get((run.workflow_id, run.workflow_version))
        return found or self.workflows[run.workflow_id].version_id


@dataclass(frozen=True, slots=True)
class WorkflowOverview:
    workflow: Workflow
    versions: list[tuple[int, datetime]]
    runs_by_status: dict[str, int]


class WorkflowService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def get(self, principal: Principal, id_or_name: str) -> Workflow:
        with self.db.read() as conn:
            workflow = workflow_rows.find_workflow(conn, principal.project_id, id_or_name)
        if workflow is None:
            raise NotFound(f"workflow {id_or_name!r} does not exist")
        return workflow

    def all(
        self,
        principal: Principal,
        types: tuple[str, ...] = (),
        *,
        with_counts: bool = True,
        search: str | None = None,
    ) -> list[Workflow]:
        """The project's live workflows; ``search`` keeps those whose name or title holds it
        (any case)."""
        with self.db.read() as conn:
            found = workflow_rows.list_workflows(
                conn, principal.project_id, types=types, with_counts=with_counts
            )
        if not search:
            return found
        needle = search.casefold()
        return [w for w in found if needle in w.name.casefold() or needle in w.title.casefold()]

    def overview(self, principal: Principal) -> list[WorkflowOverview]:
        """Every live workflow with its versions, run counts by status and last run."""
        with self.db.read() as conn:
            found = workflow_rows.list_workflows(conn, principal.project_id, with_counts=False)
            ids = [w.id for w in found]
            versions = workflow_rows.versions_of(conn, ids)
            counts = by_workflow_status(conn, principal.project_id)
            last = workflow_rows.last_runs(conn, principal.project_id, ids)
        return [
            WorkflowOverview(
                replace(
                    w, runs_count=sum(counts.get(w.id, {}).values()), last_run_at=last.get(w.id)
                ),
                versions.get(w.id, []),
                counts.get(w.id, {}),
            )
            for w in found
        ]

    def of_runs(
        self, principal: Principal, runs: Sequence[Run], *, with_counts: bool = False
    ) -> WorkflowsOfRuns:
        """What renderers that embed workflow fields in each run need, in one read."""
        ids = sorted({r.workflow_id for r in runs})
        versions = sorted({(r.workflow_id, r.workflow_version) for r in runs})
        with self.db.read() as conn:
            found = workflow_rows.workflows_by_id(
                conn, principal.project_id, ids, with_counts=with_counts
            )
            return WorkflowsOfRuns(found, workflow_rows.version_ids(conn, versions))

    def create_or_version(self, principal: Principal, body: WorkflowIn) -> tuple[Workflow, bool]:
        """Create the workflow, or make a new version of the live one with that name.

        Returns the workflow and whether it was created. A new version is made only when
        the definition or the parameters change; other fields are updated in place.
        Idempotent under races: when several callers register the same workflow at once
        (workers starting together), one creates it or makes the version and the others,
        finding it on their retry, change nothing.
        """
        principal.require(Role.WORKER)  # a worker registers its workflows; so may writers
        for _ in range(REGISTER_ATTEMPTS - 1):
            try:
                return self._create_or_version(principal, body)
            except Duplicate:  # another caller's insert won the name or the version
                continue
        try:
            return self._create_or_version(principal, body)
        except Duplicate:
            raise Conflict(f"workflow {body.name!r} keeps changing concurrently; retry") from None

    def _create_or_version(self, principal: Principal, body: WorkflowIn) -> tuple[Workflow, bool]:
        now = self.clock()
        with self.db.write() as conn:
            current = workflow_rows.find_workflow(conn, principal.project_id, body.name)
            if current is None:
                workflow = Workflow(
                    id=new_id(),
                    project_id=principal.project_id,
                    name=body.name,
                    title=body.title or body.name,
                    type=body.type,
                    description=body.description,
                    version=1,
                    version_id=new_id(),
                    definition=body.definition,
                    parameters=_parameters(body.parameters),
                    error_handler_id=_str(body.error_handler_id),
                    created_at=now,
                    modified_at=now,
                )
                workflow_rows.insert_workflow(conn, workflow)
                return workflow, True
            patch = WorkflowPatch(
                title=body.title or body.name,
                type=body.type,
                description=body.description,
                parameters=body.parameters,
                definition=body.definition,
                error_handler_id=body.error_handler_id,
            )
            return self._apply(conn, current, patch), False

    def patch(self, principal: Principal, id_or_name: str, patch: WorkflowPatch) -> Workflow:
        principal.require(Role.WRITE)
        with self.db.write() as conn:
            current = workflow_rows.find_workflow(conn, principal.project_id, id_or_name)
            if current is None:
                raise NotFound(f"workflow {id_or_name!r} does not exist")
            return self._apply(conn, current, patch)

    def _apply(self, conn: Tx, current: Workflow, patch: WorkflowPatch) -> Workflow:
        sent = patch.model_fields_set
        parameters = (
            _parameters(patch.parameters) if patch.parameters is not None else current.parameters
        )
        definition = patch.definition if patch.definition is not None else current.definition
        changed = parameters != current.parameters or definition != current.definition
        now = self.clock()
        updated = replace(
            current,
            title=patch.title if patch.title is not None else current.title,
            type=patch.type if patch.type is not None else current.type,
            description=patch.description if patch.description is not None else current.description,
            error_handler_id=(
                _str(patch.error_handler_id)
                if "error_handler_id" in sent
                else current.error_handler_id
            ),
            definition=definition,
            parameters=parameters,
            modified_at=now,
        )
        if changed:
            updated = replace(updated, version=current.version + 1, version_id=new_id())
        workflow_rows.update_workflow(conn, updated, new_version=changed)
        return updated

    def delete(self, principal: Principal, id_or_name: str) -> None:
        principal.require(Role.WRITE)
        with self.db.write() as conn:
            current = workflow_rows.find_workflow(conn, principal.project_id, id_or_name)
            if current is None:
                raise NotFound(f"workflow {id_or_name!r} does not exist")
            workflow_rows.soft_delete_workflow(conn, current.id, self.clock())

    def delete_parameter(self, principal: Principal, id_or_name: str, key: str) -> Workflow:
        """Soft-delete one parameter definition: a new version without it."""
        principal.require(Role.WRITE)
        with self.db.write() as conn:
            current = workflow_rows.find_workflow(conn, principal.project_id, id_or_name)
            if current is None:
                raise NotFound(f"workflow {id_or_name!r} does not exist")
            if all(p.key != key for p in current.parameters):
                raise NotFound(f"workflow {current.name!r} has no parameter {key!r}")
            kept = [
                ParameterIn(key=p.key, description=p.description, type=p.type, default=p.default)
                for p in current.parameters
                if p.key != key
            ]
            return self._apply(conn, current, WorkflowPatch(parameters=kept))


def _str(value: object | None) -> str | None:
    return None if value is None else str(value)
