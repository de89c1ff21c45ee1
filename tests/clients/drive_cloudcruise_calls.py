"""Drives every run and workflow call of the official ``cloudcruise`` client against
runyard; prints what it got as JSON.

``drive_cloudcruise_calls.py BASE_URL KEY ARGS_JSON``. ``runs.start`` is the client's own:
the metadata check, its event stream, ``POST /run``, then ``wait()`` on the stream.
"""

import dataclasses
import faulthandler
import json
import sys
import threading

from cloudcruise import CloudCruise, CloudCruiseParams
from cloudcruise.workflows.types import InputValidationError

faulthandler.dump_traceback_later(90, exit=True)  # a wait that never ends fails, loudly
base, key, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])


def client(api_key: str) -> CloudCruise:
    return CloudCruise(CloudCruiseParams(api_key=api_key, base_url=base, encryption_key="00" * 32))


def refusal(call):
    try:
        call()
    except InputValidationError as e:
        return {"invalid_types": [t.field for t in e.invalidTypes], "missing": e.missingRequired}
    except RuntimeError as e:
        return str(e)
    return None


def started(request):
    """A run started and waited for: its id, the events the client saw, its result."""
    handle = cc.runs.start(request)
    events = [message["data"]["event"] for message in handle]  # until the run ends
    return {
        "session_id": handle.sessionId,
        "events": events,
        "result": dataclasses.asdict(handle.wait()),
    }


cc = client(key)
out = {
    "workflows": [dataclasses.asdict(w) for w in cc.workflows.get_all_workflows()],
    "metadata": dataclasses.asdict(cc.workflows.get_workflow_metadata(args["typed"])),
    "worked": started({"workflow_id": args["worked"], "run_input_variables": {"note": "n"}}),
}
handle = cc.runs.start({"workflow_id": args["typed"], "run_input_variables": {"customer_id": "C"}})
threading.Timer(1.0, cc.runs.interrupt, [handle.sessionId]).start()  # no worker runs it
out["interrupted"] = {
    "session_id": handle.sessionId,
    "events": [message["data"]["event"] for message in handle],
    "status": handle.wait().status,
}
out["client_id"] = cc._connection_manager.ensure_client_id()
typed = args["typed"]
out["refused"] = {
    "checked_by_client": refusal(
        lambda: cc.runs.start({"workflow_id": typed, "run_input_variables": {"customer_id": 5}})
    ),
    "missing": refusal(lambda: cc.runs.start({"workflow_id": typed, "run_input_variables": {}})),
    "checked_by_runyard": refusal(
        lambda: cc._make_request(
            "POST",
            "/run",
            {"workflow_id": typed, "run_input_variables": {"customer_id": "C", "amount": "x"}},
        )
    ),
    "unknown_workflow": refusal(lambda: cc.runs.start({"workflow_id": args["missing"]})),
    "bad_key": refusal(lambda: client("ry_wrong").workflows.get_all_workflows()),
    "vault": refusal(lambda: cc.vault.get()),
    "tfa_code": refusal(lambda: cc.vault.get_tfa_code("user", "example.com")),
    "secret_providers": refusal(lambda: cc.secret_providers.list()),
    "live_view": refusal(lambda: cc.runs.get_live_view_connection(handle.sessionId)),
    "input_variables": refusal(lambda: cc.runs.submit_input_variables(handle.sessionId, {})),
    "replay_webhooks": refusal(lambda: cc.runs.replay_webhooks(handle.sessionId)),
}
print(json.dumps(out, default=str))
