"""The ``cloudcruise`` SDK's calls about what runyard does not keep: the credential vault
and secret providers, a browser's live view, answers to a browser agent's questions, and
webhook replays.

Each answers 404 in CloudCruise's envelope saying runyard does not serve it (not 5xx:
nothing failed, there is just no such thing here), after the key is checked like any
other call's, so a bad key still reads as a bad key.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

from fastapi import APIRouter, Query

from runyard.api.dialects.cloudcruise_wire import PrincipalDep
from runyard.core.errors import NotFound

router = APIRouter(tags=["not served by runyard"])
Filter = Annotated[str | None, Query(description="accepted; runyard keeps no vault")]

VAULT = "the credential vault (runyard runs code and keeps no credentials)"
SECRETS = "secret providers (runyard keeps no credentials)"
BROWSER = "browser sessions (runyard runs code, not a browser)"
AGENT = "a browser agent's questions (runyard's runs take their input when they start)"
WEBHOOKS = "CloudCruise webhooks (runyard sends its own completion callbacks)"


def _not_served(what: str) -> NoReturn:
    raise NotFound(f"runyard does not serve {what}")


@router.get("/vault", summary="Vault entries (not served)")
def vault_get(_: PrincipalDep, permissioned_user_id: Filter = None, domain: Filter = None) -> None:
    _not_served(VAULT)


@router.post("/vault", summary="Create a vault entry (not served)")
def vault_create(_: PrincipalDep) -> None:
    _not_served(VAULT)


@router.put("/vault", summary="Update a vault entry (not served)")
def vault_update(_: PrincipalDep) -> None:
    _not_served(VAULT)


@router.delete("/vault", summary="Delete a vault entry (not served)")
def vault_delete(_: PrincipalDep) -> None:
    _not_served(VAULT)


@router.get("/vault/tfa-code", summary="A vault entry's 2FA code (not served)")
def vault_tfa_code(
    _: PrincipalDep, permissioned_user_id: Filter = None, domain: Filter = None
) -> None:
    _not_served(VAULT)


@router.get("/secret-providers", summary="Secret providers (not served)")
def secret_providers(_: PrincipalDep) -> None:
    _not_served(SECRETS)


@router.get("/secret-providers/{secret_provider_id}/items", summary="Secrets (not served)")
def secret_provider_items(_: PrincipalDep, secret_provider_id: str) -> None:
    _not_served(SECRETS)


@router.get("/live/sessions/{session_id}/connection", summary="Live view (not served)")
def live_view(_: PrincipalDep, session_id: str) -> None:
    _not_served(BROWSER)


@router.post("/run/{session_id}/user_interaction", summary="Answer an agent (not served)")
def user_interaction(_: PrincipalDep, session_id: str) -> None:
    _not_served(AGENT)


@router.post("/run/{session_id}/new_input_variables", summary="New input (not served)")
def new_input_variables(_: PrincipalDep, session_id: str) -> None:
    _not_served(AGENT)


@router.post("/webhooks/{session_id}/replay", summary="Replay webhooks (not served)")
def replay_webhooks(_: PrincipalDep, session_id: str) -> None:
    _not_served(WEBHOOKS)
