"""The repair queue (`repair_queue`, operations.md §5, §6): aggregates whose projections must be
rebuilt from the journal because an apply step failed after their commit was stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

import msgspec

from flowra_core.domain.events import AggregateType


class RepairStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class RepairItem(msgspec.Struct, frozen=True, kw_only=True):
    """One aggregate to repair, due at `next_attempt_at`. A `processing` item is held until
    `lease_until` (= its `next_attempt_at`): once that passes it is due again, because the
    worker that took it died or stalled (spec D34)."""

    id: str
    aggregate_type: AggregateType
    aggregate_id: str
    reason: str
    status: RepairStatus
    attempts: int = 0
    lease_until: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime


class RepairQueue(Protocol):
    async def enqueue(
        self,
        aggregate_type: AggregateType,
        aggregate_id: str,
        reason: str,
        *,
        item_id: str,
        now: datetime,
    ) -> RepairItem:
        """Queue the aggregate, due at once, unless a `pending` item for it is already queued
        (that one is returned unchanged). A `processing` item does not absorb the request: its
        rebuild may have read the journal before the commit that failed now."""
        ...

    async def claim_due(
        self, *, now: datetime, lease: timedelta, limit: int
    ) -> Sequence[RepairItem]:
        """Take at most `limit` due items — `pending` ones with `next_attempt_at` ≤ now and
        `processing` ones whose lease expired — earliest due first, each marked `processing`
        with `lease_until` = `next_attempt_at` = now + lease; an item goes to one taker only."""
        ...

    async def mark_done(self, item_id: str) -> None: ...

    async def record_failure(
        self, item_id: str, *, attempts: int, error: str, retry_at: datetime | None
    ) -> None:
        """A failed repair: back to `pending` until `retry_at`, or `failed` for good when
        `retry_at` is None."""
        ...

    async def counts(self) -> Mapping[RepairStatus, int]:
        """How many items hold each status (every status present, zeros included)."""
        ...

    async def retry_failed(self, *, now: datetime) -> int:
        """Put every `failed` item back to `pending`, due now, with its attempts reset (an
        operator's replay once the cause is fixed); returns how many."""
        ...

    async def failed_items(self, *, limit: int) -> Sequence[RepairItem]:
        """The oldest `failed` items first, for operators."""
        ...
