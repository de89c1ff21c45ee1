"""The service calls a dialect's batch and bulk requests use, on both databases: a batch of
triggers is queued all or none, bulk actions name what they did, workflows found by name.
And a duplicate write is the store's domain error, which services catch without SQLAlchemy."""

from __future__ import annotations

import uuid

import pytest

from runyard.core.errors import Duplicate, NotFound
from runyard.core.models import Project
from runyard.core.query import RunQuery
from runyard.core.times import utcnow
from runyard.service.inputs import TriggerIn, WorkflowIn
from runyard.service.workflows import WorkflowService
from runyard.store import tenancy
from runyard.store.database import Database
from tests.store.test_run_writes import _setup


def test_a_batch_of_triggers_is_queued_all_or_none(db: Database) -> None:
    admin, service, _ = _setup(db)
    with service.triggering(admin) as trigger:
        made = [trigger("wf", TriggerIn(input={"n": n})) for n in range(3)]
    assert [r.input for r in made] == [{"n": 0}, {"n": 1}, {"n": 2}]

    def one_good_one_bad() -> None:
        with service.triggering(admin) as trigger:
            trigger("wf", TriggerIn(input={"n": 3}))
            trigger("no-such-workflow", TriggerIn())

    with pytest.raises(NotFound):
        one_good_one_bad()
    everything = RunQuery(project_id=admin.project_id)
    assert sorted(r.input["n"] for r in service.export(everything)) == [0, 1, 2]


def test_bulk_cancel_and_retry_name_the_runs_they_acted_on(db: Database) -> None:
    admin, service, _ = _setup(db)
    runs = [service.trigger(admin, "wf", TriggerIn())[0] for _ in range(3)]
    ended = service.cancel(admin, runs[0].id)
    missing = str(uuid.uuid4())
    cancelled = service.cancel_many(admin, [runs[0].id, runs[1].id, missing, runs[2].id])
    assert cancelled == [runs[1].id, runs[2].id]  # the ended run and the unknown id are skipped
    assert service.retry_many(admin, [ended.id, missing]) == [ended.id]


def test_workflows_are_found_by_part_of_their_name_or_title(db: Database) -> None:
    admin, _, _ = _setup(db)
    workflows = WorkflowService(db, utcnow)
    workflows.create_or_version(admin, WorkflowIn(name="invoice-sync", title="Sync Invoices"))
    workflows.create_or_version(admin, WorkflowIn(name="crm-export", title="Export to CRM"))
    assert [w.name for w in workflows.all(admin, search="INVOICE")] == ["invoice-sync"]
    assert [w.name for w in workflows.all(admin, search="crm")] == ["crm-export"]
    assert len(workflows.all(admin, search="")) == 3  # with the setup's "wf"


def test_a_duplicate_write_is_a_domain_error_on_either_database(db: Database) -> None:
    project = Project(str(uuid.uuid4()), "twice", utcnow())
    with db.write() as conn:
        tenancy.insert_project(conn, project)
    again = Project(str(uuid.uuid4()), "twice", utcnow())  # the name is unique

    def insert_again() -> None:
        with db.write() as conn:
            tenancy.insert_project(conn, again)

    with pytest.raises(Duplicate):
        insert_again()
    with db.read() as conn:  # the refused transaction left nothing behind
        assert tenancy.project_by_name(conn, "twice") == project
