"""A workspace of chats covering every list filter and sort tie, shared by the ChatStore
contract suites. `NOW` is one day after T0: c3 is overdue, c4 is past due but done."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flowra_core.domain.chat.state import Chat, ChatAttachment, Participant
from flowra_core.domain.chat.vocabulary import (
    ChatType,
    ParticipantRole,
    Priority,
    Severity,
    Status,
)
from flowra_core.ports.chats import ChatRecord, SortKey, SortOrder

from .backends import Ports

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
NOW = T0 + timedelta(days=1)
WORKSPACE = "w1"


def at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def chat(chat_id: str, title: str, **fields: Any) -> Chat:
    people = fields.pop("people", ("u1",))
    values: dict[str, Any] = {
        "workspace_id": WORKSPACE,
        "created_by": "u1",
        "created_at": T0,
        "updated_at": fields.get("created_at", T0),
        "type": ChatType.DISCUSSION,
        "is_public": True,
        "version": 1,
        "participants": tuple(
            Participant(user_id=user, role=ParticipantRole.MEMBER, joined_at=T0) for user in people
        ),
    }
    values.update(fields)
    return Chat(id=chat_id, title=title, **values)


SAMPLE_CHATS: tuple[Chat, ...] = (
    chat("c1", "General", updated_at=at(hours=1), people=("u1", "u2")),
    chat(
        "c2",
        "Fix login",
        type=ChatType.TASK,
        status=Status.TO_DO,
        priority=Priority.HIGH,
        assignee_id="u1",
        due_date=at(days=2),
        created_at=at(minutes=1),
        updated_at=at(minutes=5),
    ),
    chat(
        "c3",
        "crash on save",
        type=ChatType.BUG,
        is_public=False,
        status=Status.INVESTIGATING,
        priority=Priority.CRITICAL,
        severity=Severity.MAJOR,
        assignee_id="u2",
        due_date=at(days=-1),
        created_by="u2",
        created_at=at(minutes=2),
        people=("u2",),
    ),
    chat(
        "c4",
        "Billing",
        type=ChatType.EPIC,
        status=Status.COMPLETED,
        due_date=at(days=-2),
        created_by="u3",
        created_at=at(minutes=2),
        updated_at=at(minutes=30),
        people=("u3",),
    ),
    chat(
        "c5",
        "fix Logout",
        type=ChatType.TASK,
        is_public=False,
        status=Status.IN_PROGRESS,
        priority=Priority.LOW,
        description="Users can't LOGIN again (50% of them)",
        created_at=at(minutes=3),
        people=("u1", "u3"),
        attachments=(
            ChatAttachment(
                file_id="f1",
                file_name="trace.txt",
                file_size=12,
                mime_type="text/plain",
                added_by="u1",
                added_at=at(minutes=3),
            ),
        ),
    ),
    chat(
        "c6",
        "Docs",
        type=ChatType.TASK,
        status=Status.CLOSED,
        previous_status=Status.DONE,
        priority=Priority.MEDIUM,
        assignee_id="u3",
        due_date=at(days=1, hours=1),
        created_at=at(minutes=4),
    ),
    chat("c7", "secret plans", is_public=False, created_at=at(minutes=5), people=("u3",)),
    chat(
        "c8",
        "deleted task",
        type=ChatType.TASK,
        status=Status.TO_DO,
        deleted_at=at(hours=2),
        deleted_by="u1",
    ),
    chat("c9", "Elsewhere", type=ChatType.TASK, status=Status.TO_DO, workspace_id="w2"),
    chat(
        "c10",
        "Zebra",
        type=ChatType.BUG,
        status=Status.NEW,
        priority=Priority.HIGH,
        due_date=at(days=2),
        created_at=at(minutes=1),
        updated_at=at(minutes=5),
    ),
)
LAST_MESSAGES = {"c1": at(hours=3), "c3": at(seconds=30), "c5": at(hours=2)}
LIVE_IN_WORKSPACE = ("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c10")
WORK_ITEMS = ("c2", "c3", "c4", "c5", "c6", "c10")


async def seed(ports: Ports) -> None:
    for one in SAMPLE_CHATS:
        await ports.chats.save(one)
    for chat_id, moment in LAST_MESSAGES.items():
        await ports.chats.set_last_message_at(chat_id, moment)


def records(chat_ids: Sequence[str]) -> list[ChatRecord]:
    by_id = {one.id: one for one in SAMPLE_CHATS}
    return [ChatRecord(by_id[chat_id], LAST_MESSAGES.get(chat_id)) for chat_id in chat_ids]


def expected_order(chat_ids: Sequence[str], order: SortOrder) -> list[str]:
    ordered = sorted(records(chat_ids), key=order.key, reverse=order.descending)
    return [record.chat.id for record in ordered]


Fetch = Callable[[SortKey | None, int], Awaitable[Sequence[ChatRecord]]]


async def page_through(fetch: Fetch, order: SortOrder, page_size: int) -> list[str]:
    """Every row, page by page, each page continuing after the key of the previous one's last."""
    seen: list[str] = []
    after: SortKey | None = None
    while True:
        page = await fetch(after, page_size)
        seen.extend(record.chat.id for record in page)
        if len(page) < page_size:
            return seen
        after = order.key(page[-1])
