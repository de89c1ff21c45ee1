"""Drives the official ``polos-sdk`` client against runyard; prints what it got as JSON.

``drive_polos.py BASE_URL KEY ARGS_JSON``. polos-sdk has no list method: the list call is
made with the client's own URL and headers, as the Polos UI and CLI make it.
"""

import asyncio
import json
import sys

import httpx
from polos import PolosClient

base, key, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])


async def main():
    client = PolosClient(api_url=base, api_key=key, project_id=args["project"])
    out = {}
    async with httpx.AsyncClient() as http:
        listed = await http.get(
            f"{client.api_url}/api/v1/workflows/runs",
            headers=client._get_headers(),
            params={"workflow_type": "workflow", "limit": 50, "offset": 0},
        )
        listed.raise_for_status()
        out["list"] = listed.json()
    handle = await client.invoke("crm-sync", payload={"account": "Ada"})
    out["invoked"] = handle.id
    out["execution"] = await client.get_execution(handle.id)
    out["handle_get"] = await handle.get(client)
    out["cancelled"] = await client.cancel_execution(handle.id)
    out["after_cancel"] = (await client.get_execution(handle.id))["status"]
    out["cancel_missing"] = await client.cancel_execution(args["missing"])
    other = PolosClient(api_url=base, api_key=args["other_key"], project_id=args["project"])
    try:
        await other.get_execution(handle.id)
    except httpx.HTTPStatusError as e:
        out["other_project"] = [e.response.status_code, e.response.json()]
    print(json.dumps(out, default=str))


asyncio.run(main())
