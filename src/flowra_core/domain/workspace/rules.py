"""Field rules shared by the workspace commands; field names are the HTTP API's."""

from __future__ import annotations

from flowra_core.domain.errors import DomainError, ErrorCode, FieldError
from flowra_core.domain.workspace.state import MemberRole, Workspace

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 500


def require_live(workspace: Workspace | None) -> Workspace:
    """The workspace if it exists and is not deleted; every command starts here."""
    if workspace is None or workspace.is_deleted:
        raise DomainError(ErrorCode.WORKSPACE_NOT_FOUND, "No such workspace")
    return workspace


def name_error(name: str) -> FieldError | None:
    if 1 <= len(name) <= NAME_MAX_LENGTH:
        return None
    return FieldError("name", f"name must be 1–{NAME_MAX_LENGTH} characters after trimming")


def description_error(description: str) -> FieldError | None:
    if len(description) <= DESCRIPTION_MAX_LENGTH:
        return None
    return FieldError(
        "description", f"description must be at most {DESCRIPTION_MAX_LENGTH} characters"
    )


def parse_member_role(text: str) -> MemberRole | None:
    """Any role, matched case-insensitively after trimming; None when unknown."""
    try:
        return MemberRole(text.strip().lower())
    except ValueError:
        return None


def parse_assignable_role(text: str, *, field: str = "role") -> MemberRole | FieldError:
    """`admin` or `member`: `owner` is only ever reached by transferring ownership."""
    role = parse_member_role(text)
    if role is not None and role is not MemberRole.OWNER:
        return role
    return FieldError(field, f"{field} must be admin or member")
