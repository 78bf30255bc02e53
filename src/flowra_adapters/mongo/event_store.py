"""The event journal on the `commits` collection (operations.md §4, §6): one document per
command, made unique per stream position by the (aggregate_id, base_version) index."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from flowra_adapters.mongo.codec import (
    commit_from_document,
    commit_to_document,
    envelopes_from_document,
)
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import COMMITS
from flowra_adapters.mongo.queries import keyset_after
from flowra_core.domain.errors import ConcurrencyConflict
from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.ports.event_store import Commit, JournalPosition

# The journal order: ties on recorded_at keep a stream's commits in version order; the id
# makes the order total.
_JOURNAL_ORDER = [("recorded_at", ASCENDING), ("base_version", ASCENDING), ("_id", ASCENDING)]
# The aggregates whose events a chat's journal replays (websocket.md §5 "Resume").
_CHAT_JOURNAL = [AggregateType.CHAT.value, AggregateType.MESSAGE.value]
_POSITION_FIELDS = {
    "aggregate_type": 1,
    "chat_id": 1,
    "recorded_at": 1,
    "base_version": 1,
    "events.event_id": 1,
    "events.version": 1,
}
# A backwards page reads commits in small batches and stops as soon as it has `limit` events.
_BACKWARDS_BATCH = 20


class MongoEventStore:
    def __init__(self, database: MongoDatabase) -> None:
        self._db = database
        self._commits = database.collection(COMMITS)

    async def append(self, commit: Commit) -> None:
        with self._db.operation(COMMITS, "insert"):
            try:
                await self._commits.insert_one(commit_to_document(commit))
            except DuplicateKeyError as error:
                raise ConcurrencyConflict(commit.aggregate_id, commit.base_version) from error

    async def read_stream(
        self, aggregate_id: str, *, after_version: int = 0
    ) -> Sequence[EventEnvelope]:
        # Served by the multikey (aggregate_id, events.version) index: only newer commits.
        query = {"aggregate_id": aggregate_id, "events.version": {"$gt": after_version}}
        with self._db.operation(COMMITS, "find"):
            documents = await self._commits.find(query).sort("base_version", ASCENDING).to_list()
        return [
            envelope
            for document in documents
            for envelope in envelopes_from_document(document)
            if envelope.version > after_version
        ]

    async def stream_commits(self, aggregate_id: str) -> Sequence[Commit]:
        with self._db.operation(COMMITS, "find"):
            documents = (
                await self._commits.find({"aggregate_id": aggregate_id})
                .sort("base_version", ASCENDING)
                .to_list()
            )
        return [commit_from_document(document) for document in documents]

    async def read_stream_backwards(
        self,
        aggregate_id: str,
        *,
        before_version: int | None,
        limit: int,
        event_types: Collection[str] | None = None,
    ) -> Sequence[EventEnvelope]:
        if limit <= 0:
            return []
        query: Document = {"aggregate_id": aggregate_id}
        if before_version is not None:
            query["events.version"] = {"$lt": before_version}
        if event_types is not None:
            query["events.type"] = {"$in": list(event_types)}
        found: list[EventEnvelope] = []
        with self._db.operation(COMMITS, "find"):
            cursor = (
                self._commits.find(query)
                .sort("base_version", DESCENDING)
                .batch_size(min(limit, _BACKWARDS_BATCH))
            )
            async with cursor:
                async for document in cursor:
                    found.extend(_matching_backwards(document, before_version, event_types))
                    if len(found) >= limit:
                        break
        return found[:limit]

    async def get_commit(self, commit_id: str) -> Commit | None:
        with self._db.operation(COMMITS, "find"):
            found = await self._commits.find_one({"_id": commit_id})
        return None if found is None else commit_from_document(found)

    async def locate_event(self, event_id: str) -> JournalPosition | None:
        with self._db.operation(COMMITS, "find"):
            found = await self._commits.find_one({"events.event_id": event_id}, _POSITION_FIELDS)
        if found is None:
            return None
        return JournalPosition(
            event_id=event_id,
            commit_id=found["_id"],
            aggregate_type=AggregateType(found["aggregate_type"]),
            version=next(e["version"] for e in found["events"] if e["event_id"] == event_id),
            chat_id=found["chat_id"],
            recorded_at=found["recorded_at"],
        )

    async def chat_events_after(
        self, position: JournalPosition, *, limit: int
    ) -> Sequence[EventEnvelope]:
        if position.chat_id is None or limit <= 0:
            return []
        with self._db.operation(COMMITS, "find"):
            anchor = await self._commits.find_one({"_id": position.commit_id})
        if anchor is None:
            return []
        found: list[EventEnvelope] = []
        if anchor["aggregate_type"] in _CHAT_JOURNAL and anchor["chat_id"] == position.chat_id:
            found = [e for e in envelopes_from_document(anchor) if e.version > position.version]
        anchor_key = (anchor["recorded_at"], anchor["base_version"], anchor["_id"])
        query = {
            "chat_id": position.chat_id,
            "aggregate_type": {"$in": _CHAT_JOURNAL},
            **keyset_after(_JOURNAL_ORDER, anchor_key),
        }
        with self._db.operation(COMMITS, "find"):
            cursor = self._commits.find(query).sort(_JOURNAL_ORDER).batch_size(min(limit, 100))
            async with cursor:
                async for document in cursor:
                    if len(found) >= limit:
                        break
                    found.extend(envelopes_from_document(document))
        return found[:limit]


def _matching_backwards(
    document: Document, before_version: int | None, event_types: Collection[str] | None
) -> list[EventEnvelope]:
    """The commit's events that qualify, newest first."""
    wanted = None if event_types is None else set(event_types)
    return [
        envelope
        for envelope in reversed(envelopes_from_document(document))
        if (before_version is None or envelope.version < before_version)
        and (wanted is None or envelope.type in wanted)
    ]
