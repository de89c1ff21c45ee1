"""Drives the official ``noxus-sdk`` client against runyard; prints what it got as JSON.

``drive_noxus.py BASE_URL KEY ARGS_JSON``; built with load_nodes=False, load_me=False.
"""

import json
import sys

from noxus_sdk.client import Client
from noxus_sdk.errors import NotFoundError

base, key, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
client = Client(api_key=key, base_url=base, load_nodes=False, load_me=False)
out = {}
page1 = client.runs.list(args["workflow"], page=1, page_size=2)
page2 = client.runs.list(args["workflow"], page=2, page_size=2)
out["pages"] = [[r.id for r in page1], [r.id for r in page2]]
out["statuses"] = [r.status for r in client.runs.list(args["workflow"], page_size=50)]
run = client.runs.get(args["workflow"], args["run"])
out["run"] = {
    "id": run.id,
    "status": run.status,
    "input": run.input,
    "group_id": run.group_id,
    "progress": run.progress,
    "workflow_id": run.workflow_id,
}
out["stopped"] = client.runs.stop(args["stop"]).status
out["refreshed"] = client.runs.get(args["workflow"], args["stop"]).status
try:
    client.runs.list("no-such-workflow")
except NotFoundError as e:
    out["missing"] = str(e)
print(json.dumps(out, default=str))
