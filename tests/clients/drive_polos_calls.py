"""Drives ``polos-sdk``'s ``batch_invoke`` against runyard; prints what it got as JSON.

``drive_polos_calls.py BASE_URL KEY ARGS_JSON``. The SDK sends only workflows it has
registered itself (``@workflow``), so the corpus' workflows are declared here.
"""

import asyncio
import json
import sys

import httpx
from polos import PolosClient, WorkflowContext, workflow
from polos.types.types import BatchWorkflowInput

base, key, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])


@workflow(id="crm-sync")
async def crm_sync(ctx: WorkflowContext, payload: dict) -> dict:
    return payload


@workflow(id="lookup")
async def lookup(ctx: WorkflowContext, payload: dict) -> dict:
    return payload


@workflow(id="not-in-runyard")
async def unknown(ctx: WorkflowContext, payload: dict) -> dict:
    return payload


async def main():
    client = PolosClient(api_url=base, api_key=key, project_id=args["project"])
    out = {}
    handles = await client.batch_invoke(
        [
            BatchWorkflowInput(id="crm-sync", payload={"account": "Ada"}),
            BatchWorkflowInput(id="lookup", payload={"q": 1}, run_timeout_seconds=60),
            BatchWorkflowInput(id="crm-sync", payload={"account": "Bo"}),
        ],
        session_id="sess-1",
        user_id="ada@example.com",
    )
    out["handles"] = [[h.id, h.workflow_id, h.created_at, h.session_id] for h in handles]
    out["executions"] = [await client.get_execution(h.id) for h in handles]
    out["handle_get"] = (await handles[0].get(client))["status"]
    try:
        await client.batch_invoke(
            [BatchWorkflowInput(id="lookup"), BatchWorkflowInput(id="not-in-runyard")]
        )
    except httpx.HTTPStatusError as e:
        out["unknown"] = [e.response.status_code, e.response.json()]
    print(json.dumps(out, default=str))


asyncio.run(main())
