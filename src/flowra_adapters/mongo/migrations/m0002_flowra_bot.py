"""0002: Flowra Bot, the author of bot replies, as a user state document without events.

Irreversible: messages written by the bot refer to it."""

from __future__ import annotations

from datetime import datetime

from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations.model import Migration
from flowra_adapters.mongo.users import MongoUserStore
from flowra_core.domain.user.bot import (
    FLOWRA_BOT_DISPLAY_NAME,
    FLOWRA_BOT_EMAIL,
    FLOWRA_BOT_EXTERNAL_ID,
    FLOWRA_BOT_ID,
    FLOWRA_BOT_USERNAME,
    flowra_bot,
)


async def create_flowra_bot(database: MongoDatabase, now: datetime) -> None:
    """Saved at version 0: an existing bot document is never overwritten."""
    await MongoUserStore(database).save(flowra_bot(now))


MIGRATION = Migration(
    version="0002",
    name="create Flowra Bot",
    definition={
        "create_user": {
            "id": FLOWRA_BOT_ID,
            "external_id": FLOWRA_BOT_EXTERNAL_ID,
            "username": FLOWRA_BOT_USERNAME,
            "email": FLOWRA_BOT_EMAIL,
            "display_name": FLOWRA_BOT_DISPLAY_NAME,
        }
    },
    apply=create_flowra_bot,
    revert=None,
    irreversible_because="messages written by Flowra Bot refer to it",
)
