"""Decide functions for users: provisioning, claim sync, profile edit, (de)activation."""

from __future__ import annotations

from datetime import datetime

from flowra_core.domain.errors import DomainError, ErrorCode, FieldError, ValidationFailed
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.user.bot import is_flowra_bot
from flowra_core.domain.user.events import (
    DeactivationReason,
    ProfileChange,
    UserAdminRightsChanged,
    UserChanges,
    UserCreated,
    UserDeactivated,
    UserReactivated,
    UserSource,
    UserUpdated,
)
from flowra_core.domain.user.rules import display_name_error, email_error, username_error
from flowra_core.domain.user.state import User


def create_user(
    *,
    user_id: str,
    external_id: str,
    username: str,
    email: str,
    display_name: str | None = None,
    is_system_admin: bool = False,
    source: UserSource,
    now: datetime,
) -> list[DomainEvent]:
    """`username` is already unique (see `unique_username`); display name defaults to it."""
    clean_email = email.strip()
    clean_display_name = username if display_name is None else display_name.strip()
    _raise_if_any(
        username_error(username), email_error(clean_email), display_name_error(clean_display_name)
    )
    return [
        UserCreated(
            user_id=user_id,
            username=username,
            email=clean_email,
            display_name=clean_display_name,
            source=source,
            external_id=external_id,
            is_system_admin=is_system_admin,
            created_at=now,
        )
    ]


def sync_from_claims(
    user: User,
    *,
    username: str,
    email: str,
    display_name: str | None = None,
    is_system_admin: bool,
    now: datetime,
) -> list[DomainEvent]:
    """Bring the user in line with the identity provider's current claims.

    `display_name` (None = no claim) is ignored once the user has edited theirs. Changes of
    username, email and display name make one `user.updated`; a flipped admin flag makes
    `user.admin_rights_changed`.
    """
    clean_email = email.strip()
    clean_display_name = (
        None if display_name is None or user.display_name_custom else display_name.strip()
    )
    _raise_if_any(
        username_error(username),
        email_error(clean_email),
        None if clean_display_name is None else display_name_error(clean_display_name),
    )
    changes = UserChanges(
        username=_change(user.username, username),
        email=_change(user.email, clean_email),
        display_name=_change(user.display_name, clean_display_name),
    )
    events: list[DomainEvent] = []
    if changes != UserChanges():
        events.append(UserUpdated(user_id=user.id, changes=changes, updated_at=now))
    if is_system_admin != user.is_system_admin:
        events.append(UserAdminRightsChanged(user_id=user.id, is_system_admin=is_system_admin))
    return events


def edit_display_name(user: User, display_name: str, *, now: datetime) -> list[DomainEvent]:
    """The profile edit: from now on the sync keeps its hands off the display name."""
    clean_display_name = display_name.strip()
    _raise_if_any(display_name_error(clean_display_name))
    change = _change(user.display_name, clean_display_name)
    if change is None:
        return []
    return [
        UserUpdated(
            user_id=user.id,
            changes=UserChanges(display_name=change),
            updated_at=now,
            edited_by_user=True,
        )
    ]


def deactivate_user(user: User, *, reason: DeactivationReason) -> list[DomainEvent]:
    if is_flowra_bot(user.id):
        raise DomainError(ErrorCode.FORBIDDEN, "Flowra Bot is never deactivated")
    if not user.is_active:
        return []
    return [UserDeactivated(user_id=user.id, reason=reason)]


def reactivate_user(user: User) -> list[DomainEvent]:
    if user.is_active:
        return []
    return [UserReactivated(user_id=user.id)]


def _raise_if_any(*errors: FieldError | None) -> None:
    found = [error for error in errors if error is not None]
    if found:
        raise ValidationFailed(found)


def _change(old: str, new: str | None) -> ProfileChange | None:
    if new is None or new == old:
        return None
    return ProfileChange(old=old, new=new)
