"""Commits of user events for the EventStore contract suites."""

from __future__ import annotations

from datetime import UTC, datetime

from flowra_core.domain.events import AggregateType, DomainEvent, EventEnvelope
from flowra_core.domain.user.events import (
    DeactivationReason,
    ProfileChange,
    UserChanges,
    UserCreated,
    UserDeactivated,
    UserReactivated,
    UserSource,
    UserUpdated,
)
from flowra_core.ports.event_store import Commit

from .backends import Ports

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
CREATED = "user.created"
DEACTIVATED = "user.deactivated"
REACTIVATED = "user.reactivated"
UPDATED = "user.updated"


def _event(event_type: str, user_id: str, at: datetime) -> DomainEvent:
    if event_type == CREATED:
        return UserCreated(
            user_id=user_id,
            username="alice",
            email="alice@flowra.test",
            display_name="Alice",
            source=UserSource.LOGIN,
            external_id=f"kc-{user_id}",
            is_system_admin=False,
            created_at=at,
        )
    if event_type == UPDATED:
        rename = ProfileChange(old="Alice", new="Alice B.")
        return UserUpdated(user_id=user_id, changes=UserChanges(display_name=rename), updated_at=at)
    if event_type == DEACTIVATED:
        return UserDeactivated(user_id=user_id, reason=DeactivationReason.IDP_DISABLED)
    return UserReactivated(user_id=user_id)


def commit(
    aggregate_id: str,
    base_version: int,
    *types: str,
    recorded_at: datetime = T0,
    commit_id: str | None = None,
) -> Commit:
    """A commit of the user `aggregate_id` holding one event per type (default: one update)."""
    chosen = types or (UPDATED,)
    envelopes = tuple(
        EventEnvelope(
            event_id=f"{aggregate_id}-e{base_version + offset}",
            aggregate_type=AggregateType.USER,
            aggregate_id=aggregate_id,
            version=base_version + offset,
            workspace_id=None,
            chat_id=None,
            actor_id="actor-1",
            occurred_at=recorded_at,
            event=_event(event_type, aggregate_id, recorded_at),
        )
        for offset, event_type in enumerate(chosen, start=1)
    )
    return Commit(
        commit_id=commit_id or f"{aggregate_id}-c{base_version}",
        aggregate_type=AggregateType.USER,
        aggregate_id=aggregate_id,
        base_version=base_version,
        workspace_id=None,
        chat_id=None,
        actor_id="actor-1",
        recorded_at=recorded_at,
        events=envelopes,
    )


def versions(envelopes: object) -> list[int]:
    assert isinstance(envelopes, list | tuple)
    return [envelope.version for envelope in envelopes]


async def six_event_stream(ports: Ports, aggregate_id: str = "u1") -> None:
    """Versions 1-2 (created, updated), 3 (deactivated), 4-6 (reactivated, updated, updated)."""
    await ports.events.append(commit(aggregate_id, 0, CREATED, UPDATED))
    await ports.events.append(commit(aggregate_id, 2, DEACTIVATED))
    await ports.events.append(commit(aggregate_id, 3, REACTIVATED, UPDATED, UPDATED))
