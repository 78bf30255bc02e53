"""Membership rules: add, change role, remove, leave, transfer ownership."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.user import FLOWRA_BOT_ID
from flowra_core.domain.workspace import (
    Member,
    MemberAdded,
    MemberRemoved,
    MemberRole,
    MemberRoleChanged,
    RemovalReason,
    Workspace,
    add_member,
    change_member_role,
    create_workspace,
    evolve,
    leave_workspace,
    parse_member_role,
    remove_member,
    replay,
    transfer_ownership,
)

NOW = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
OWNER = "owner-id"
ADMIN = "admin-id"
MEMBER = "member-id"
STRANGER = "stranger-id"


def apply(state: Workspace, events: list[DomainEvent]) -> Workspace:
    for event in events:
        state = evolve(state, event)
    return state


def team() -> Workspace:
    """A workspace with an owner, an admin and a member."""
    state = replay(create_workspace(workspace_id="ws", name="Acme", created_by=OWNER, now=NOW))
    assert state is not None
    state = apply(
        state,
        add_member(
            state, user_id=ADMIN, user_is_active=True, role="admin", added_by=OWNER, now=NOW
        ),
    )
    return apply(
        state, add_member(state, user_id=MEMBER, user_is_active=True, added_by=OWNER, now=NOW)
    )


def code_of(error: pytest.ExceptionInfo[DomainError]) -> ErrorCode:
    return error.value.code


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("owner", MemberRole.OWNER),
        (" ADMIN ", MemberRole.ADMIN),
        ("Member", MemberRole.MEMBER),
        ("guest", None),
        ("", None),
    ],
)
def test_parse_member_role(text: str, role: MemberRole | None) -> None:
    assert parse_member_role(text) is role


def test_team_helpers() -> None:
    workspace = team()

    assert workspace.member_count == 3
    assert workspace.owner_id == OWNER
    assert workspace.member(MEMBER) == Member(user_id=MEMBER, role=MemberRole.MEMBER, joined_at=NOW)
    assert workspace.member(STRANGER) is None
    assert [workspace.is_admin(user) for user in (OWNER, ADMIN, MEMBER, STRANGER)] == [
        True,
        True,
        False,
        False,
    ]


# --- add member ---


@pytest.mark.parametrize(
    ("role_input", "role"),
    [(None, MemberRole.MEMBER), ("member", MemberRole.MEMBER), ("  Admin", MemberRole.ADMIN)],
)
def test_add_member(role_input: str | None, role: MemberRole) -> None:
    events = add_member(
        team(), user_id=STRANGER, user_is_active=True, role=role_input, added_by=ADMIN, now=LATER
    )

    assert events == [MemberAdded(user_id=STRANGER, role=role, added_by=ADMIN, joined_at=LATER)]


@pytest.mark.parametrize("role_input", ["owner", "OWNER", "guest", ""])
def test_add_member_role_must_be_admin_or_member(role_input: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        add_member(
            team(), user_id=STRANGER, user_is_active=True, role=role_input, added_by=OWNER, now=NOW
        )

    assert [error.field for error in caught.value.errors] == ["role"]


@pytest.mark.parametrize(
    ("user_id", "active", "code"),
    [
        (STRANGER, False, ErrorCode.USER_NOT_FOUND),
        (FLOWRA_BOT_ID, True, ErrorCode.USER_NOT_FOUND),
        (MEMBER, True, ErrorCode.ALREADY_MEMBER),
        (OWNER, True, ErrorCode.ALREADY_MEMBER),
    ],
)
def test_add_member_refusals(user_id: str, active: bool, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as caught:
        add_member(team(), user_id=user_id, user_is_active=active, added_by=OWNER, now=NOW)

    assert code_of(caught) is code


# --- change role ---


@pytest.mark.parametrize(
    ("user_id", "role_input", "old", "new"),
    [
        (MEMBER, "admin", MemberRole.MEMBER, MemberRole.ADMIN),
        (ADMIN, "MEMBER", MemberRole.ADMIN, MemberRole.MEMBER),
    ],
)
def test_change_role(user_id: str, role_input: str, old: MemberRole, new: MemberRole) -> None:
    workspace = team()

    events = change_member_role(workspace, user_id=user_id, role=role_input, changed_by=OWNER)
    changed = apply(workspace, events)

    assert events == [
        MemberRoleChanged(user_id=user_id, old_role=old, new_role=new, changed_by=OWNER)
    ]
    member = changed.member(user_id)
    assert member is not None
    assert member.role is new


@pytest.mark.parametrize(("user_id", "role_input"), [(MEMBER, "member"), (ADMIN, " admin ")])
def test_change_to_the_same_role_is_a_no_op(user_id: str, role_input: str) -> None:
    assert change_member_role(team(), user_id=user_id, role=role_input, changed_by=OWNER) == []


@pytest.mark.parametrize(
    ("user_id", "role_input", "code"),
    [
        (OWNER, "admin", ErrorCode.CANNOT_CHANGE_OWNER_ROLE),
        (STRANGER, "admin", ErrorCode.MEMBER_NOT_FOUND),
    ],
)
def test_change_role_refusals(user_id: str, role_input: str, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as caught:
        change_member_role(team(), user_id=user_id, role=role_input, changed_by=OWNER)

    assert code_of(caught) is code


@pytest.mark.parametrize("role_input", ["owner", "boss"])
def test_change_role_to_owner_or_unknown_is_invalid(role_input: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        change_member_role(team(), user_id=MEMBER, role=role_input, changed_by=OWNER)

    assert [error.field for error in caught.value.errors] == ["role"]


# --- remove and leave ---


@pytest.mark.parametrize(
    ("user_id", "removed_by", "reason"),
    [
        (MEMBER, ADMIN, RemovalReason.REMOVED),
        (ADMIN, OWNER, RemovalReason.REMOVED),
        (MEMBER, MEMBER, RemovalReason.LEFT),
    ],
)
def test_remove_member(user_id: str, removed_by: str, reason: RemovalReason) -> None:
    workspace = team()

    events = remove_member(workspace, user_id=user_id, removed_by=removed_by)

    assert events == [MemberRemoved(user_id=user_id, removed_by=removed_by, reason=reason)]
    assert apply(workspace, events).member(user_id) is None


@pytest.mark.parametrize(
    ("user_id", "code"),
    [(OWNER, ErrorCode.CANNOT_REMOVE_OWNER), (STRANGER, ErrorCode.MEMBER_NOT_FOUND)],
)
def test_remove_member_refusals(user_id: str, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as caught:
        remove_member(team(), user_id=user_id, removed_by=ADMIN)

    assert code_of(caught) is code


@pytest.mark.parametrize("user_id", [ADMIN, MEMBER])
def test_leave(user_id: str) -> None:
    workspace = team()

    events = leave_workspace(workspace, user_id=user_id)

    assert events == [MemberRemoved(user_id=user_id, removed_by=user_id, reason=RemovalReason.LEFT)]
    assert apply(workspace, events).member_count == 2


@pytest.mark.parametrize(
    ("user_id", "code"),
    [(OWNER, ErrorCode.OWNER_CANNOT_LEAVE), (STRANGER, ErrorCode.MEMBER_NOT_FOUND)],
)
def test_leave_refusals(user_id: str, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as caught:
        leave_workspace(team(), user_id=user_id)

    assert code_of(caught) is code


# --- transfer ownership ---


@pytest.mark.parametrize(
    ("target", "old_role"), [(MEMBER, MemberRole.MEMBER), (ADMIN, MemberRole.ADMIN)]
)
def test_transfer_ownership(target: str, old_role: MemberRole) -> None:
    workspace = team()

    events = transfer_ownership(workspace, new_owner_id=target, changed_by=OWNER)
    transferred = apply(workspace, events)

    assert events == [
        MemberRoleChanged(
            user_id=target, old_role=old_role, new_role=MemberRole.OWNER, changed_by=OWNER
        ),
        MemberRoleChanged(
            user_id=OWNER, old_role=MemberRole.OWNER, new_role=MemberRole.ADMIN, changed_by=OWNER
        ),
    ]
    assert transferred.owner_id == target
    previous_owner = transferred.member(OWNER)
    assert previous_owner is not None
    assert previous_owner.role is MemberRole.ADMIN
    roles = [member.role for member in transferred.members]
    assert roles.count(MemberRole.OWNER) == 1


def test_transfer_to_self_is_invalid() -> None:
    with pytest.raises(ValidationFailed) as caught:
        transfer_ownership(team(), new_owner_id=OWNER, changed_by=OWNER)

    assert [error.field for error in caught.value.errors] == ["user_id"]


def test_transfer_to_a_non_member_is_member_not_found() -> None:
    with pytest.raises(DomainError) as caught:
        transfer_ownership(team(), new_owner_id=STRANGER, changed_by=OWNER)

    assert code_of(caught) is ErrorCode.MEMBER_NOT_FOUND


def test_the_new_owner_has_the_owner_rules() -> None:
    workspace = team()
    transferred = apply(
        workspace, transfer_ownership(workspace, new_owner_id=MEMBER, changed_by=OWNER)
    )

    assert leave_workspace(transferred, user_id=OWNER)[0] == MemberRemoved(
        user_id=OWNER, removed_by=OWNER, reason=RemovalReason.LEFT
    )
    with pytest.raises(DomainError) as caught:
        leave_workspace(transferred, user_id=MEMBER)
    assert code_of(caught) is ErrorCode.OWNER_CANNOT_LEAVE
