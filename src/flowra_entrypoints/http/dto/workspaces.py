"""Workspace, member and invite bodies (http-api.md §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from flowra_core.app.workspaces.service import InvitePreview, InviteView, MemberView, WorkspaceView
from flowra_core.domain.datetimes import parse_due_date
from flowra_core.domain.errors import ValidationFailed
from flowra_entrypoints.http.dto.common import (
    PatchBody,
    RequestBody,
    Struct,
    Timestamp,
    ts,
    ts_or_none,
)
from flowra_entrypoints.http.dto.constraints import (
    AssignableRole,
    DateInput,
    Id,
    WorkspaceDescription,
    WorkspaceName,
)


class CreateWorkspaceRequest(RequestBody):
    name: WorkspaceName
    description: WorkspaceDescription | None = None


class UpdateWorkspaceRequest(PatchBody):
    """Absent = unchanged; neither field is nullable, so `null` is a 422 on the field."""

    name: WorkspaceName | UnsetType = UNSET
    description: WorkspaceDescription | UnsetType = UNSET

    def name_value(self) -> str | None:
        return None if isinstance(self.name, UnsetType) else self.name

    def description_value(self) -> str | None:
        return None if isinstance(self.description, UnsetType) else self.description


class AddMemberRequest(RequestBody):
    user_id: Id | None = None
    username: str | None = None
    role: AssignableRole | None = None


class ChangeRoleRequest(RequestBody):
    role: AssignableRole


class TransferOwnershipRequest(RequestBody):
    user_id: Id


class CreateInviteRequest(RequestBody):
    role: AssignableRole | None = None
    expires_at: DateInput | None = None
    max_uses: Annotated[int, Meta(ge=0, description="0 = unlimited")] | None = None

    def expires_at_value(self) -> datetime | None:
        if self.expires_at is None:
            return None
        try:
            return parse_due_date(self.expires_at)
        except ValueError:
            raise ValidationFailed.single(
                "expires_at", "must be YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or RFC 3339"
            ) from None


class WorkspaceResponse(Struct):
    id: str
    name: str
    description: str
    created_by: str
    created_at: Timestamp
    updated_at: Timestamp
    member_count: int
    my_role: str


def workspace_response(view: WorkspaceView) -> WorkspaceResponse:
    ws = view.workspace
    return WorkspaceResponse(
        id=ws.id,
        name=ws.name,
        description=ws.description,
        created_by=ws.created_by,
        created_at=ts(ws.created_at),
        updated_at=ts(ws.updated_at),
        member_count=ws.member_count,
        my_role=view.my_role,
    )


class MemberResponse(Struct):
    user_id: str
    username: str
    display_name: str
    email: str
    role: str
    joined_at: Timestamp
    is_online: bool


def member_response(view: MemberView) -> MemberResponse:
    return MemberResponse(
        user_id=view.member.user_id,
        username=view.user.username,
        display_name=view.user.display_name,
        email=view.user.email,
        role=view.member.role.value,
        joined_at=ts(view.member.joined_at),
        is_online=view.is_online,
    )


class InviteResponse(Struct):
    id: str
    workspace_id: str
    token: str | None
    role: str
    created_by: str
    created_at: Timestamp
    expires_at: Timestamp
    max_uses: int
    used_count: int
    status: str
    revoked_at: Timestamp | None


def invite_response(view: InviteView) -> InviteResponse:
    invite = view.invite
    return InviteResponse(
        id=invite.id,
        workspace_id=invite.workspace_id,
        token=view.token,
        role=invite.role.value,
        created_by=invite.created_by,
        created_at=ts(invite.created_at),
        expires_at=ts(invite.expires_at),
        max_uses=invite.max_uses,
        used_count=invite.used_count,
        status=view.status.value,
        revoked_at=ts_or_none(invite.revoked_at),
    )


class InvitePreviewResponse(Struct):
    workspace_id: str
    workspace_name: str
    role: str
    expires_at: Timestamp
    status: str


def invite_preview_response(preview: InvitePreview) -> InvitePreviewResponse:
    return InvitePreviewResponse(
        workspace_id=preview.workspace_id,
        workspace_name=preview.workspace_name,
        role=preview.role.value,
        expires_at=ts(preview.expires_at),
        status=preview.status.value,
    )
