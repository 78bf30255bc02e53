"""ChatStore contract, state and activity: never-backwards saves, the last message time (also
when it arrives before the chat itself), and the participant/readability id look-ups."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from flowra_core.ports.chats import ChatListQuery, ChatRecord, ChatSort

from .backends import Ports
from .chat_samples import SAMPLE_CHATS, WORKSPACE, at, chat, seed

pytestmark = pytest.mark.integration


class TestSave:
    async def test_every_sample_chat_reads_back_equal(self, ports: Ports) -> None:
        await seed(ports)

        for stored in SAMPLE_CHATS:
            assert await ports.chats.get(stored.id) == stored

    async def test_an_older_version_never_overwrites_a_newer_one(self, ports: Ports) -> None:
        await ports.chats.save(chat("c1", "Third", version=3, updated_at=at(minutes=3)))
        await ports.chats.save(chat("c1", "Second", version=2, updated_at=at(minutes=2)))
        await ports.chats.save(chat("c1", "Third again", version=3))

        stored = await ports.chats.get("c1")
        assert stored is not None
        assert (stored.title, stored.version) == ("Third", 3)

    async def test_get_many_returns_the_known_ones(self, ports: Ports) -> None:
        await seed(ports)

        found = await ports.chats.get_many(["c2", "c9", "nope"])

        assert sorted(found) == ["c2", "c9"]
        assert found["c9"].workspace_id == "w2"
        assert await ports.chats.get_many([]) == {}


class TestLastMessageAt:
    async def test_only_chats_with_messages_have_a_time(self, ports: Ports) -> None:
        await seed(ports)

        found = await ports.chats.last_message_at(["c1", "c2", "c5", "nope"])

        assert dict(found) == {"c1": at(hours=3), "c5": at(hours=2)}

    async def test_a_later_value_replaces_and_none_clears(self, ports: Ports) -> None:
        await seed(ports)

        await ports.chats.set_last_message_at("c1", at(hours=4))
        await ports.chats.set_last_message_at("c5", None)

        assert dict(await ports.chats.last_message_at(["c1", "c5"])) == {"c1": at(hours=4)}

    async def test_an_earlier_value_replaces_too_after_a_deletion(self, ports: Ports) -> None:
        await seed(ports)

        await ports.chats.set_last_message_at("c1", at(minutes=10))

        assert dict(await ports.chats.last_message_at(["c1"])) == {"c1": at(minutes=10)}

    async def test_a_time_set_before_the_chat_exists_is_kept(self, ports: Ports) -> None:
        await ports.chats.set_last_message_at("c1", at(hours=5))

        assert await ports.chats.get("c1") is None
        await ports.chats.save(chat("c1", "General"))

        assert await ports.chats.get("c1") == chat("c1", "General")
        assert dict(await ports.chats.last_message_at(["c1"])) == {"c1": at(hours=5)}

    async def test_saving_the_chat_keeps_its_time(self, ports: Ports) -> None:
        await ports.chats.save(chat("c1", "General"))
        await ports.chats.set_last_message_at("c1", at(hours=5))

        await ports.chats.save(chat("c1", "Renamed", version=2, updated_at=at(hours=1)))

        assert dict(await ports.chats.last_message_at(["c1"])) == {"c1": at(hours=5)}


class TestTimelineVersion:
    async def test_it_changes_with_each_timeline_change_and_only_then(self, ports: Ports) -> None:
        await ports.chats.save(chat("c1", "General"))

        def version_of(rows: Sequence[ChatRecord]) -> int | None:
            return {row.chat.id: row.timeline_version for row in rows}["c1"]

        async def listed() -> int | None:
            query = ChatListQuery(workspace_id=WORKSPACE, reader_id=None, sort=ChatSort.TITLE)
            return version_of(await ports.chats.list_chats(query, after=None, limit=10))

        first = await listed()
        await ports.chats.set_last_message_at("c1", at(hours=5))
        created = await listed()
        await ports.chats.save(chat("c1", "Renamed", version=2, updated_at=at(hours=1)))
        renamed = await listed()
        await ports.chats.timeline_changed("c1")
        edited = await listed()

        assert first is not None
        assert len({first, created, edited}) == 3
        assert renamed == created


class TestIdLookUps:
    async def test_ids_with_participant_are_live_chats_of_the_workspace(self, ports: Ports) -> None:
        await seed(ports)

        assert sorted(await ports.chats.ids_with_participant(WORKSPACE, "u3")) == ["c4", "c5", "c7"]
        assert sorted(await ports.chats.ids_with_participant("w2", "u1")) == ["c9"]

    async def test_a_removed_participant_is_no_longer_found(self, ports: Ports) -> None:
        first = chat("c1", "General", people=("u1", "u2"))
        await ports.chats.save(first)
        await ports.chats.save(chat("c1", "General", people=("u1",), version=2))

        assert list(await ports.chats.ids_with_participant(WORKSPACE, "u2")) == []

    async def test_readable_ids_are_public_chats_and_the_readers_own(self, ports: Ports) -> None:
        await seed(ports)

        readable = sorted(await ports.chats.readable_ids(WORKSPACE, "u3"))

        assert readable == ["c1", "c10", "c2", "c4", "c5", "c6", "c7"]

    async def test_a_system_admin_reads_every_live_chat(self, ports: Ports) -> None:
        await seed(ports)

        readable = sorted(await ports.chats.readable_ids(WORKSPACE, None))

        assert readable == ["c1", "c10", "c2", "c3", "c4", "c5", "c6", "c7"]
