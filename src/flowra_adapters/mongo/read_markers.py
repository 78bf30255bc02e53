"""Read markers (`read_markers`): `{_id: "<user id>/<chat id>", chat_id, user_id,
last_read_message_id, last_read_at, counted?: {timeline_version, unread, mentions}}`, written
directly (not journaled). `counted` remembers the unread counts a chat list computed after the
marker, so the next list reads them with the marker instead of counting again; a marker that
moves drops them (in the same write), and the chat's `timeline_version` tells whether they
still hold.

A marker only moves forward: the upsert matches only a stored marker that is before the new
position, so a marker at or after it makes the insert clash on `_id`, and it stays.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping
from datetime import datetime

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from flowra_adapters.mongo.codec import convert, to_document_fields
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import READ_MARKERS
from flowra_core.domain.message.read_markers import ReadMarker
from flowra_core.ports.read_markers import CountedUnread, CountsToKeep, MarkerReading

_COUNTED = "counted"


def _marker_id(chat_id: str, user_id: str) -> str:
    return f"{user_id}/{chat_id}"


def _before(message_id: str, at: datetime) -> Document:
    """Stored markers whose position is before (at, message_id), or that have none."""
    return {
        "$or": [
            {"last_read_at": None},
            {"last_read_at": {"$lt": at}},
            {"last_read_at": at, "last_read_message_id": {"$lt": message_id}},
        ]
    }


class MongoReadMarkerStore:
    def __init__(self, database: MongoDatabase) -> None:
        self._db = database
        self._markers = database.collection(READ_MARKERS)

    async def get(self, chat_id: str, user_id: str) -> ReadMarker | None:
        with self._db.operation(READ_MARKERS, "find"):
            found = await self._markers.find_one({"_id": _marker_id(chat_id, user_id)})
        return None if found is None else _decode(found)

    async def get_many(self, user_id: str, chat_ids: Collection[str]) -> Mapping[str, ReadMarker]:
        wanted = sorted({_marker_id(chat_id, user_id) for chat_id in chat_ids})
        if not wanted:
            return {}
        with self._db.operation(READ_MARKERS, "find"):
            documents = await self._markers.find({"_id": {"$in": wanted}}).to_list()
        markers = [_decode(document) for document in documents]
        return {marker.chat_id: marker for marker in markers}

    async def advance(self, marker: ReadMarker) -> ReadMarker:
        message_id, at = marker.last_read_message_id, marker.last_read_at
        stored_id = _marker_id(marker.chat_id, marker.user_id)
        if message_id is not None and at is not None:
            behind = {"_id": stored_id, **_before(message_id, at)}
            # One command when the marker moves: the update answers with the stored marker.
            # A stored marker at or after this position makes the insert clash: it stays,
            # and is read back below.
            with (
                self._db.operation(READ_MARKERS, "advance"),
                contextlib.suppress(DuplicateKeyError),
            ):
                moved = await self._markers.find_one_and_update(
                    behind,
                    {"$set": to_document_fields(marker), "$unset": {_COUNTED: ""}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
                if moved is not None:
                    return _decode(moved)
        stored = await self.get(marker.chat_id, marker.user_id)
        return marker if stored is None else stored

    async def readings(
        self, user_id: str, chat_ids: Collection[str]
    ) -> Mapping[str, MarkerReading]:
        wanted = sorted({_marker_id(chat_id, user_id) for chat_id in chat_ids})
        if not wanted:
            return {}
        with self._db.operation(READ_MARKERS, "find"):
            documents = await self._markers.find({"_id": {"$in": wanted}}).to_list()
        return {document["chat_id"]: _reading(document) for document in documents}

    async def keep_counts(self, user_id: str, counts: Collection[CountsToKeep]) -> None:
        # Not an upsert: a marker that moved is simply missed, so nothing can clash.
        updates = [_keep(user_id, kept) for kept in counts if kept.message_id is not None]
        if updates:
            with self._db.operation(READ_MARKERS, "keep_counts"):
                await self._markers.bulk_write(updates, ordered=False)


def _keep(user_id: str, kept: CountsToKeep) -> UpdateOne:
    still_there = {
        "_id": _marker_id(kept.chat_id, user_id),
        "last_read_at": kept.last_read_at,
        "last_read_message_id": kept.message_id,
    }
    return UpdateOne(still_there, {"$set": {_COUNTED: to_document_fields(kept.counted)}})


def _reading(document: Document) -> MarkerReading:
    counted = document.get(_COUNTED)
    return MarkerReading(
        _decode(document),
        None if counted is None else convert(counted, CountedUnread, what="counted unread"),
    )


def _decode(document: Document) -> ReadMarker:
    fields = {key: value for key, value in document.items() if key not in ("_id", _COUNTED)}
    return convert(fields, ReadMarker, what=f"read marker {document['_id']!r}")
