"""Workspaces: the list with create, the workspace home, members and invites, the
accept-invite page (web-client.md §2)."""

from __future__ import annotations

from datetime import timedelta

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Response

from flowra_core.app.core import FlowraCore
from flowra_core.domain.errors import ValidationFailed
from flowra_entrypoints.http.dto.workspaces import (
    invite_preview_response,
    invite_response,
    member_response,
    workspace_response,
)
from flowra_entrypoints.web.pages.common import AnyRequest, form_text, go, page
from flowra_entrypoints.web.viewer import CurrentViewer

W = "/workspaces/{workspace_id:str}"
_MAX_LIST = 100


def _core(request: AnyRequest) -> FlowraCore:
    core: FlowraCore = request.app.state.core
    return core


@get("/workspaces", include_in_schema=False)
async def workspaces_page(request: AnyRequest, viewer: CurrentViewer) -> Response[str]:
    core = _core(request)
    listed = await core.workspaces.list_workspaces(
        viewer.actor, all_workspaces=False, limit=_MAX_LIST, cursor=None
    )
    cards = []
    for view in listed.items:
        body = workspace_response(view)
        unread = await core.notifications.unread_count(viewer.actor, body.id)
        cards.append((body, unread))
    return page(request, "workspaces.html", viewer, cards=cards)


@post("/workspaces", include_in_schema=False, status_code=200)
async def create_workspace(request: AnyRequest, viewer: CurrentViewer) -> Response[str]:
    form = await request.form()
    description = form_text(form, "description") or None
    view = await _core(request).workspaces.create(
        viewer.actor, name=form_text(form, "name"), description=description
    )
    return go(request, f"/workspaces/{view.workspace.id}")


@get(W + "/members", include_in_schema=False)
async def members_page(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    core = _core(request)
    workspace = workspace_response(await core.workspaces.get(viewer.actor, workspace_id))
    members = await core.workspaces.members(
        viewer.actor, workspace_id, role=None, q=None, limit=_MAX_LIST, cursor=None
    )
    can_invite = workspace.my_role in ("owner", "admin")
    invites = []
    if can_invite:
        listed = await core.workspaces.invites(
            viewer.actor, workspace_id, status=None, limit=_MAX_LIST, cursor=None
        )
        invites = [invite_response(view) for view in listed.items]
    return page(
        request,
        "members.html",
        viewer,
        workspace=workspace,
        members=[member_response(view) for view in members.items],
        invites=invites,
        can_invite=can_invite,
        base_url=str(request.base_url).rstrip("/"),
    )


@post(W + "/invites", include_in_schema=False, status_code=200)
async def create_invite(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    form = await request.form()
    core = _core(request)
    days = form_text(form, "expires_in_days")
    max_uses = form_text(form, "max_uses")
    expires_at = None
    if days:
        if not days.isdigit() or not 1 <= int(days) <= 30:
            raise ValidationFailed.single("expires_in_days", "a whole number from 1 to 30")
        expires_at = core.ports.clock.now() + timedelta(days=int(days))
    if max_uses and not max_uses.isdigit():
        raise ValidationFailed.single("max_uses", "a whole number")
    await core.workspaces.create_invite(
        viewer.actor,
        workspace_id,
        role=form_text(form, "role") or None,
        expires_at=expires_at,
        max_uses=int(max_uses) if max_uses else None,
    )
    return go(request, f"/workspaces/{workspace_id}/members")


@post(W + "/invites/{invite_id:str}/revoke", include_in_schema=False, status_code=200)
async def revoke_invite(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    invite_id: FromPath[str],
) -> Response[str]:
    await _core(request).workspaces.revoke_invite(viewer.actor, workspace_id, invite_id)
    return go(request, f"/workspaces/{workspace_id}/members")


@get("/invites/{token:str}", include_in_schema=False)
async def invite_page(
    request: AnyRequest, viewer: CurrentViewer, token: FromPath[str]
) -> Response[str]:
    preview = invite_preview_response(await _core(request).workspaces.preview_invite(token))
    return page(request, "invite.html", viewer, invite=preview, token=token)


@post("/invites/{token:str}/accept", include_in_schema=False, status_code=200)
async def accept_invite(
    request: AnyRequest, viewer: CurrentViewer, token: FromPath[str]
) -> Response[str]:
    view = await _core(request).workspaces.accept_invite(viewer.actor, token)
    return go(request, f"/workspaces/{view.workspace.id}")


WORKSPACE_ROUTES = [
    workspaces_page,
    create_workspace,
    members_page,
    create_invite,
    revoke_invite,
    invite_page,
    accept_invite,
]
