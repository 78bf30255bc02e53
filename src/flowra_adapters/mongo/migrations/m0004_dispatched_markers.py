"""0004: `dispatched_at` for the commits published before the dispatch consumer confirmed them.

Before this version nothing set `dispatched_at`; the consumer group handled every published
event, but the markers stayed null. Without this step the dispatch sweep would re-dispatch the
whole history once (harmless, notifications are unique per source event, but slow) and health
would report the dispatch backlog as unhealthy until it finished. Unpublished commits keep a
null marker: the sweep dispatches them.

`down` leaves the markers: the versions before this one never read them.
"""

from __future__ import annotations

from datetime import datetime

from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations.model import Migration
from flowra_adapters.mongo.names import COMMITS

_PUBLISHED_NOT_DISPATCHED = {"dispatched_at": None, "published_at": {"$ne": None}}


async def mark_published_commits_dispatched(database: MongoDatabase, now: datetime) -> None:
    with database.operation(COMMITS, "update"):
        await database.collection(COMMITS).update_many(
            _PUBLISHED_NOT_DISPATCHED, {"$set": {"dispatched_at": now}}
        )


async def keep_the_markers(database: MongoDatabase, now: datetime) -> None:
    """Nothing to undo: older versions ignore `dispatched_at`."""


MIGRATION = Migration(
    version="0004",
    name="mark published commits dispatched",
    definition={"update_many": {"collection": COMMITS, "filter": "published, not dispatched"}},
    apply=mark_published_commits_dispatched,
    revert=keep_the_markers,
)
