"""Workspace, member and invite routes (http-api.md "Workspaces, members, invites")."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from flowra_core.domain.errors import ErrorCode, ValidationFailed
from flowra_entrypoints.http.auth import Core, CurrentActor
from flowra_entrypoints.http.dto.common import ListResponse, list_response
from flowra_entrypoints.http.dto.constraints import (
    Id,
    InviteStatusName,
    Limit,
    MemberRoleName,
)
from flowra_entrypoints.http.dto.workspaces import (
    AddMemberRequest,
    ChangeRoleRequest,
    CreateInviteRequest,
    CreateWorkspaceRequest,
    InvitePreviewResponse,
    InviteResponse,
    MemberResponse,
    TransferOwnershipRequest,
    UpdateWorkspaceRequest,
    WorkspaceResponse,
    invite_preview_response,
    invite_response,
    member_response,
    workspace_response,
)
from flowra_entrypoints.http.error_contract import problems

W = "/{workspace_id:str}"


class WorkspacesController(Controller):
    path = "/api/v1/workspaces"
    tags = ["workspaces"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post("/", summary="Create a workspace")
    async def create(
        self, data: JSONBody[CreateWorkspaceRequest], actor: CurrentActor, core: Core
    ) -> Response[WorkspaceResponse]:
        view = await core.workspaces.create(actor, name=data.name, description=data.description)
        body = workspace_response(view)
        return Response(body, status_code=201, headers={"Location": f"{self.path}/{body.id}"})

    @get("/", summary="The caller's workspaces, by name")
    async def list_workspaces(
        self,
        actor: CurrentActor,
        core: Core,
        all: FromQuery[bool] = False,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[WorkspaceResponse]:
        page = await core.workspaces.list_workspaces(
            actor, all_workspaces=all, limit=limit, cursor=cursor
        )
        return list_response(page, workspace_response)

    @get(W, summary="A workspace")
    async def get_workspace(
        self, workspace_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> WorkspaceResponse:
        return workspace_response(await core.workspaces.get(actor, workspace_id))

    @problems(ErrorCode.FORBIDDEN)
    @patch(W, summary="Edit name or description")
    async def update(
        self,
        workspace_id: FromPath[Id],
        data: JSONBody[UpdateWorkspaceRequest],
        actor: CurrentActor,
        core: Core,
    ) -> WorkspaceResponse:
        name, description = data.name_value(), data.description_value()
        if name is None and description is None:
            raise ValidationFailed.single("body", "give at least one of name, description")
        view = await core.workspaces.update(actor, workspace_id, name=name, description=description)
        return workspace_response(view)

    @problems(ErrorCode.FORBIDDEN)
    @delete(W, summary="Delete a workspace (owner)")
    async def delete_workspace(
        self, workspace_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> None:
        await core.workspaces.delete(actor, workspace_id)

    @get(W + "/members", summary="Members, by join time")
    async def members(
        self,
        workspace_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
        role: FromQuery[MemberRoleName | None] = None,
        q: FromQuery[str | None] = None,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[MemberResponse]:
        page = await core.workspaces.members(
            actor, workspace_id, role=role, q=q, limit=limit, cursor=cursor
        )
        return list_response(page, member_response)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.USER_NOT_FOUND, ErrorCode.ALREADY_MEMBER)
    @post(W + "/members", summary="Add a member")
    async def add_member(
        self,
        workspace_id: FromPath[Id],
        data: JSONBody[AddMemberRequest],
        actor: CurrentActor,
        core: Core,
    ) -> MemberResponse:
        view = await core.workspaces.add_member(
            actor, workspace_id, user_id=data.user_id, username=data.username, role=data.role
        )
        return member_response(view)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.MEMBER_NOT_FOUND, ErrorCode.CANNOT_CHANGE_OWNER_ROLE)
    @patch(W + "/members/{user_id:str}", summary="Change a member's role (owner)")
    async def change_role(
        self,
        workspace_id: FromPath[Id],
        user_id: FromPath[Id],
        data: JSONBody[ChangeRoleRequest],
        actor: CurrentActor,
        core: Core,
    ) -> MemberResponse:
        view = await core.workspaces.change_role(actor, workspace_id, user_id, role=data.role)
        return member_response(view)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.MEMBER_NOT_FOUND, ErrorCode.CANNOT_REMOVE_OWNER)
    @delete(W + "/members/{user_id:str}", summary="Remove a member (or yourself)")
    async def remove_member(
        self, workspace_id: FromPath[Id], user_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> None:
        await core.workspaces.remove_member(actor, workspace_id, user_id)

    @problems(ErrorCode.OWNER_CANNOT_LEAVE)
    @post(W + "/leave", status_code=HTTP_204_NO_CONTENT, summary="Leave the workspace")
    async def leave(self, workspace_id: FromPath[Id], actor: CurrentActor, core: Core) -> None:
        await core.workspaces.leave(actor, workspace_id)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.MEMBER_NOT_FOUND)
    @post(W + "/transfer-ownership", status_code=HTTP_200_OK, summary="Make another member owner")
    async def transfer_ownership(
        self,
        workspace_id: FromPath[Id],
        data: JSONBody[TransferOwnershipRequest],
        actor: CurrentActor,
        core: Core,
    ) -> WorkspaceResponse:
        view = await core.workspaces.transfer_ownership(actor, workspace_id, user_id=data.user_id)
        return workspace_response(view)

    @problems(ErrorCode.FORBIDDEN)
    @post(W + "/invites", summary="Create an invite")
    async def create_invite(
        self,
        workspace_id: FromPath[Id],
        data: JSONBody[CreateInviteRequest],
        actor: CurrentActor,
        core: Core,
    ) -> InviteResponse:
        view = await core.workspaces.create_invite(
            actor,
            workspace_id,
            role=data.role,
            expires_at=data.expires_at_value(),
            max_uses=data.max_uses,
        )
        return invite_response(view)

    @problems(ErrorCode.FORBIDDEN)
    @get(W + "/invites", summary="Invites, newest first")
    async def invites(
        self,
        workspace_id: FromPath[Id],
        actor: CurrentActor,
        core: Core,
        status: FromQuery[InviteStatusName | None] = None,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ListResponse[InviteResponse]:
        page = await core.workspaces.invites(
            actor, workspace_id, status=status, limit=limit, cursor=cursor
        )
        return list_response(page, invite_response)

    @problems(ErrorCode.FORBIDDEN, ErrorCode.INVITE_NOT_FOUND)
    @delete(W + "/invites/{invite_id:str}", summary="Revoke an invite")
    async def revoke_invite(
        self, workspace_id: FromPath[Id], invite_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> None:
        await core.workspaces.revoke_invite(actor, workspace_id, invite_id)


class InvitesController(Controller):
    path = "/api/v1/invites"
    tags = ["invites"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/{token:str}", summary="Preview an invite")
    async def preview(
        self, token: FromPath[str], actor: CurrentActor, core: Core
    ) -> InvitePreviewResponse:
        return invite_preview_response(await core.workspaces.preview_invite(token))

    @problems(ErrorCode.INVITE_EXPIRED, ErrorCode.INVITE_REVOKED, ErrorCode.INVITE_EXHAUSTED)
    @post("/{token:str}/accept", status_code=HTTP_200_OK, summary="Accept an invite")
    async def accept(
        self, token: FromPath[str], actor: CurrentActor, core: Core
    ) -> WorkspaceResponse:
        return workspace_response(await core.workspaces.accept_invite(actor, token))
