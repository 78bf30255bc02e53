"""Replaying workspace events rebuilds the state; events survive the wire form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.domain.events import (
    AggregateType,
    DomainEvent,
    EventEnvelope,
    envelope_from_wire,
    envelope_to_wire,
    payload_to_wire,
)
from flowra_core.domain.user import UserReactivated
from flowra_core.domain.workspace import (
    Invite,
    Member,
    MemberRemoved,
    MemberRole,
    RemovalReason,
    TextChange,
    Workspace,
    WorkspaceChanges,
    WorkspaceUpdated,
    accept_invite,
    add_member,
    change_member_role,
    create_invite,
    create_workspace,
    evolve,
    invite_token_hash,
    leave_workspace,
    replay,
    revoke_invite,
    transfer_ownership,
    update_workspace,
)

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
OWNER, ALICE, BOB, CAROL = "owner", "alice", "bob", "carol"
TOKEN_A, TOKEN_B = "a" * 43, "b" * 43


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def decide_history() -> list[DomainEvent]:
    """Run a realistic sequence of commands, each against the state the previous ones built."""
    history: list[DomainEvent] = []
    state: Workspace | None = None

    def run(events: list[DomainEvent]) -> None:
        nonlocal state
        history.extend(events)
        for event in events:
            state = evolve(state, event)

    run(create_workspace(workspace_id="ws", name="Acme", created_by=OWNER, now=at(0)))
    run(update_workspace(state, description="Rockets", updated_by=OWNER, now=at(1)))
    run(add_member(state, user_id=ALICE, user_is_active=True, added_by=OWNER, now=at(2)))
    run(change_member_role(state, user_id=ALICE, role="admin", changed_by=OWNER))
    run(
        create_invite(state, invite_id="i1", token=TOKEN_A, max_uses=5, created_by=ALICE, now=at(3))
    )
    run(create_invite(state, invite_id="i2", token=TOKEN_B, created_by=ALICE, now=at(4)))
    run(accept_invite(state, token=TOKEN_A, user_id=BOB, now=at(5)))
    run(accept_invite(state, token=TOKEN_A, user_id=CAROL, now=at(6)))
    run(revoke_invite(state, invite_id="i2", revoked_by=OWNER, now=at(7)))
    run(leave_workspace(state, user_id=CAROL))
    run(transfer_ownership(state, new_owner_id=ALICE, changed_by=OWNER))
    return history


def test_replay_rebuilds_the_state() -> None:
    history = decide_history()

    assert replay(history) == Workspace(
        id="ws",
        name="Acme",
        description="Rockets",
        created_by=OWNER,
        created_at=at(0),
        updated_at=at(1),
        deleted_at=None,
        members=(
            Member(user_id=OWNER, role=MemberRole.ADMIN, joined_at=at(0)),
            Member(user_id=ALICE, role=MemberRole.OWNER, joined_at=at(2)),
            Member(user_id=BOB, role=MemberRole.MEMBER, joined_at=at(5)),
        ),
        invites=(
            Invite(
                id="i1",
                workspace_id="ws",
                token_hash=invite_token_hash(TOKEN_A),
                role=MemberRole.MEMBER,
                created_by=ALICE,
                created_at=at(3),
                expires_at=at(3) + timedelta(days=7),
                max_uses=5,
                used_count=2,
                revoked_at=None,
            ),
            Invite(
                id="i2",
                workspace_id="ws",
                token_hash=invite_token_hash(TOKEN_B),
                role=MemberRole.MEMBER,
                created_by=ALICE,
                created_at=at(4),
                expires_at=at(4) + timedelta(days=7),
                max_uses=0,
                used_count=0,
                revoked_at=at(7),
            ),
        ),
        version=len(history),
    )


def test_replay_of_nothing_is_none() -> None:
    assert replay([]) is None


def test_every_event_survives_the_wire_form() -> None:
    history = decide_history()
    envelopes = [
        EventEnvelope(
            event_id=f"e{version}",
            aggregate_type=event.aggregate_type,
            aggregate_id="ws",
            version=version,
            workspace_id="ws",
            chat_id=None,
            actor_id=OWNER,
            occurred_at=T0,
            event=event,
        )
        for version, event in enumerate(history, start=1)
    ]

    decoded = [envelope_from_wire(envelope_to_wire(envelope)) for envelope in envelopes]

    assert {envelope.aggregate_type for envelope in envelopes} == {AggregateType.WORKSPACE}
    assert decoded == envelopes
    assert replay(envelope.event for envelope in decoded) == replay(history)


def test_updated_changes_list_only_the_changed_fields_on_the_wire() -> None:
    event = WorkspaceUpdated(
        changes=WorkspaceChanges(name=TextChange(old="A", new="B")), updated_by=OWNER, updated_at=T0
    )

    assert payload_to_wire(event) == {
        "changes": {"name": {"old": "A", "new": "B"}},
        "updated_by": OWNER,
        "updated_at": "2026-01-28T10:30:00.000Z",
    }


def test_member_added_without_invite_has_null_invite_id_on_the_wire() -> None:
    (_, owner_added) = create_workspace(workspace_id="ws", name="A", created_by=OWNER, now=T0)

    assert payload_to_wire(owner_added)["invite_id"] is None


def test_a_stream_must_start_with_the_creation() -> None:
    removed = MemberRemoved(user_id=BOB, removed_by=BOB, reason=RemovalReason.LEFT)

    with pytest.raises(ValueError, match=r"workspace\.created"):
        evolve(None, removed)


def test_a_foreign_event_is_refused() -> None:
    state = replay(create_workspace(workspace_id="ws", name="A", created_by=OWNER, now=T0))

    with pytest.raises(ValueError, match="not a workspace event"):
        evolve(state, UserReactivated(user_id=BOB))
