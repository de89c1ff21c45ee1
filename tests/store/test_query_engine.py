"""The query engine against a brute-force reference, on both databases.

Random runs (with many sharing one ``created_at``, nullable sort keys, tags, error
codes, search text, parents and roots) and random queries over every ``RunQuery``
filter: walking every page by cursor must return exactly the reference's rows in the
reference's order — nothing skipped, nothing repeated — and counts must agree.
"""

from __future__ import annotations

import random
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from runyard.core.models import Role, Run, RunCount, RunHead
from runyard.core.query import RunQuery, Sort, SortField, TagFilter
from runyard.core.statuses import RunStatus
from runyard.core.times import utcnow
from runyard.service.access import Principal
from runyard.service.inputs import ImportIn, WorkflowIn
from runyard.service.projects import ProjectService
from runyard.service.runs import RunService
from runyard.service.workflows import WorkflowService
from runyard.store.database import Database
from runyard.store.query import compiler, probes
from runyard.store.query.planner import Planner
from runyard.store.query.plans import AlongSideTable, OwnKey

BASE = datetime(2026, 3, 1, tzinfo=UTC)
WORDS = ["alpha", "Zürich", "50%_off", "back\\slash", "CUST-0042", 'quote"d', "straße"]
CODES = ["E_LOGIN", "E_TIMEOUT", "E_CAPTCHA"]
PEOPLE = ["anna@acme.com", "bo", "cron"]
RUN_IDS = [f"00000000-0000-4000-8000-{i:012d}" for i in range(12)]  # parents and roots


def _setup(db: Database) -> tuple[Principal, RunService, dict[str, str]]:
    project = ProjectService(db, utcnow).bootstrap(None)
    admin = Principal(project.id, Role.ADMIN, server_admin=True)
    workflows = WorkflowService(db, utcnow)
    ids = {}
    for name, params in (("wf-a", [("portal_url", "Login page")]), ("wf-b", []), ("wf-c", [])):
        body = WorkflowIn(
            name=name,
            type="agent" if name == "wf-a" else "workflow",
            parameters=[{"key": k, "description": d} for k, d in params],
        )
        ids[name] = workflows.create_or_version(admin, body)[0].id
    return admin, RunService(db, utcnow), ids


def _head_of(run: Run) -> RunHead:
    return RunHead(**{f.name: getattr(run, f.name) for f in fields(RunHead)})


def _random_runs(rng: random.Random, ids: dict[str, str], n: int) -> list[dict[str, Any]]:
    runs = []
    for i in range(n):
        # Few distinct instants: many runs share a created_at (ties broken by id).
        created = BASE + timedelta(minutes=rng.randrange(12))
        status = rng.choice(list(RunStatus))
        run: dict[str, Any] = {
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "workflow_id": rng.choice(list(ids.values())),
            "status": status.value,
            "created_at": created.isoformat(),
            "trigger_type": rng.choice(["api", "manual", "scheduled"]),
            "credential_id": rng.choice([None, "cred-1", "cred-2"]),
            "is_test": rng.random() < 0.2,
            "input": {"note": rng.choice(WORDS), "n": rng.randrange(100)},
            "tags": {"env": rng.choice(["prod", "dev", "qa"])} if rng.random() < 0.7 else {},
            "attempt": rng.choice([1, 1, 2]),
            "triggered_by": rng.choice([None, *PEOPLE]),
        }
        if rng.random() < 0.3:
            run["tags"]["team"] = rng.choice(["ops", "web"])
        if i and rng.random() < 0.3:
            run["parent_run_id"] = runs[rng.randrange(i)]["id"]
        elif i and rng.random() < 0.1:  # a root of its own choosing, without a parent
            run["root_run_id"] = runs[rng.randrange(i)]["id"]
        if rng.random() < 0.6:
            started = created + timedelta(seconds=rng.randrange(5))
            run["started_at"] = started.isoformat()
            if rng.random() < 0.7:
                run["finished_at"] = (started + timedelta(seconds=rng.randrange(4))).isoformat()
        if rng.random() < 0.25:
            run["steps"] = [
                {"name": "s", "errors": [{"error_code": rng.choice(CODES), "message": "x"}]}
            ]
        runs.append(run)
    return runs


