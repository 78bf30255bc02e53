"""User aggregate state (domain.md §1)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class User(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    external_id: str
    username: str
    email: str
    display_name: str
    display_name_custom: bool  # the user edited it, so the sync leaves it alone
    is_active: bool
    is_system_admin: bool
    created_at: datetime
    updated_at: datetime
    version: int
