"""Use cases for runs: trigger, import, report, act, and query.

Every status change goes through ``core.lifecycle.transition`` (the transition table)
and is written with a guard on the status it was computed from, so two concurrent
changes cannot both apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from runyard.core.errors import Conflict, FieldError, IllegalTransition, InvalidInput, NotFound
from runyard.core.ids import uuid7
from runyard.core.lifecycle import transition
from runyard.core.models import Role, Run, RunCount, RunHead, StatusChange, Step
from runyard.core.parameters import apply_parameters
from runyard.core.query import Bucket, Page, RunQuery
from runyard.core.statuses import RunStatus, cancel_target
from runyard.core.times import Clock
from runyard.service.access import Principal
from runyard.service.inputs import ImportedRun, ImportIn, RunFields, RunPatch, StepIn, TriggerIn
from runyard.store import run_lookups, run_rows, workflow_refs, workflow_rows
from runyard.store.database import Database, Tx
from runyard.store.query import counts, reads
from runyard.store.query.planner import Planner

R = TypeVar("R", bound=RunHead)


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported: int
    skipped: int


def _fields(body: RunFields) -> dict[str, Any]:
    """The settable §2 fields of a body, ids as canonical strings."""
    values = body.model_dump(include=set(RunFields.model_fields))
    for name in ("parent_run_id", "root_run_id", "depends_on_run_id", "source_run_id"):
        if values[name] is not None:
            values[name] = str(values[name])
    return values


@dataclass(frozen=True, slots=True)
class Lineage:
    parent: Run | None
    source: Run | None
    children: list[Run]
    more_children: bool
    retries: list[Run]


class RunService:
    def __init__(self, db: Database, clock: Clock, planner: Planner = Planner()) -> None:
        self.db = db
        self.clock = clock
        # The query engine's thresholds (store/query/planner.py); a test may set others.
        self.planner = planner

    # -- creating runs -------------------------------------------------------------

    def trigger(
        self,
        principal: Principal,
        workflow_ref: str,
        body: TriggerIn,
        idempotency_key: str | None = None,
    ) -> tuple[Run, bool]:
        """Queue a run of the workflow's current version; returns it and whether it is new.

        With an ``idempotency_key``, a repeated request returns the run the first one made
        (also when the two race: the loser finds the winner's run).
        """
        principal.require(Role.WRITE)
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
            raise InvalidInput.field(("header", "Idempotency-Key"), "must be 1-200 characters")
        outcome = self._trigger(principal, workflow_ref, body, idempotency_key)
        if isinstance(outcome, tuple):
            return outcome
        # A concurrent request with the same key stored its run first: that is the run.
        assert idempotency_key is not None
        with self.db.read() as conn:
            earlier = run_rows.run_by_idempotency_key(
                conn, principal.project_id, outcome.workflow_id, idempotency_key
            )
        if earlier is None:
            raise Conflict("a request with this Idempotency-Key is still in progress; retry")
        return replace(earlier, workflow_name=outcome.workflow_name), False

    def _trigger(
        self, principal: Principal, workflow_ref: str, body: TriggerIn, idempotency_key: str | None
    ) -> tuple[Run, bool] | Run:
        """(run, created), or the run that lost a race for its idempotency key."""
        with self.db.write() as conn:
            return self.create_in(conn, principal, workflow_ref, body, idempotency_key)

    def create_in(
        self,
        conn: Tx,
        principal: Principal,
        workflow_ref: str,
        body: TriggerIn,
        idempotency_key: str | None,
    ) -> tuple[Run, bool] | Run:
        """Queue a run inside the caller's write transaction (see ``trigger``)."""
        workflow = workflow_rows.find_workflow(conn, principal.project_id, workflow_ref)
        if workflow is None:
            raise NotFound(f"workflow {workflow_ref!r} does not exist")
        if idempotency_key is not None:
            earlier = run_rows.run_by_idempotency_key(
                conn, principal.project_id, workflow.id, idempotency_key
            )
            if earlier is not None:
                return replace(earlier, workflow_name=workflow.name), False
        fields = _fields(body)
        fields["input"] = apply_parameters(workflow.parameters, body.input)
        now = self.clock()
        run = Run(
            id=uuid7(),
            project_id=principal.project_id,
            workflow_id=workflow.id,
            workflow_version=workflow.version,
            status=RunStatus.QUEUED,
            created_at=now,
            queued_at=now,
            modified_at=now,
            workflow_name=workflow.name,
            **fields,
        )
        run = replace(run, root_run_id=self._root_of(conn, principal, run))
        self._check_dependency(conn, principal, run)
        inserted = run_rows.insert_runs(
            conn, [run], idempotency_keys=[idempotency_key], history=True
        )
        return (run, True) if inserted else run

    def _check_dependency(self, conn: Tx, principal: Principal, run: Run) -> None:
        dependency = run.depends_on_run_id
        if dependency is not None and not run_rows.roots_of(
            conn, principal.project_id, [dependency]
        ):
            raise InvalidInput.field(
                ("body", "depends_on_run_id"), f"run {dependency} does not exist"
            )

    def _root_of(self, conn: Tx, principal: Principal, run: Run) -> str:
        if run.parent_run_id is None:
            return run.root_run_id or run.id
        roots = run_rows.roots_of(conn, principal.project_id, [run.parent_run_id])
        if run.parent_run_id not in roots:
            raise InvalidInput.field(
                ("body", "parent_run_id"), f"run {run.parent_run_id} does not exist"
            )
        return roots[run.parent_run_id]

    def import_runs(self, principal: Principal, body: ImportIn) -> ImportResult:
        """Store complete run records as they are; runs whose id exists are skipped.

        Synchronous: once this returns, the runs are in every query.
        """
        principal.require(Role.WRITE)
        result = self._import(principal, body)
        if result.imported:
            self.db.upkeep.nudge()  # fresh statistics soon, for the planner's sake
        return result

    def _import(self, principal: Principal, body: ImportIn) -> ImportResult:
        now = self.clock()
        with self.db.write() as conn:
            refs = workflow_refs.resolve(
                conn, principal.project_id, {r.workflow_id for r in body.runs}
            )
            unknown = [
                (i, r.workflow_id) for i, r in enumerate(body.runs) if r.workflow_id not in refs
            ]
            if unknown:
                first, ref = unknown[0]
                raise InvalidInput(
                    f"runs.{first}.workflow_id: no workflow {ref!r} in this project",
                    [
                        FieldError(("body", "runs", i, "workflow_id"), f"no workflow {ref!r}")
                        for i, ref in unknown
                    ],
                )
            roots = _roots(conn, principal, body.runs)
            records = [
                self._imported(principal, r, refs[r.workflow_id], now, roots[str(r.id)])
                for r in body.runs
            ]
            inserted = run_rows.insert_runs(conn, records)
        return ImportResult(imported=len(inserted), skipped=len(records) - len(inserted))

    def _imported(
        self,
        principal: Principal,
        item: ImportedRun,
        ref: tuple[str, int],
        now: datetime,
        root_run_id: str,
    ) -> Run:
        created = item.created_at or now
        fields = _fields(item)
        fields["root_run_id"] = root_run_id
        return Run(
            id=str(item.id),
            project_id=principal.project_id,
            workflow_id=ref[0],
            workflow_version=item.workflow_version or ref[1],
            status=item.status,
            attempt=item.attempt,
            result=item.result,
            error=item.error,
            failure_reason=item.failure_reason,
            failure_category=item.failure_category,
            progress=item.progress,
            credits_used=item.credits_used,
            created_at=created,
            queued_at=item.queued_at,
            started_at=item.started_at,
            finished_at=item.finished_at,
            modified_at=item.modified_at or item.finished_at or item.started_at or created,
            steps=tuple(s.record(s.seq or i + 1) for i, s in enumerate(item.steps)),
            **fields,
        )

    # -- one run -------------------------------------------------------------------

    def get(self, principal: Principal, run_id: str) -> Run:
        with self.db.read() as conn:
            pk, run = self._load(conn, principal, run_id)
            names = workflow_rows.workflow_names(conn, [run.workflow_id])
            return replace(
                run, steps=run_rows.load_steps(conn, pk), workflow_name=names.get(run.workflow_id)
            )

    def _load(
        self, conn: Tx, principal: Principal, run_id: str, *, for_update: bool = False
    ) -> tuple[int, Run]:
        found = run_rows.run_pk_and_record(
            conn, principal.project_id, run_id, for_update=for_update
        )
        if found is None:
            raise NotFound(f"run {run_id} does not exist")
        return found

    def _change(self, principal: Principal, run_id: str, change: Any) -> Run:
        """Apply ``change(run) -> Run`` under a status guard; refuse if it raced."""
        principal.require(Role.WRITE)
        with self.db.write() as conn:
            return self._change_in(conn, principal, run_id, change)

    def _change_in(self, conn: Tx, principal: Principal, run_id: str, change: Any) -> Run:
        pk, run = self._load(conn, principal, run_id, for_update=True)
        updated: Run = change(run)
        if not run_rows.save_run_state(conn, pk, run.status, updated):
            raise Conflict(f"run {run_id} changed while this request ran; retry")
        return updated

    def _cancel_change(self, run: Run) -> Run:
        return transition(run, cancel_target(run.status), self.clock())

    def cancel_many(self, principal: Principal, run_ids: Sequence[str]) -> list[str]:
        """Cancel these runs in one transaction; returns the ids of those that were (a run
        that ended, changed meanwhile or is not this project's is left out)."""
        return self._many(
            principal,
            run_ids,
            lambda conn, run_id: self._change_in(conn, principal, run_id, self._cancel_change),
        )

    def retry_many(self, principal: Principal, run_ids: Sequence[str]) -> list[str]:
        """Retry these finished runs in one transaction; returns the ids of those retried."""
        return self._many(
            principal, run_ids, lambda conn, run_id: self._retry_in(conn, principal, run_id, None)
        )

    def _many(self, principal: Principal, run_ids: Sequence[str], act: Any) -> list[str]:
        principal.require(Role.WRITE)
        done: list[str] = []
        with self.db.write() as conn:
            for run_id in run_ids:
                try:
                    act(conn, run_id)
                except (IllegalTransition, Conflict, NotFound):  # raised before any write
                    continue
                done.append(run_id)
        return done

    @contextmanager
    def triggering(self, principal: Principal) -> Iterator[Callable[[str, TriggerIn], Run]]:
        """One write transaction in which to queue several runs, all or none: yields
        ``trigger(workflow_ref, body) -> Run`` (a dialect's batch call uses it)."""
        principal.require(Role.WRITE)
        with self.db.write() as conn:

            def trigger(workflow_ref: str, body: TriggerIn) -> Run:
                made = self.create_in(conn, principal, workflow_ref, body, None)
                return made[0] if isinstance(made, tuple) else made

            yield trigger

    def report(self, principal: Principal, run_id: str, patch: RunPatch) -> Run:
        """An executor reports on a run: status (through the table), result, error, progress."""
        sent = patch.model_fields_set
        changes = {
            name: getattr(patch, name)
            for name in (
                "result",
                "error",
                "failure_reason",
                "failure_category",
                "progress",
                "credits_used",
            )
            if name in sent
        }
        if "progress" in changes and changes["progress"] is None:
            raise InvalidInput.field(("body", "progress"), "must be a number from 0 to 100")
        if "credits_used" in changes and changes["credits_used"] is None:
            raise InvalidInput.field(("body", "credits_used"), "must be a number")

        def change(run: Run) -> Run:
            now = self.clock()
            if patch.status is not None and patch.status != run.status:
                return transition(run, patch.status, now, **changes)
            return replace(run, modified_at=now, **changes)

        return self._change(principal, run_id, change)

    def cancel(self, principal: Principal, run_id: str) -> Run:
        return self._change(principal, run_id, self._cancel_change)

    def terminate(self, principal: Principal, run_id: str) -> Run:
        """End a run at once; a worker executing it stops at its next heartbeat or step."""
        return self._change(
            principal, run_id, lambda run: transition(run, RunStatus.TERMINATED, self.clock())
        )

    def pause(self, principal: Principal, run_id: str) -> Run:
        return self._change(
            principal, run_id, lambda run: transition(run, RunStatus.PAUSED, self.clock())
        )

    def resume(self, principal: Principal, run_id: str) -> Run:
        def change(run: Run) -> Run:
            if run.status is not RunStatus.PAUSED:
                raise IllegalTransition(
                    f"only a paused run can be resumed; this one is {run.status}"
                )
            return transition(run, RunStatus.QUEUED, self.clock())

        return self._change(principal, run_id, change)

    def retry(self, principal: Principal, run_id: str, idempotency_key: str | None = None) -> Run:
        """A new queued run of the same workflow and input, pointing at this one (a repeated
        request with the same ``idempotency_key`` gets the run the first one made)."""
        principal.require(Role.WRITE)
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
            raise InvalidInput.field(("header", "Idempotency-Key"), "must be 1-200 characters")
        with self.db.write() as conn:
            return self._retry_in(conn, principal, run_id, idempotency_key)

    def _retry_in(
        self, conn: Tx, principal: Principal, run_id: str, idempotency_key: str | None
    ) -> Run:
        _, source = self._load(conn, principal, run_id)
        if idempotency_key is not None:
            earlier = run_rows.run_by_idempotency_key(
                conn, principal.project_id, source.workflow_id, idempotency_key
            )
            if earlier is not None:
                return earlier
        if not source.status.is_terminal:
            raise Conflict(f"run {run_id} is {source.status}; only a finished run can be retried")
        refs = workflow_refs.resolve(conn, principal.project_id, [source.workflow_id])
        version = (
            refs[source.workflow_id][1] if source.workflow_id in refs else source.workflow_version
        )
        now = self.clock()
        run = replace(
            source,
            id=uuid7(),
            workflow_version=version,
            status=RunStatus.QUEUED,
            attempt=1,
            result=None,
            error=None,
            failure_reason=None,
            failure_category=None,
            progress=0,
            credits_used=0.0,
            source_run_id=source.id,
            trigger_type=source.trigger_type,
            created_at=now,
            queued_at=now,
            started_at=None,
            finished_at=None,
            modified_at=now,
            steps=None,
        )
        if source.root_run_id == source.id:
            run = replace(run, root_run_id=run.id)
        if not run_rows.insert_runs(conn, [run], idempotency_keys=[idempotency_key], history=True):
            raise Conflict("a retry with this Idempotency-Key is in progress; repeat it")
        return run

    def add_step(self, principal: Principal, run_id: str, body: StepIn) -> Step:
        """Record a step (a new one, or a new state of the step with that ``seq``)."""
        principal.require(Role.WRITE)
        with self.db.write() as conn:
            pk, _ = self._load(conn, principal, run_id)
            seq = body.seq or run_rows.next_step_seq(conn, pk)
            step = body.record(seq)
            run_rows.upsert_steps(conn, principal.project_id, [(pk, step)])
        return step

    # -- queries -------------------------------------------------------------------

    def resolve_query(self, conn: Tx, query: RunQuery) -> RunQuery | None:
        """Workflow names in the ``workflow_id`` filter become ids (unknown ones are
        refused), and workflow types become the ids of the workflows of those types:
        a type then narrows the index ranges read instead of being checked run by run
        (a workflow of another type had every one of its runs read to find none).
        None: no workflow can match, so no run does."""
        if query.workflow_ids:
            refs = workflow_refs.resolve(conn, query.project_id, query.workflow_ids)
            unknown = [r for r in query.workflow_ids if r not in refs]
            if unknown:
                raise InvalidInput.field(
                    ("query", "workflow_id"), f"no workflow {unknown[0]!r} in this project"
                )
            ids = tuple(dict.fromkeys(refs[r][0] for r in query.workflow_ids))
            query = replace(query, workflow_ids=ids)
        if query.workflow_types:
            typed = workflow_rows.ids_of_types(conn, query.project_id, query.workflow_types)
            wanted = [w for w in query.workflow_ids if w in typed] if query.workflow_ids else typed
            if not wanted:
                return None
            query = replace(query, workflow_ids=tuple(wanted), workflow_types=())
        return query

    def workflow_id_of(self, principal: Principal, ref: str) -> str | None:
        """The id of the workflow a ref (id or name) names in the project, if any."""
        return self.workflow_ids_of(principal, [ref]).get(ref)

    def workflow_ids_of(self, principal: Principal, refs: Sequence[str]) -> dict[str, str]:
        """Each ref (id or name) that names a workflow of the project -> its id, in one read."""
        with self.db.read() as conn:
            found = workflow_refs.resolve(conn, principal.project_id, refs)
        return {ref: workflow_id for ref, (workflow_id, _) in found.items()}

    def page(self, query: RunQuery) -> Page[Run]:
        return self._read_page(query, reads.list_page)

    def heads(self, query: RunQuery) -> Page[RunHead]:
        """A page as ``page`` reads it, of the runs' heads only: for lists that show no
        input, result, error text, headers or tags (a fraction of the reading)."""
        return self._read_page(query, reads.list_heads)

    def _read_page(
        self, query: RunQuery, read: Callable[[Tx, Planner, RunQuery], Page[R]]
    ) -> Page[R]:
        with self.db.read() as conn:
            resolved = self.resolve_query(conn, query)
            if resolved is None:
                return Page([], False, None, RunCount(0) if query.include_total else None)
            return read(conn, self.planner, resolved)

    def count(self, query: RunQuery, *, exact: bool = False) -> RunCount:
        """How many runs match: exactly if ``exact``, else at most the planner's
        ``count_cap`` counted (``store/query/counts.count``)."""
        with self.db.read() as conn:
            resolved = self.resolve_query(conn, query.filters_only())
            if resolved is None:
                return RunCount(0)
            return counts.count(conn, self.planner, resolved, exact=exact)

    def stats(self, query: RunQuery, bucket_seconds: int) -> list[Bucket]:
        with self.db.read() as conn:
            resolved = self.resolve_query(conn, query.filters_only())
            if resolved is None:
                return []
            return counts.stats(conn, self.planner, resolved, bucket_seconds)

    def history(self, principal: Principal, run_id: str) -> list[StatusChange]:
        with self.db.read() as conn:
            return run_lookups.status_history(conn, principal.project_id, run_id)

    def lineage(self, principal: Principal, run: Run, limit: int = 50) -> Lineage:
        """The runs around ``run``: its parent and children, the run it retries and its
        retries (at most ``limit`` of each list)."""
        related = [i for i in (run.parent_run_id, run.source_run_id) if i]
        children = self.page(RunQuery(principal.project_id, parent_run_id=run.id, limit=limit))
        with self.db.read() as conn:
            found = {r.id: r for r in run_lookups.runs_by_ids(conn, principal.project_id, related)}
            retries = run_lookups.retries_of(conn, principal.project_id, run.id, limit)
        return Lineage(
            parent=found.get(run.parent_run_id or ""),
            source=found.get(run.source_run_id or ""),
            children=children.runs,
            more_children=children.has_more,
            retries=retries,
        )

    def some(self, principal: Principal, run_ids: Sequence[str]) -> list[Run]:
        """These runs of the project (without steps; unknown ids are left out)."""
        with self.db.read() as conn:
            return run_lookups.runs_by_ids(conn, principal.project_id, run_ids)

    def error_codes(self, principal: Principal, run_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each run's step error codes, for a page of runs (one read)."""
        with self.db.read() as conn:
            return run_lookups.error_codes_of(conn, principal.project_id, run_ids)

    def export(self, query: RunQuery) -> Iterator[Run]:
        """Every run of the query, streamed in order from one read transaction.

        The query is checked now (an unknown workflow is refused before a response
        starts); the runs are read as the iterator is consumed."""
        with self.db.read() as conn:
            resolved = self.resolve_query(conn, query.filters_only())
        return self._stream(resolved)

    def _stream(self, query: RunQuery | None) -> Iterator[Run]:
        if query is None:
            return
        with self.db.read() as conn:
            yield from reads.iterate(conn, self.planner, query)


def _roots(conn: Tx, principal: Principal, items: list[ImportedRun]) -> dict[str, str]:
    """Each imported run's ``root_run_id``: as given, else its parent's root (from this
    batch or stored), else its parent, else its own id."""
    given = {str(r.id): (_str(r.parent_run_id), _str(r.root_run_id)) for r in items}
    unknown = [p for p, root in given.values() if p and root is None and p not in given]
    stored = run_rows.roots_of(conn, principal.project_id, unknown)

    def root(run_id: str, depth: int = 0) -> str:
        parent, explicit = given[run_id]
        if explicit:
            return explicit
        if parent is None:
            return run_id
        if parent in given and depth < 100:
            return root(parent, depth + 1)
        return stored.get(parent, parent)

    return {run_id: root(run_id) for run_id in given}


def _str(value: object | None) -> str | None:
    return None if value is None else str(value)