def _reference(runs: list[Run], query: RunQuery, params_match: set[str]) -> list[str]:
    def keep(r: Run) -> bool:
        q = query
        if q.workflow_ids and r.workflow_id not in q.workflow_ids:
            return False
        # _setup makes wf-a an agent, the others workflows.
        if q.workflow_types and r.workflow_name != "wf-a" and "workflow" not in q.workflow_types:
            return False
        if q.workflow_types and r.workflow_name == "wf-a" and "agent" not in q.workflow_types:
            return False
        if q.statuses and r.status not in q.statuses:
            return False
        if q.created_after and r.created_at < q.created_after:
            return False
        if q.created_before and r.created_at >= q.created_before:
            return False
        if q.trigger_types and r.trigger_type.value not in q.trigger_types:
            return False
        if q.triggered_by and r.triggered_by not in q.triggered_by:
            return False
        if q.credential_ids and r.credential_id not in q.credential_ids:
            return False
        if q.is_test is not None and r.is_test != q.is_test:
            return False
        if q.parent_run_id is not None and r.parent_run_id != q.parent_run_id:
            return False
        if q.root_run_id is not None and r.root_run_id != q.root_run_id:
            return False
        codes = {e.error_code for s in r.steps or () for e in s.errors}
        if q.error_codes and not codes & set(q.error_codes):
            return False
        for tag in q.tags:
            if tag.key not in r.tags or (tag.values and r.tags[tag.key] not in tag.values):
                return False
        if q.has_parent is not None and (r.parent_run_id is not None) != q.has_parent:
            return False
        queued = r.status is RunStatus.QUEUED
        if q.requeued is not None and queued and (r.attempt > 1) != q.requeued:
            return False
        if q.search:
            term = q.search.casefold()
            texts = [r.id, *(str(v) for v in r.input.values())]
            if not any(term in t.casefold() for t in texts) and r.workflow_id not in params_match:
                return False
        return True

    def key(r: Run) -> Any:
        value = {
            SortField.CREATED_AT: r.created_at,
            SortField.STARTED_AT: r.started_at,
            SortField.FINISHED_AT: r.finished_at,
            SortField.DURATION: r.finished_at - r.started_at
            if r.finished_at and r.started_at
            else None,
        }[query.sort.field]
        return value, r.id

    matched = [r for r in runs if keep(r)]
    with_value = sorted((r for r in matched if key(r)[0] is not None), key=key)
    without = sorted((r for r in matched if key(r)[0] is None), key=lambda r: r.id)
    if query.sort.descending:
        with_value.reverse()
        without.reverse()
    return [r.id for r in [*with_value, *without]]


def _random_query(rng: random.Random, project_id: str, ids: dict[str, str]) -> RunQuery:
    pick = lambda values, k: tuple(rng.sample(values, rng.randint(1, k)))  # noqa: E731
    fields: dict[str, Any] = {}
    if rng.random() < 0.3:
        fields["workflow_ids"] = pick(list(ids.values()), 3)
    if rng.random() < 0.2:
        fields["workflow_types"] = pick(["agent", "workflow", "tool"], 2)
    if rng.random() < 0.4:
        fields["statuses"] = pick(list(RunStatus), 3)
    if rng.random() < 0.3:
        fields["created_after"] = BASE + timedelta(minutes=rng.randrange(6))
    if rng.random() < 0.3:
        fields["created_before"] = BASE + timedelta(minutes=rng.randrange(6, 13))
    if rng.random() < 0.2:
        fields["trigger_types"] = pick(["api", "manual", "scheduled"], 2)
    if rng.random() < 0.2:
        fields["triggered_by"] = pick(PEOPLE, 2)
    if rng.random() < 0.2:
        fields["credential_ids"] = pick(["cred-1", "cred-2"], 2)
    if rng.random() < 0.1:
        fields["parent_run_id"] = rng.choice(RUN_IDS)
    if rng.random() < 0.1:
        fields["root_run_id"] = rng.choice(RUN_IDS)
    if rng.random() < 0.15:
        fields["is_test"] = rng.random() < 0.5
    if rng.random() < 0.25:
        fields["error_codes"] = pick(CODES, 2)
    if rng.random() < 0.3:
        tags = [
            TagFilter("env", rng.choice([(), ("prod",), ("dev", "qa")])),
            TagFilter("team", rng.choice([(), ("ops",), ("ops", "web")])),
            TagFilter("none"),
        ]
        fields["tags"] = tuple(rng.sample(tags, rng.choice([1, 1, 2])))
    if rng.random() < 0.2:
        fields["has_parent"] = rng.random() < 0.5
    if rng.random() < 0.2:
        fields["requeued"] = rng.random() < 0.5
    if rng.random() < 0.3:
        fields["search"] = rng.choice(
            ["zürich", "ZÜRICH", "50%", "%_", "\\", "cust-00", "STRASSE", "login", "ph", "q", '"d']
        )
    sort = Sort(rng.choice(list(SortField)), rng.random() < 0.7)
    return RunQuery(project_id, sort=sort, limit=rng.choice([1, 3, 7, 50]), **fields)


