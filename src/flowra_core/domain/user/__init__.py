"""The user aggregate: profile, activation and system-admin flag; Flowra Bot."""

from flowra_core.domain.user.bot import (
    FLOWRA_BOT_DISPLAY_NAME,
    FLOWRA_BOT_EMAIL,
    FLOWRA_BOT_EXTERNAL_ID,
    FLOWRA_BOT_ID,
    FLOWRA_BOT_USERNAME,
    flowra_bot,
    is_flowra_bot,
)
from flowra_core.domain.user.commands import (
    create_user,
    deactivate_user,
    edit_display_name,
    reactivate_user,
    sync_from_claims,
)
from flowra_core.domain.user.events import (
    DeactivationReason,
    ProfileChange,
    UserAdminRightsChanged,
    UserChanges,
    UserCreated,
    UserDeactivated,
    UserEvent,
    UserReactivated,
    UserSource,
    UserUpdated,
)
from flowra_core.domain.user.evolve import evolve, replay
from flowra_core.domain.user.rules import (
    display_name_error,
    display_name_from_claims,
    email_error,
    unique_username,
    username_error,
)
from flowra_core.domain.user.state import User

__all__ = [
    "FLOWRA_BOT_DISPLAY_NAME",
    "FLOWRA_BOT_EMAIL",
    "FLOWRA_BOT_EXTERNAL_ID",
    "FLOWRA_BOT_ID",
    "FLOWRA_BOT_USERNAME",
    "DeactivationReason",
    "ProfileChange",
    "User",
    "UserAdminRightsChanged",
    "UserChanges",
    "UserCreated",
    "UserDeactivated",
    "UserEvent",
    "UserReactivated",
    "UserSource",
    "UserUpdated",
    "create_user",
    "deactivate_user",
    "display_name_error",
    "display_name_from_claims",
    "edit_display_name",
    "email_error",
    "evolve",
    "flowra_bot",
    "is_flowra_bot",
    "reactivate_user",
    "replay",
    "sync_from_claims",
    "unique_username",
    "username_error",
]
