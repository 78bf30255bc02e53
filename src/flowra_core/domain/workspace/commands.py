"""Decide functions for the workspace itself: create, update, delete (domain.md §2)."""

from __future__ import annotations

from datetime import datetime

from flowra_core.domain.errors import ValidationFailed
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.workspace.events import (
    MemberAdded,
    TextChange,
    WorkspaceChanges,
    WorkspaceCreated,
    WorkspaceDeleted,
    WorkspaceUpdated,
)
from flowra_core.domain.workspace.rules import description_error, name_error, require_live
from flowra_core.domain.workspace.state import MemberRole, Workspace


def create_workspace(
    *,
    workspace_id: str,
    name: str,
    description: str | None = None,
    created_by: str,
    now: datetime,
) -> list[DomainEvent]:
    """`workspace.created`, then `member.added` making the creator the owner."""
    clean_name = name.strip()
    clean_description = (description or "").strip()
    errors = [
        error
        for error in (name_error(clean_name), description_error(clean_description))
        if error is not None
    ]
    if errors:
        raise ValidationFailed(errors)
    return [
        WorkspaceCreated(
            workspace_id=workspace_id,
            name=clean_name,
            description=clean_description,
            created_by=created_by,
            created_at=now,
        ),
        MemberAdded(user_id=created_by, role=MemberRole.OWNER, added_by=created_by, joined_at=now),
    ]


def update_workspace(
    workspace: Workspace | None,
    *,
    name: str | None = None,
    description: str | None = None,
    updated_by: str,
    now: datetime,
) -> list[DomainEvent]:
    """`None` means the field was absent; values equal to the current ones change nothing."""
    current = require_live(workspace)
    clean_name = None if name is None else name.strip()
    clean_description = None if description is None else description.strip()
    errors = [
        error
        for error in (
            None if clean_name is None else name_error(clean_name),
            None if clean_description is None else description_error(clean_description),
        )
        if error is not None
    ]
    if errors:
        raise ValidationFailed(errors)
    changes = WorkspaceChanges(
        name=_change(current.name, clean_name),
        description=_change(current.description, clean_description),
    )
    if changes == WorkspaceChanges():
        return []
    return [WorkspaceUpdated(changes=changes, updated_by=updated_by, updated_at=now)]


def delete_workspace(
    workspace: Workspace | None, *, deleted_by: str, now: datetime
) -> list[DomainEvent]:
    require_live(workspace)
    return [WorkspaceDeleted(deleted_by=deleted_by, deleted_at=now)]


def _change(old: str, new: str | None) -> TextChange | None:
    if new is None or new == old:
        return None
    return TextChange(old=old, new=new)
