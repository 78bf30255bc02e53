"""Replaying user events rebuilds the state; events survive the wire form."""

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
from flowra_core.domain.user import (
    DeactivationReason,
    User,
    UserReactivated,
    UserSource,
    create_user,
    deactivate_user,
    edit_display_name,
    evolve,
    reactivate_user,
    replay,
    sync_from_claims,
)
from flowra_core.domain.workspace import MemberRemoved, RemovalReason

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
USER_ID = "33333333-3333-4333-8333-333333333333"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def decide_history() -> list[DomainEvent]:
    history: list[DomainEvent] = []
    state: User | None = None

    def run(events: list[DomainEvent]) -> User:
        nonlocal state
        history.extend(events)
        for event in events:
            state = evolve(state, event)
        assert state is not None
        return state

    user = run(
        create_user(
            user_id=USER_ID,
            external_id="kc-sub-1",
            username="alice",
            email="alice@example.com",
            display_name="Alice",
            source=UserSource.LOGIN,
            now=at(0),
        )
    )
    user = run(
        sync_from_claims(
            user,
            username="alice",
            email="alice@corp.example",
            display_name="Alice Smith",
            is_system_admin=True,
            now=at(1),
        )
    )
    user = run(edit_display_name(user, "Ali", now=at(2)))
    user = run(deactivate_user(user, reason=DeactivationReason.IDP_DISABLED))
    user = run(reactivate_user(user))
    run(deactivate_user(user, reason=DeactivationReason.IDP_DELETED))
    return history


def test_replay_rebuilds_the_state() -> None:
    history = decide_history()

    assert replay(history) == User(
        id=USER_ID,
        external_id="kc-sub-1",
        username="alice",
        email="alice@corp.example",
        display_name="Ali",
        display_name_custom=True,
        is_active=False,
        is_system_admin=True,
        created_at=at(0),
        updated_at=at(2),
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
            aggregate_id=USER_ID,
            version=version,
            workspace_id=None,
            chat_id=None,
            actor_id=None,
            occurred_at=T0,
            event=event,
        )
        for version, event in enumerate(history, start=1)
    ]

    decoded = [envelope_from_wire(envelope_to_wire(envelope)) for envelope in envelopes]

    assert {envelope.aggregate_type for envelope in envelopes} == {AggregateType.USER}
    assert decoded == envelopes


def test_updated_changes_list_only_the_changed_fields_on_the_wire() -> None:
    user = replay(
        create_user(
            user_id=USER_ID,
            external_id="kc-sub-1",
            username="alice",
            email="alice@example.com",
            source=UserSource.SYNC,
            now=T0,
        )
    )
    assert user is not None

    (event,) = edit_display_name(user, "Ali", now=T0)

    assert payload_to_wire(event) == {
        "user_id": USER_ID,
        "changes": {"display_name": {"old": "alice", "new": "Ali"}},
        "updated_at": "2026-01-28T10:30:00.000Z",
        "edited_by_user": True,
    }


def test_a_stream_must_start_with_the_creation() -> None:
    with pytest.raises(ValueError, match=r"user\.created"):
        evolve(None, UserReactivated(user_id=USER_ID))


def test_a_foreign_event_is_refused() -> None:
    user = replay(
        create_user(
            user_id=USER_ID,
            external_id="kc-sub-1",
            username="alice",
            email="alice@example.com",
            source=UserSource.SYNC,
            now=T0,
        )
    )
    removed = MemberRemoved(user_id=USER_ID, removed_by=USER_ID, reason=RemovalReason.LEFT)

    with pytest.raises(ValueError, match="not a user event"):
        evolve(user, removed)
