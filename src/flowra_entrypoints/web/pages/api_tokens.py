"""API tokens under workspace settings (owners and admins): their own tokens and the
workspace's bots' tokens; create (the secret is shown once), revoke.

Who may come here is the core's answer: `bots.list_bots` refuses anyone but the workspace's
owners and admins (the normal 403/404 page); the token use cases check who manages which
token, exactly as on the JSON API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Response

from flowra_core.app.governance.services import Governance
from flowra_core.app.governance.tokens import IssuedToken
from flowra_core.domain.errors import ValidationFailed
from flowra_core.domain.tokens import TokenScope
from flowra_entrypoints.http.dto.tokens import TokenResponse, token_response
from flowra_entrypoints.web.pages.chats import W, core_of
from flowra_entrypoints.web.pages.common import AnyRequest, form_text, go, page
from flowra_entrypoints.web.viewer import CurrentViewer, Viewer

_LIST_MAX = 100
_EXPIRY_DAYS_MAX = 3650


def governance_of(request: AnyRequest) -> Governance:
    governance: Governance = request.app.state.governance
    return governance


@dataclass(frozen=True, slots=True)
class TokenRow:
    token: TokenResponse
    owner: str  # whose rights the token carries, as people read it


async def _owners(request: AnyRequest, viewer: Viewer, workspace_id: str) -> dict[str, str]:
    """The people whose tokens this page manages: the viewer, then the workspace's bots."""
    bots = await governance_of(request).bots.list_bots(viewer.actor, workspace_id)
    owners = {viewer.user_id: f"You ({viewer.user.display_name})"}
    owners.update({user.id: f"{bot.name} (bot)" for bot, user in bots})
    return owners


async def _panel(
    request: AnyRequest,
    viewer: Viewer,
    workspace_id: str,
    *,
    issued: IssuedToken | None = None,
    template: str = "fragments/tokens_panel.html",
) -> Response[str]:
    core = core_of(request)
    governance = governance_of(request)
    workspace = await core.workspaces.get(viewer.actor, workspace_id)
    owners = await _owners(request, viewer, workspace_id)
    rows: list[TokenRow] = []
    for user_id, label in owners.items():
        listed = await governance.tokens.list_tokens(
            viewer.actor, user_id=user_id, limit=_LIST_MAX, cursor=None
        )
        rows.extend(TokenRow(token_response(token), label) for token in listed.items)
    context: dict[str, Any] = {
        "workspace_id": workspace_id,
        "workspace_name": workspace.workspace.name,
        "owners": owners,
        "rows": rows,
        "scopes": [scope.value for scope in TokenScope],
        "issued": issued,
        "issued_owner": owners.get(issued.token.user_id) if issued else None,
    }
    return page(request, template, viewer, **context)


@get(W + "/tokens", include_in_schema=False)
async def tokens_page(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    return await _panel(request, viewer, workspace_id, template="workspace_tokens.html")


@post(W + "/tokens", include_in_schema=False, status_code=200)
async def create_token(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    """Answers the panel with the new secret in it: the only time it is ever shown."""
    form = await request.form()
    owners = await _owners(request, viewer, workspace_id)
    owner = form_text(form, "user_id") or viewer.user_id
    if owner not in owners:
        raise ValidationFailed.single("user_id", "choose yourself or one of this workspace's bots")
    days = form_text(form, "expires_in_days")
    expires_at = None
    if days:
        if not days.isdigit() or not 1 <= int(days) <= _EXPIRY_DAYS_MAX:
            raise ValidationFailed.single(
                "expires_in_days", f"a whole number from 1 to {_EXPIRY_DAYS_MAX}, or empty"
            )
        expires_at = core_of(request).ports.clock.now() + timedelta(days=int(days))
    scopes = [s for s in form.getall("scopes", []) if isinstance(s, str)]
    issued = await governance_of(request).tokens.create(
        viewer.actor,
        user_id=owner,
        name=form_text(form, "name"),
        scopes=scopes,
        expires_at=expires_at,
    )
    return await _panel(request, viewer, workspace_id, issued=issued)


@post(W + "/tokens/{token_id:str}/revoke", include_in_schema=False, status_code=200)
async def revoke_token(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str], token_id: FromPath[str]
) -> Response[str]:
    await _owners(request, viewer, workspace_id)  # owners and admins of this workspace only
    await governance_of(request).tokens.revoke(viewer.actor, token_id)
    return go(request, f"/workspaces/{workspace_id}/tokens")


TOKEN_ROUTES = [tokens_page, create_token, revoke_token]
