"""Drives ``noxus-sdk``'s workflow and run calls against runyard; prints what it got.

``drive_noxus_calls.py BASE_URL KEY ARGS_JSON``. Built with load_nodes=True (the node
catalogue runyard answers is empty) and load_me=False. ``Run.wait`` is called while
another thread ends the run: through runyard's native API (completed) for the first,
through the client's own ``runs.stop`` for the second.
"""

import json
import sys
import threading
import time

import httpx
from noxus_sdk.client import Client
from noxus_sdk.errors import NotFoundError, ValidationError

base, key, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
native = httpx.Client(base_url=base.split("/compat/")[0], headers={"X-API-Key": key})
client = Client(api_key=key, base_url=base, load_nodes=True, load_me=False)
out = {"nodes": client.nodes}
listed = client.workflows.list(page=1, page_size=10)
out["workflows"] = [[w.id, w.name, w.type] for w in listed]
crm = client.workflows.get(args["workflow"])
out["workflow"] = [crm.id, crm.name, crm.type, crm.nodes, crm.edges]
out["search"] = [r["id"] for r in client.runs.search("cust-000")]
try:
    client.runs.search("x", exact=False)
except ValidationError as e:
    out["fuzzy_search"] = [e.status_code, e.body]


def waited(run, end):
    """``run.wait()`` while ``end()`` runs on another thread a moment later."""
    result = {}

    def wait():
        started = time.monotonic()
        got = run.wait(interval=1)
        result.update(status=got.status, output=got.output, seconds=time.monotonic() - started)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(1.5)
    result["waiting_before_the_end"] = waiter.is_alive()
    end()
    waiter.join(30)
    result["returned"] = not waiter.is_alive()
    return result


run = crm.run({"account": "Ada"})
out["started"] = [run.id, run.status, run.input, run.workflow_id]


def complete():
    for status in ("running", "completed"):
        done = native.patch(f"/api/v1/runs/{run.id}", json={"status": status, "result": {"ok": 1}})
        done.raise_for_status()


out["wait"] = waited(run, complete)
stopped = crm.run({"account": "Bo"})
out["wait_stopped"] = waited(stopped, lambda: client.runs.stop(stopped.id))
try:
    client.workflows.get("no-such-workflow")
except NotFoundError as e:
    out["missing"] = e.status_code
try:
    client.knowledge_bases.list()
except NotFoundError as e:
    out["knowledge_bases"] = e.body
print(json.dumps(out, default=str))
