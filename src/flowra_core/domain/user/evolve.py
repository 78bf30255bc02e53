"""Apply user events to the state; trusts the events, never validates."""

from __future__ import annotations

from collections.abc import Iterable

from msgspec.structs import replace

from flowra_core.domain.events import DomainEvent
from flowra_core.domain.user.events import (
    UserAdminRightsChanged,
    UserCreated,
    UserDeactivated,
    UserReactivated,
    UserUpdated,
)
from flowra_core.domain.user.state import User


def evolve(state: User | None, event: DomainEvent) -> User:
    if isinstance(event, UserCreated):
        return User(
            id=event.user_id,
            external_id=event.external_id,
            username=event.username,
            email=event.email,
            display_name=event.display_name,
            display_name_custom=False,
            is_active=True,
            is_system_admin=event.is_system_admin,
            created_at=event.created_at,
            updated_at=event.created_at,
            version=1,
        )
    if state is None:
        raise ValueError(f"a user stream starts with user.created, not {event!r}")
    return replace(_apply(state, event), version=state.version + 1)


def replay(events: Iterable[DomainEvent]) -> User | None:
    state: User | None = None
    for event in events:
        state = evolve(state, event)
    return state


def _apply(state: User, event: DomainEvent) -> User:
    match event:
        case UserUpdated(changes=changes, updated_at=updated_at, edited_by_user=edited):
            return replace(
                state,
                username=state.username if changes.username is None else changes.username.new,
                email=state.email if changes.email is None else changes.email.new,
                display_name=(
                    state.display_name if changes.display_name is None else changes.display_name.new
                ),
                display_name_custom=state.display_name_custom or edited,
                updated_at=updated_at,
            )
        case UserDeactivated():
            return replace(state, is_active=False)
        case UserReactivated():
            return replace(state, is_active=True)
        case UserAdminRightsChanged(is_system_admin=is_system_admin):
            return replace(state, is_system_admin=is_system_admin)
    raise ValueError(f"not a user event: {event!r}")
