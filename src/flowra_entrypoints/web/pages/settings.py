"""Settings: my display name; the workspace's name, description, ownership, leave and delete
(typed confirmation); members' roles and removal (web-client.md §2)."""

from __future__ import annotations

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Response

from flowra_core.domain.errors import ValidationFailed
from flowra_entrypoints.http.dto.common import user_response
from flowra_entrypoints.http.dto.workspaces import member_response, workspace_response
from flowra_entrypoints.web.pages.chats import W, core_of
from flowra_entrypoints.web.pages.common import AnyRequest, form_text, go, page, toast_only
from flowra_entrypoints.web.viewer import CurrentViewer

TRANSFER_WORD = "TRANSFER"


@get("/settings", include_in_schema=False)
async def my_settings(request: AnyRequest, viewer: CurrentViewer) -> Response[str]:
    me = user_response(await core_of(request).users.me(viewer.actor))
    return page(request, "settings.html", viewer, me=me, saved=False)


@post("/settings", include_in_schema=False, status_code=200)
async def save_my_settings(request: AnyRequest, viewer: CurrentViewer) -> Response[str]:
    name = form_text(await request.form(), "display_name")
    user = await core_of(request).users.update_display_name(viewer.actor, name)
    return page(request, "settings.html", viewer, me=user_response(user), saved=True)


@get(W + "/settings", include_in_schema=False)
async def workspace_settings(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    core = core_of(request)
    workspace = workspace_response(await core.workspaces.get(viewer.actor, workspace_id))
    members = await core.workspaces.members(
        viewer.actor, workspace_id, role=None, q=None, limit=100, cursor=None
    )
    return page(
        request,
        "workspace_settings.html",
        viewer,
        workspace=workspace,
        members=[member_response(view) for view in members.items],
        transfer_word=TRANSFER_WORD,
    )


@post(W + "/settings", include_in_schema=False, status_code=200)
async def save_workspace(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    form = await request.form()
    await core_of(request).workspaces.update(
        viewer.actor,
        workspace_id,
        name=form_text(form, "name"),
        description=form_text(form, "description"),
    )
    return toast_only("Saved")


@post(W + "/delete", include_in_schema=False, status_code=200)
async def delete_workspace(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    """Deletes after the person typed the workspace's name."""
    core = core_of(request)
    workspace = workspace_response(await core.workspaces.get(viewer.actor, workspace_id))
    if form_text(await request.form(), "confirm") != workspace.name:
        raise ValidationFailed.single("confirm", "type the workspace's name to delete it")
    await core.workspaces.delete(viewer.actor, workspace_id)
    return go(request, "/workspaces")


@post(W + "/leave", include_in_schema=False, status_code=200)
async def leave_workspace(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    await core_of(request).workspaces.leave(viewer.actor, workspace_id)
    return go(request, "/workspaces")


@post(W + "/transfer", include_in_schema=False, status_code=200)
async def transfer_ownership(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    form = await request.form()
    if form_text(form, "confirm") != TRANSFER_WORD:
        raise ValidationFailed.single("confirm", f"type {TRANSFER_WORD} to confirm")
    await core_of(request).workspaces.transfer_ownership(
        viewer.actor, workspace_id, user_id=form_text(form, "user_id")
    )
    return go(request, f"/workspaces/{workspace_id}/settings")


@post(W + "/members/{user_id:str}/role", include_in_schema=False, status_code=200)
async def change_role(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str], user_id: FromPath[str]
) -> Response[str]:
    role = form_text(await request.form(), "role")
    view = await core_of(request).workspaces.change_role(
        viewer.actor, workspace_id, user_id, role=role
    )
    member = member_response(view)
    return toast_only(f"{member.display_name} is now {member.role}")


@post(W + "/members/{user_id:str}/remove", include_in_schema=False, status_code=200)
async def remove_member(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str], user_id: FromPath[str]
) -> Response[str]:
    await core_of(request).workspaces.remove_member(viewer.actor, workspace_id, user_id)
    return go(request, f"/workspaces/{workspace_id}/members")


SETTINGS_ROUTES = [
    my_settings,
    save_my_settings,
    workspace_settings,
    save_workspace,
    delete_workspace,
    leave_workspace,
    transfer_ownership,
    change_role,
    remove_member,
]
