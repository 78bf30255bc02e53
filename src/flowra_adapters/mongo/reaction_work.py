"""The reaction work list on the `reaction_work` collection: `_id` is the commit id, and the
sweep's query is served by the (parked, due_at) index.

Finishing is batched: the ids of finished tasks are deleted together, `FINISH_DELAY` after the
first of them, in one command, so a request pays nothing for it. Losing a batch (the process
dies first, or the delete fails and is tried again with the next) only makes the sweep run
those commits' reactions once more, which they allow (reactions.py); every read of the list
deletes the batch first, so it never shows a finished task.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import REACTION_WORK
from flowra_core.domain.errors import FlowraError
from flowra_core.ports.reaction_work import ReactionTask, WorkBacklog

_log = logging.getLogger(__name__)
# How long finished ids wait to be deleted together: far below the sweep's grace (10 s).
FINISH_DELAY = 0.2

# The oldest pending task is found here rather than by an aggregation FerretDB lacks ($min);
# the list is small by design, and past this many items health reports "at least".
_BACKLOG_READ_LIMIT = 10_000


def _document(task: ReactionTask) -> Document:
    return {
        "_id": task.commit_id,
        "aggregate_id": task.aggregate_id,
        "remaining": list(task.remaining),
        "attempts": task.attempts,
        "due_at": task.due_at,
        "created_at": task.created_at,
        "parked": task.parked,
        "last_error": task.last_error,
    }


def _task(document: Document) -> ReactionTask:
    return ReactionTask(
        commit_id=document["_id"],
        aggregate_id=document["aggregate_id"],
        remaining=tuple(document["remaining"]),
        attempts=document["attempts"],
        due_at=document["due_at"],
        created_at=document["created_at"],
        parked=document["parked"],
        last_error=document.get("last_error"),
    )


class MongoReactionWork:
    def __init__(self, database: MongoDatabase, *, finish_delay: float = FINISH_DELAY) -> None:
        self._db = database
        self._work = database.collection(REACTION_WORK)
        self._finish_delay = finish_delay
        self._finished: set[str] = set()
        self._flusher: asyncio.Task[None] | None = None
        # One delete at a time: a read that flushes waits for a batch already on its way.
        self._flushing = asyncio.Lock()

    async def begin(self, task: ReactionTask) -> None:
        # A plain insert (cheaper than an upsert); the task already there is the same task.
        with (
            self._db.operation(REACTION_WORK, "insert"),
            contextlib.suppress(DuplicateKeyError),
        ):
            await self._work.insert_one(_document(task))

    async def finish(self, commit_id: str) -> None:
        self._finished.add(commit_id)
        if self._flusher is None or self._flusher.done():
            # A context of its own: the batch belongs to no request (nor to its tracing).
            self._flusher = asyncio.get_running_loop().create_task(
                self._flush_later(), context=contextvars.Context()
            )

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._finish_delay)  # a batching window, not a synchronisation
        try:
            await self.flush()
        except FlowraError as error:
            _log.warning("finished reaction tasks not deleted yet: %s", error)

    async def flush(self) -> None:
        """Delete the finished tasks now; on failure they wait for the next flush."""
        async with self._flushing:
            done, self._finished = self._finished, set()
            if not done:
                return
            try:
                with self._db.operation(REACTION_WORK, "delete"):
                    await self._work.delete_many({"_id": {"$in": sorted(done)}})
            except FlowraError:
                self._finished |= done
                raise

    async def postpone(self, task: ReactionTask) -> None:
        self._finished.discard(task.commit_id)
        document = _document(task)
        del document["_id"]
        with self._db.operation(REACTION_WORK, "update"):
            await self._work.update_one({"_id": task.commit_id}, {"$set": document})

    async def due(self, *, now: datetime, limit: int) -> Sequence[ReactionTask]:
        if limit <= 0:
            return []
        await self.flush()
        query = {"parked": False, "due_at": {"$lte": now}}
        with self._db.operation(REACTION_WORK, "find"):
            found = (
                await self._work.find(query)
                .sort([("parked", ASCENDING), ("due_at", ASCENDING)])
                .limit(limit)
                .to_list()
            )
        return [_task(document) for document in found]

    async def parked(self, *, limit: int) -> Sequence[ReactionTask]:
        if limit <= 0:
            return []
        await self.flush()
        with self._db.operation(REACTION_WORK, "find"):
            found = (
                await self._work.find({"parked": True})
                .sort([("parked", ASCENDING), ("due_at", ASCENDING)])
                .limit(limit)
                .to_list()
            )
        return [_task(document) for document in found]

    async def unpark(self, *, now: datetime) -> int:
        with self._db.operation(REACTION_WORK, "update"):
            result = await self._work.update_many(
                {"parked": True}, {"$set": {"parked": False, "attempts": 0, "due_at": now}}
            )
        return result.modified_count

    async def backlog(self) -> WorkBacklog:
        await self.flush()
        by_due = [("parked", ASCENDING), ("due_at", ASCENDING)]
        with self._db.operation(REACTION_WORK, "find"):
            pending = (
                await self._work.find({"parked": False}, {"created_at": 1})
                .sort(by_due)
                .limit(_BACKLOG_READ_LIMIT)
                .to_list()
            )
            parked = await self._work.count_documents({"parked": True})
        return WorkBacklog(
            pending=len(pending),
            oldest_pending_at=min((d["created_at"] for d in pending), default=None),
            parked=parked,
        )
