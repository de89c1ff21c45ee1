"""Drives the official ``cloudcruise`` client against runyard; prints what it got as JSON.

``drive_cloudcruise.py BASE_URL KEY ARGS_JSON``. cloudcruise 1.4.1 has no list method:
``GET /runs`` goes through the client's own transport (``cc-key``, its error handling).
"""

import dataclasses
import json
import sys
from urllib.parse import urlencode

from cloudcruise import CloudCruise, CloudCruiseParams

base, key, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
cc = CloudCruise(CloudCruiseParams(api_key=key, base_url=base, encryption_key="00" * 32))
out = {}
out["default"] = cc._make_request("GET", "/runs")
query = urlencode(
    [("workflow_ids", w) for w in args["workflows"]]
    + [("statuses", "execution.queued"), ("statuses", "execution.requeued"), ("limit", 2)]
)
out["queued_page"] = cc._make_request("GET", "/runs?" + query)
cursor = out["queued_page"][-1]["created_at"]
out["queued_next"] = cc._make_request("GET", "/runs?" + query + "&" + urlencode({"cursor": cursor}))
out["result"] = dataclasses.asdict(cc.runs.get_results(args["run"]))
cc.runs.interrupt(args["interrupt"])
out["after_interrupt"] = cc.runs.get_results(args["interrupt"]).status
for name, path in (("bad_limit", "/runs?limit=0"), ("missing", f"/run/{args['missing']}")):
    try:
        cc._make_request("GET", path)
    except RuntimeError as e:
        out[name] = str(e)
print(json.dumps(out, default=str))
