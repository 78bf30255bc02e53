"""NotificationStore contract: the inbox state documents (never backwards) and the read model:
idempotent adds, removals that stay removed, read marks limited to the user (and to the inbox
version for mark-all), and the newest-first list with its filters, scopes and cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flowra_core.domain.notification.state import Inbox, Notification, NotificationType
from flowra_core.ports.notifications import NotificationRecord

from .backends import Ports

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
READ_AT = T0 + timedelta(hours=5)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def notification(notification_id: str, **fields: Any) -> Notification:
    values: dict[str, Any] = {
        "user_id": "u1",
        "type": NotificationType.CHAT_MENTION,
        "title": f"title {notification_id}",
        "body": "body",
        "workspace_id": "w1",
        "chat_id": "c1",
        "message_id": "m1",
        "actor_id": "u2",
        "source_event_id": f"e-{notification_id}",
    }
    values.update(fields)
    return Notification(id=notification_id, **values)


def record(
    notification_id: str, minutes: float, *, version: int = 1, **fields: Any
) -> NotificationRecord:
    return NotificationRecord(
        notification=notification(notification_id, **fields),
        created_at=at(minutes),
        version=version,
    )


def ids(records: Any) -> list[str]:
    return [found.notification.id for found in records]


async def read_at(ports: Ports, user_id: str, notification_id: str) -> datetime | None:
    found = await ports.notifications.record(user_id, notification_id)
    assert found is not None
    return found.notification.read_at


async def newest(ports: Ports, *, user_id: str = "u1", **options: Any) -> list[str]:
    query: dict[str, Any] = {
        "workspace_ids": ["w1"],
        "unread_only": False,
        "notification_type": None,
        "before": None,
        "limit": 10,
    }
    query.update(options)
    return ids(await ports.notifications.newest(user_id, **query))


class TestInboxDocuments:
    async def test_an_inbox_reads_back_equal_and_never_moves_backwards(self, ports: Ports) -> None:
        inbox = Inbox(
            id="u1",
            notifications=(notification("n1"), notification("n2", read_at=READ_AT)),
            delivered_keys=frozenset(
                {("e-n1", NotificationType.CHAT_MENTION), ("e-n2", NotificationType.CHAT_ADDED)}
            ),
            version=3,
        )

        await ports.notifications.save(inbox)
        await ports.notifications.save(Inbox(id="u1", version=2))

        assert await ports.notifications.get("u1") == inbox
        assert await ports.notifications.get("u2") is None


class TestAdd:
    async def test_a_record_reads_back_equal_once_however_often_it_is_added(
        self, ports: Ports
    ) -> None:
        first = record("n1", 1, workspace_id=None, chat_id=None, message_id=None)

        await ports.notifications.add(first)
        await ports.notifications.add(record("n1", 9, title="replayed"))

        assert await ports.notifications.record("u1", "n1") == first
        assert await ports.notifications.record("u2", "n1") is None

    async def test_a_removed_notification_never_comes_back(self, ports: Ports) -> None:
        await ports.notifications.add(record("n1", 1))
        await ports.notifications.remove("u1", "n1")
        await ports.notifications.remove("u1", "n2")  # removed before it was ever added

        await ports.notifications.add(record("n1", 1))
        await ports.notifications.add(record("n2", 2))

        assert await ports.notifications.record("u1", "n1") is None
        assert await ports.notifications.record("u1", "n2") is None
        assert await newest(ports) == []

    async def test_someone_elses_notification_is_not_removed(self, ports: Ports) -> None:
        await ports.notifications.add(record("n1", 1, user_id="u2"))

        await ports.notifications.remove("u1", "n1")

        assert await ports.notifications.record("u2", "n1") is not None


class TestReadMarks:
    async def test_mark_read_sets_read_at_on_the_users_unread_ones_only(self, ports: Ports) -> None:
        earlier = T0 + timedelta(hours=1)
        await ports.notifications.add(record("n1", 1))
        await ports.notifications.add(record("n2", 2, read_at=earlier))
        await ports.notifications.add(record("n3", 3, user_id="u2"))

        await ports.notifications.mark_read("u1", ["n1", "n2", "n3", "nope"], read_at=READ_AT)

        assert await read_at(ports, "u1", "n1") == READ_AT
        assert await read_at(ports, "u1", "n2") == earlier
        assert await read_at(ports, "u2", "n3") is None

    async def test_mark_all_read_reaches_only_up_to_the_inbox_version(self, ports: Ports) -> None:
        await ports.notifications.add(record("n1", 1, version=1))
        await ports.notifications.add(record("n2", 2, version=2))
        await ports.notifications.add(record("n3", 3, version=3))
        await ports.notifications.add(record("n4", 1, version=1, user_id="u2"))

        await ports.notifications.mark_all_read("u1", read_at=READ_AT, up_to_version=2)

        assert await newest(ports, unread_only=True) == ["n3"]
        assert await newest(ports, user_id="u2", unread_only=True) == ["n4"]


class TestNewest:
    async def seed(self, ports: Ports) -> None:
        for stored in (
            record("n1", 1),
            record("n2", 2, type=NotificationType.TASK_ASSIGNED),
            record("n3", 2, workspace_id=None, chat_id=None),
            record("n4", 3, workspace_id="w2"),
            record("n5", 4, read_at=READ_AT),
            record("n6", 5, user_id="u2"),
        ):
            await ports.notifications.add(stored)

    async def test_newest_first_within_the_workspaces_asked_for(self, ports: Ports) -> None:
        await self.seed(ports)

        assert await newest(ports) == ["n5", "n2", "n1"]
        assert await newest(ports, workspace_ids=["w1", None]) == ["n5", "n3", "n2", "n1"]
        assert await newest(ports, workspace_ids=["w2", "w1"]) == ["n5", "n4", "n2", "n1"]
        assert await newest(ports, workspace_ids=[]) == []

    async def test_filters_by_unread_and_type(self, ports: Ports) -> None:
        await self.seed(ports)

        assert await newest(ports, unread_only=True) == ["n2", "n1"]
        assert await newest(ports, notification_type=NotificationType.TASK_ASSIGNED) == ["n2"]

    async def test_pages_continue_strictly_before_the_cursor(self, ports: Ports) -> None:
        await self.seed(ports)
        scope = ["w1", None]

        first = await newest(ports, workspace_ids=scope, limit=2)
        second = await newest(ports, workspace_ids=scope, before=(at(2), "n3"), limit=2)

        assert first == ["n5", "n3"]
        assert second == ["n2", "n1"]

    async def test_unread_count_per_scope(self, ports: Ports) -> None:
        await self.seed(ports)

        assert await ports.notifications.unread_count("u1", workspace_ids=["w1"]) == 2
        assert await ports.notifications.unread_count("u1", workspace_ids=["w1", None]) == 3
        assert await ports.notifications.unread_count("u1", workspace_ids=["w2"]) == 1
        assert await ports.notifications.unread_count("u3", workspace_ids=["w1"]) == 0
