"""Workspace lifecycle: create, update, delete, and the deleted-workspace rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.workspace import (
    MemberAdded,
    MemberRole,
    TextChange,
    Workspace,
    WorkspaceChanges,
    WorkspaceCreated,
    WorkspaceDeleted,
    WorkspaceUpdated,
    accept_invite,
    add_member,
    change_member_role,
    create_invite,
    create_workspace,
    delete_workspace,
    evolve,
    leave_workspace,
    remove_member,
    replay,
    require_live,
    revoke_invite,
    transfer_ownership,
    update_workspace,
)

NOW = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
OWNER = "11111111-1111-4111-8111-111111111111"
WORKSPACE_ID = "22222222-2222-4222-8222-222222222222"


def fresh_workspace(name: str = "Acme", description: str = "Our team") -> Workspace:
    events = create_workspace(
        workspace_id=WORKSPACE_ID,
        name=name,
        description=description,
        created_by=OWNER,
        now=NOW,
    )
    state = replay(events)
    assert state is not None
    return state


def field_names(error: ValidationFailed) -> list[str]:
    return [field_error.field for field_error in error.errors]


def test_create_emits_created_then_owner_membership() -> None:
    events = create_workspace(
        workspace_id=WORKSPACE_ID,
        name="  Acme  ",
        description="  Our team ",
        created_by=OWNER,
        now=NOW,
    )

    assert events == [
        WorkspaceCreated(
            workspace_id=WORKSPACE_ID,
            name="Acme",
            description="Our team",
            created_by=OWNER,
            created_at=NOW,
        ),
        MemberAdded(user_id=OWNER, role=MemberRole.OWNER, added_by=OWNER, joined_at=NOW),
    ]


def test_created_workspace_state() -> None:
    workspace = fresh_workspace()

    assert workspace.id == WORKSPACE_ID
    assert (workspace.name, workspace.description) == ("Acme", "Our team")
    assert (workspace.created_at, workspace.updated_at, workspace.deleted_at) == (NOW, NOW, None)
    assert workspace.owner_id == OWNER
    assert workspace.member_count == 1
    assert workspace.is_admin(OWNER)
    assert workspace.version == 2


def test_create_description_defaults_to_empty() -> None:
    events = create_workspace(workspace_id=WORKSPACE_ID, name="Acme", created_by=OWNER, now=NOW)

    assert isinstance(events[0], WorkspaceCreated)
    assert events[0].description == ""


@pytest.mark.parametrize(
    ("name", "description", "valid"),
    [
        ("A", "", True),
        ("x" * 100, "d" * 500, True),
        ("  " + "x" * 100 + "  ", "  " + "d" * 500 + "  ", True),
        ("é" * 100, "é" * 500, True),
        ("", "", False),
        ("   ", "", False),
        ("x" * 101, "", False),
        ("Acme", "d" * 501, False),
    ],
)
def test_create_length_rules(name: str, description: str, valid: bool) -> None:
    def create() -> list[DomainEvent]:
        return create_workspace(
            workspace_id=WORKSPACE_ID, name=name, description=description, created_by=OWNER, now=NOW
        )

    if valid:
        assert len(create()) == 2
    else:
        with pytest.raises(ValidationFailed):
            create()


def test_create_reports_every_bad_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        create_workspace(
            workspace_id=WORKSPACE_ID, name="", description="d" * 501, created_by=OWNER, now=NOW
        )

    assert field_names(caught.value) == ["name", "description"]


def test_update_emits_only_changed_fields() -> None:
    later = NOW + timedelta(minutes=5)

    events = update_workspace(
        fresh_workspace(), name=" Acme Corp ", description="Our team", updated_by=OWNER, now=later
    )

    assert events == [
        WorkspaceUpdated(
            changes=WorkspaceChanges(name=TextChange(old="Acme", new="Acme Corp")),
            updated_by=OWNER,
            updated_at=later,
        )
    ]


def test_update_both_fields_and_apply() -> None:
    workspace = fresh_workspace()
    later = NOW + timedelta(minutes=5)

    events = update_workspace(workspace, name="B", description="", updated_by=OWNER, now=later)
    updated = evolve(workspace, events[0])

    assert events[0] == WorkspaceUpdated(
        changes=WorkspaceChanges(
            name=TextChange(old="Acme", new="B"),
            description=TextChange(old="Our team", new=""),
        ),
        updated_by=OWNER,
        updated_at=later,
    )
    assert (updated.name, updated.description, updated.updated_at) == ("B", "", later)


@pytest.mark.parametrize(
    "fields",
    [{}, {"name": "Acme"}, {"name": " Acme "}, {"description": "Our team"}],
)
def test_update_with_same_values_is_a_no_op(fields: dict[str, str]) -> None:
    assert update_workspace(fresh_workspace(), **fields, updated_by=OWNER, now=NOW) == []


def test_update_reports_every_bad_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        update_workspace(
            fresh_workspace(), name=" ", description="d" * 501, updated_by=OWNER, now=NOW
        )

    assert field_names(caught.value) == ["name", "description"]


def test_delete_is_soft() -> None:
    workspace = fresh_workspace()
    later = NOW + timedelta(hours=1)

    events = delete_workspace(workspace, deleted_by=OWNER, now=later)
    deleted = evolve(workspace, events[0])

    assert events == [WorkspaceDeleted(deleted_by=OWNER, deleted_at=later)]
    assert deleted.is_deleted
    assert (deleted.deleted_at, deleted.updated_at) == (later, later)


COMMANDS: dict[str, Callable[[Workspace | None], Any]] = {
    "update": lambda ws: update_workspace(ws, name="New", updated_by=OWNER, now=NOW),
    "delete": lambda ws: delete_workspace(ws, deleted_by=OWNER, now=NOW),
    "add_member": lambda ws: add_member(
        ws, user_id="u", user_is_active=True, added_by=OWNER, now=NOW
    ),
    "change_role": lambda ws: change_member_role(ws, user_id="u", role="admin", changed_by=OWNER),
    "remove_member": lambda ws: remove_member(ws, user_id="u", removed_by=OWNER),
    "leave": lambda ws: leave_workspace(ws, user_id="u"),
    "transfer": lambda ws: transfer_ownership(ws, new_owner_id="u", changed_by=OWNER),
    "create_invite": lambda ws: create_invite(
        ws, invite_id="i", token="t" * 43, created_by=OWNER, now=NOW
    ),
    "revoke_invite": lambda ws: revoke_invite(ws, invite_id="i", revoked_by=OWNER, now=NOW),
    "accept_invite": lambda ws: accept_invite(ws, token="t" * 43, user_id="u", now=NOW),
    "require_live": require_live,
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_every_command_on_a_deleted_workspace_is_not_found(
    command: Callable[[Workspace | None], Any],
) -> None:
    workspace = fresh_workspace()
    deleted = evolve(workspace, delete_workspace(workspace, deleted_by=OWNER, now=NOW)[0])

    for state in (deleted, None):
        with pytest.raises(DomainError) as caught:
            command(state)
        assert caught.value.code is ErrorCode.WORKSPACE_NOT_FOUND
