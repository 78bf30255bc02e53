"""Flowra Bot, the built-in author of bot replies (README glossary, domain.md §1).

It is created by the migrator (and at startup if missing) as a state document with no events,
is never deactivated, never a workspace member, and cannot log in.
"""

from __future__ import annotations

from datetime import datetime

from flowra_core.domain.user.state import User

FLOWRA_BOT_ID = "00000000-0000-0000-0000-000000000001"
FLOWRA_BOT_USERNAME = "FlowraBot"
FLOWRA_BOT_EMAIL = "bot@flowra.internal"
FLOWRA_BOT_DISPLAY_NAME = "Flowra Bot"
# Outside both identity providers' subject spaces (Keycloak uuids, `local:<username>`).
FLOWRA_BOT_EXTERNAL_ID = "flowra:bot"


def is_flowra_bot(user_id: str) -> bool:
    return user_id == FLOWRA_BOT_ID


def flowra_bot(now: datetime) -> User:
    return User(
        id=FLOWRA_BOT_ID,
        external_id=FLOWRA_BOT_EXTERNAL_ID,
        username=FLOWRA_BOT_USERNAME,
        email=FLOWRA_BOT_EMAIL,
        display_name=FLOWRA_BOT_DISPLAY_NAME,
        display_name_custom=False,
        is_active=True,
        is_system_admin=False,
        created_at=now,
        updated_at=now,
        version=0,
    )
