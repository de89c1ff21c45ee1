"""Drives the official ``skyvern`` client against runyard; prints what it got as JSON.

Run with the Python of .venv-clients: ``drive_skyvern.py BASE_URL KEY ARGS_JSON``.
"""

import datetime as dt
import json
import sys

from skyvern.client import Skyvern
from skyvern.client.core.api_error import ApiError
from skyvern.client.errors import UnprocessableEntityError

base, key, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
client = Skyvern(base_url=base, api_key=key)


def ids(runs):
    for r in runs:  # the client parsed each into its WorkflowRun model
        assert isinstance(r.created_at, dt.datetime)
        assert isinstance(r.modified_at, dt.datetime)
    return [r.workflow_run_id for r in runs]


out = {
    "first_page": ids(client.get_workflow_runs()),
    "page_2_of_5": ids(client.get_workflow_runs(page=2, page_size=5)),
    "failed_or_timed_out": ids(
        client.get_workflow_runs(page_size=50, status=["failed", "timed_out"])
    ),
    "search": ids(client.get_workflow_runs(search_key=args["search"])),
    "error_code": ids(client.get_workflow_runs(error_code="LOGIN_FAILED")),
    "by_id": ids(client.get_workflow_runs_by_id(args["workflow"], page_size=50)),
    "by_id_since": ids(
        client.get_workflow_runs_by_id(
            args["workflow"], created_at_start=dt.datetime.fromisoformat(args["since"])
        )
    ),
    "by_id_with_children": ids(
        client.get_workflow_runs_by_id(
            args["workflow"],
            page_size=50,
            request_options={"additional_query_parameters": {"include_child_runs": "true"}},
        )
    ),
    "fields": client.get_workflow_runs(search_key=args["search"])[0].dict(),
}
run = client.get_run(args["run"])
out["get_run"] = [type(run).__name__, run.run_id, run.status]
out["cancel"] = client.cancel_run(args["cancel"])
out["after_cancel"] = client.get_run(args["cancel"]).status
try:
    client.get_workflow_runs(status="cancelled")
except UnprocessableEntityError as e:
    out["bad_status"] = [e.status_code, e.body["detail"][0]["loc"]]
try:
    Skyvern(base_url=base, api_key="ry_wrong").get_workflow_runs()
except ApiError as e:
    out["bad_key"] = [e.status_code, e.body]
print(json.dumps(out, default=str))
