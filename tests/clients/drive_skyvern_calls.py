"""Drives the official ``skyvern`` client's run and workflow calls against runyard; prints
what it got as JSON (each answer already parsed by the client into its own models).

Run with the Python of .venv-clients: ``drive_skyvern_calls.py BASE_URL KEY ARGS_JSON``.
"""

import json
import sys
import time

from skyvern.client import Skyvern
from skyvern.client.core.api_error import ApiError
from skyvern.client.types import TaskRunListItem, Workflow, WorkflowRunResponse

base, key, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
client = Skyvern(base_url=base, api_key=key)
out = {}


def failure(call):
    try:
        call()
    except ApiError as e:
        return [type(e).__name__, e.status_code, e.body]
    return None


# Start runs: one of a corpus workflow (no worker has it: it stays queued), one of a
# workflow the server's embedded worker executes.
queued = client.run_workflow(
    agent_id=args["crm"],
    parameters={"account": "Ada"},
    webhook_url="https://example.com/hook",
    run_metadata={"team": "ops"},
    proxy_location="RESIDENTIAL",
)
assert isinstance(queued, WorkflowRunResponse)
out["queued"] = [queued.run_id, queued.status, queued.run_request.workflow_id]
packed = client.run_workflow(agent_id="demo-pack-item", parameters={"sku": "SKU-7"})
deadline = time.monotonic() + 60
while client.get_run(packed.run_id).status not in ("completed", "failed"):
    assert time.monotonic() < deadline, "the worker never finished the run"
    time.sleep(0.2)
run = client.get_run(packed.run_id)
out["packed"] = [type(run).__name__, run.run_id, run.status, run.output, run.step_count]
timeline = client.get_run_timeline(packed.run_id)
out["timeline"] = [
    [e.type, e.block.label, e.block.status] if e.block else [e.type, e.thought.output["status"]]
    for e in timeline
]

# Lists.
listed = client.get_runs_v2(page_size=20, status=["failed", "timed_out"], run_type="workflow_run")
assert all(isinstance(r, TaskRunListItem) for r in listed)
out["v2_failed"] = [r.run_id for r in listed]
out["v2_search"] = [r.run_id for r in client.get_runs_v2(search_key=args["search"])]
out["v2_first_page"] = [r.run_id for r in client.get_runs_v2(page=1, page_size=5)]
out["v2_tasks"] = [r.run_id for r in client.get_runs_v2(run_type=["task_v2"])]

# Acting on runs.
bulk = client.bulk_cancel_runs(run_ids=[queued.run_id, args["ended"], args["missing"]])
out["bulk"] = [bulk.cancelled, bulk.failed]
retried = client.retry_workflow_run(args["ended"])
out["retried"] = [retried.run_id, retried.status]

# Workflows.
workflows = client.get_workflows(page_size=50)
assert all(isinstance(w, Workflow) for w in workflows)
out["workflows"] = [w.workflow_permanent_id for w in workflows]
out["search"] = [w.title for w in client.get_workflows(search_key="invoice")]
one = client.get_workflow(args["crm"])
out["workflow"] = [
    one.workflow_permanent_id,
    one.workflow_id,
    one.title,
    one.version,
    [p.key for p in one.workflow_definition.parameters],
]
out["deleted"] = client.delete_workflow(args["doomed"])

# Errors, as the client raises them.
out["missing_run"] = failure(lambda: client.get_run(args["missing"]))
out["missing_timeline"] = failure(lambda: client.get_run_timeline(args["missing"]))
out["missing_workflow"] = failure(lambda: client.run_workflow(agent_id="no-such-workflow"))
out["bad_parameter"] = failure(
    lambda: client.run_workflow(agent_id=args["crm"], parameters={"account": 5})
)
out["running_retry"] = failure(lambda: client.retry_workflow_run(args["running"]))
out["sessions"] = failure(lambda: client.get_browser_sessions())
out["credentials"] = failure(lambda: client.get_credentials(page=1, page_size=10))
out["bad_key"] = failure(lambda: Skyvern(base_url=base, api_key="ry_wrong").get_runs_v2())
print(json.dumps(out, default=str))
