"""Payloads of the `user.*` events (domain.md §6.2); aggregate_id = user id.

Besides the catalogue's fields, some payloads carry what `evolve` needs to rebuild the state
from the events alone: `user.created` adds `external_id`, `is_system_admin` and `created_at`;
`user.updated` adds `updated_at` and `edited_by_user` (true for a profile edit, which makes the
display name custom).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

import msgspec

from flowra_core.domain.events import AggregateType, DomainEvent


class UserSource(StrEnum):
    LOGIN = "login"
    SYNC = "sync"
    DEV = "dev"
    BOT = "bot"  # a workspace bot: no identity, acts through its API tokens


class DeactivationReason(StrEnum):
    IDP_DISABLED = "idp_disabled"
    IDP_DELETED = "idp_deleted"


class ProfileChange(msgspec.Struct, frozen=True, kw_only=True):
    old: str
    new: str


class UserChanges(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Only the fields that changed are present on the wire."""

    username: ProfileChange | None = None
    email: ProfileChange | None = None
    display_name: ProfileChange | None = None


class UserCreated(DomainEvent, frozen=True, kw_only=True, tag="user.created"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.USER

    user_id: str
    username: str
    email: str
    display_name: str
    source: UserSource
    external_id: str
    is_system_admin: bool
    created_at: datetime


class UserUpdated(DomainEvent, frozen=True, kw_only=True, tag="user.updated"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.USER

    user_id: str
    changes: UserChanges
    updated_at: datetime
    edited_by_user: bool = False


class UserDeactivated(DomainEvent, frozen=True, kw_only=True, tag="user.deactivated"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.USER

    user_id: str
    reason: DeactivationReason


class UserReactivated(DomainEvent, frozen=True, kw_only=True, tag="user.reactivated"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.USER

    user_id: str


class UserAdminRightsChanged(
    DomainEvent, frozen=True, kw_only=True, tag="user.admin_rights_changed"
):
    aggregate_type: ClassVar[AggregateType] = AggregateType.USER

    user_id: str
    is_system_admin: bool


UserEvent = UserCreated | UserUpdated | UserDeactivated | UserReactivated | UserAdminRightsChanged