@pytest.mark.parametrize(
    "threshold", [None, 1, 15], ids=["sparse-plans", "dense-plans", "mixed-plans"]
)
def test_every_page_by_cursor_matches_the_reference(db: Database, threshold: int | None) -> None:
    admin, service, ids = _setup(db)
    if threshold is not None:  # side filters with this many matches take the dense plans
        service.planner = replace(service.planner, dense_threshold=threshold)
    rng = random.Random(1234)
    service.import_runs(admin, ImportIn.model_validate({"runs": _random_runs(rng, ids, 180)}))
    stored = [service.get(admin, f"00000000-0000-4000-8000-{i:012d}") for i in range(180)]
    params_match = {ids["wf-a"]}  # "Login page" / "portal_url"

    drivers = []  # the side filters pages were read along (compiler._branch)
    project = admin.project_id
    oldest = Sort(SortField.CREATED_AT, descending=False)
    prod = (TagFilter("env", ("prod",)),)
    driven = [  # queries a page may be read along one error code or tag value for
        RunQuery(project, error_codes=("E_LOGIN",), limit=3),
        RunQuery(project, error_codes=("E_TIMEOUT",), sort=oldest, limit=2),
        RunQuery(project, tags=prod, statuses=(RunStatus.FAILED, RunStatus.QUEUED), limit=4),
        RunQuery(project, tags=prod, error_codes=("E_CAPTCHA",), created_after=BASE, limit=1),
        RunQuery(project, tags=prod, limit=5),  # counted from run_tags' key alone
        RunQuery(project, tags=(*prod, TagFilter("team", ("ops",))), limit=3),  # and a 2nd tag
    ]
    queries = [_random_query(rng, project, ids) for _ in range(60)]
    bare = RunQuery(project)
    paging = {"project_id", "sort", "limit", "after", "offset", "include_total", "exact_total"}
    filters = {f.name for f in fields(RunQuery)} - paging
    tried = {name for q in queries for name in filters if getattr(q, name) != getattr(bare, name)}
    assert tried == filters  # every filter is checked against the reference
    for query in [*queries, *driven]:
        term = (query.search or "").casefold()
        matches_params = bool(term) and (term in "portal_url" or term in "login page")
        expected = _reference(stored, query, params_match if matches_params else set())
        with db.read() as conn:
            chosen = probes.plan(conn, service.planner, query)
        drivers.append(chosen.driver if isinstance(chosen, AlongSideTable) else None)
        seen: list[str] = []
        current = query
        while True:
            page = service.page(current)
            heads = service.heads(current)  # the same page, read narrow
            assert heads.runs == [_head_of(r) for r in page.runs]
            assert (heads.has_more, heads.last) == (page.has_more, page.last)
            seen.extend(r.id for r in page.runs)
            assert len(page.runs) <= query.limit
            if not page.has_more:
                break
            assert page.last is not None
            current = replace(query, after=page.last)
        assert seen == expected, query
        assert service.count(query) == RunCount(len(expected)), query
    # One error code or one tag value, sorted by created_at: dense, or the only short list.
    assert {"error_codes", "tag0"} <= set(drivers)


