"""What ``noxus-sdk`` may call that runyard does not keep: an honest answer each.

``GET /v1/nodes`` (the node catalogue, read when a client is built with its defaults)
is an empty list: runyard's workflows are code, not node graphs, so it has no nodes.
Every other Noxus path runyard does not serve is a 404 in Noxus's envelope saying what
runyard does not keep and, where there is one, what to use instead.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.routing import Route

from runyard.api.dialects.noxus_render import PrincipalDep, principal
from runyard.api.render import JSONResponse
from runyard.core.errors import NotFound

router = APIRouter()

GRAPHS = (
    "runyard does not store Noxus node graphs: a workflow is registered by a runyard "
    "worker (or POST /api/v1/workflows), and read here with GET /v1/workflows"
)
# The first segment of a path under /v1 -> what runyard does not keep there.
RESOURCES = {
    "knowledge-bases": "knowledge bases",
    "admin": "Noxus workspaces, users or their keys (build the client with load_me=False; "
    "projects and keys are runyard's /api/v1/projects)",
    "conversations": "conversations",
    "agents": "agents' conversations",
    "agentflows": "agent flows",
    "files": "files",
    "tables": "tables",
    "triggers": "Noxus triggers (runyard's schedules and webhooks are /api/v1/...)",
    "deployments": "deployments",
    "variables": "variables",
    "analytics": "analytics",
    "insights": "insights",
    "evaluations": "evaluations",
    "sandboxes": "sandboxes",
    "models": "a model catalogue",
}


def reason(method: str, rest: str) -> str:
    """Why runyard answers ``method /v1/{rest}`` with a 404."""
    parts = rest.strip("/").split("/")
    if parts[0] in RESOURCES:
        return f"runyard does not keep {RESOURCES[parts[0]]}"
    if parts[0] == "workflows":
        if parts[-2:] == ["runs", "sync"]:
            return (
                "runyard does not hold a request open for a whole run: start it with "
                "POST /v1/workflows/{id}/runs and wait on GET /v1/runs/{id}/events"
            )
        return GRAPHS
    if parts[0] == "runs" and len(parts) >= 3 and parts[2] in ("data", "io"):
        return "runyard does not keep per-node run data: a run's steps are GET /api/v1/runs/{id}"
    if (parts[0] == "runs" and method == "DELETE") or parts[:3] == ["runs", "bulk", "delete"]:
        return "runyard does not delete runs one by one: retention prunes ended runs"
    return f"runyard does not serve {method} /v1/{rest}"


@router.get("/v1/nodes", summary="The node catalogue (empty: runyard has no nodes)")
def nodes(who: PrincipalDep) -> JSONResponse:
    return JSONResponse([])


async def unserved(request: Request) -> Response:
    """Any other path under /v1, after the key is checked (a bad key is still a 401).

    A plain Starlette route, not a FastAPI one, so that the query parameters Noxus's
    calls carry are not refused as unknown before the 404 says what is not kept."""
    await principal(request, request.headers.get("x-api-key"))
    raise NotFound(reason(request.method, request.path_params["rest"]))


def catch_all() -> Route:
    """The route for every other path; it goes after all the served ones."""
    return Route("/v1/{rest:path}", unserved, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