def test_offset_pages_match_cursor_pages(db: Database) -> None:
    admin, service, ids = _setup(db)
    rng = random.Random(7)
    service.import_runs(admin, ImportIn.model_validate({"runs": _random_runs(rng, ids, 60)}))
    query = RunQuery(admin.project_id, statuses=(RunStatus.COMPLETED, RunStatus.FAILED), limit=5)
    all_ids = [r.id for r in service.page(replace(query, limit=1000)).runs]
    for offset in range(0, len(all_ids) + 5, 5):
        page = service.page(replace(query, offset=offset))
        assert [r.id for r in page.runs] == all_ids[offset : offset + 5]
        assert page.has_more == (offset + 5 < len(all_ids))


def test_runs_inserted_between_pages_are_neither_skipped_nor_repeated(db: Database) -> None:
    admin, service, ids = _setup(db)
    first = _random_runs(random.Random(3), ids, 40)
    service.import_runs(admin, ImportIn.model_validate({"runs": first}))
    query = RunQuery(admin.project_id, limit=10)
    page = service.page(query)
    seen = [r.id for r in page.runs]
    boundary = (page.runs[-1].created_at, page.runs[-1].id)
    # New runs at the same instants as the rows already read, before and after them.
    later = _random_runs(random.Random(4), ids, 40)
    for i, run in enumerate(later):
        run["id"] = f"11111111-0000-4000-8000-{i:012d}"
    service.import_runs(admin, ImportIn.model_validate({"runs": later}))
    while page.has_more:
        assert page.last is not None
        page = service.page(replace(query, after=page.last))
        seen.extend(r.id for r in page.runs)
    assert len(seen) == len(set(seen)), "a run was repeated"
    # Every original run is seen, and of the new ones exactly those after the first page.
    new_after = {
        r["id"] for r in later if (datetime.fromisoformat(r["created_at"]), r["id"]) < boundary
    }
    assert set(seen) == {r["id"] for r in first} | new_after


def test_a_term_with_common_trigrams_is_found_by_its_rare_stretch(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Customer ids share 'cust-' (trigrams in every run): the digits are looked up, then
    the runs holding the whole id kept; the answer is the brute-force one."""
    admin, service, ids = _setup(db)
    rng = random.Random(3)
    records = _random_runs(rng, ids, 120)
    for i, record in enumerate(records):
        record["input"]["customer"] = f"CUST-{rng.randrange(40):04d}{i % 7}"
    service.import_runs(admin, ImportIn.model_validate({"runs": records}))
    stored = {r["id"]: r["input"]["customer"].casefold() for r in records}
    statements = []
    stretch = compiler.stretch_statement
    monkeypatch.setattr(
        compiler,
        "stretch_statement",
        lambda *a: statements.append(a) or stretch(*a),  # type: ignore[func-returns-value]
    )
    for term in ("cust-00123", "CUST-0031", "cust-00394", "cust-9999"):
        expected = sorted(i for i, c in stored.items() if term.casefold() in c)
        found = sorted(
            r.id for r in service.page(RunQuery(admin.project_id, search=term, limit=500)).runs
        )
        assert found == expected, term
        assert service.count(RunQuery(admin.project_id, search=term)).value == len(expected)
    assert statements  # looked up by stretches, on both databases


def test_a_count_of_one_code_or_tag_value_alone_reads_its_own_key() -> None:
    """Which counts skip the runs (their answers are checked against the reference above):
    one error code or one tag value, and nothing else filtering."""
    planner = Planner()
    own = lambda query: isinstance(planner.plan_count(query, exact=False), OwnKey)  # noqa: E731
    prod = TagFilter("env", ("prod",))
    for alone in (RunQuery("p", error_codes=("E",)), RunQuery("p", tags=(prod,), offset=5)):
        assert own(alone)
    for other in (
        RunQuery("p"),
        RunQuery("p", error_codes=("E", "F")),
        RunQuery("p", tags=(TagFilter("env"),)),
        RunQuery("p", error_codes=("E",), tags=(prod,)),
        RunQuery("p", error_codes=("E",), statuses=(RunStatus.FAILED,)),
        RunQuery("p", tags=(prod,), created_after=BASE),
    ):
        assert not own(other), other
