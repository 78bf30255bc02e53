"""ReadMarkerStore contract: a marker only moves forward along (last_read_at, message id), a
marker without a position stores nothing, and look-ups are per user and chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.domain.message.read_markers import ReadMarker
from flowra_core.ports.read_markers import CountedUnread, CountsToKeep, MarkerReading

from .backends import Ports

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)


def marker(
    message_id: str | None, minutes: float | None, *, chat_id: str = "c1", user_id: str = "u1"
) -> ReadMarker:
    return ReadMarker(
        chat_id=chat_id,
        user_id=user_id,
        last_read_message_id=message_id,
        last_read_at=None if minutes is None else T0 + timedelta(minutes=minutes),
    )


class TestAdvance:
    async def test_the_first_marker_is_stored_and_returned(self, ports: Ports) -> None:
        stored = await ports.read_markers.advance(marker("m1", 1))

        assert stored == marker("m1", 1)
        assert await ports.read_markers.get("c1", "u1") == marker("m1", 1)

    async def test_a_later_position_moves_it_forward(self, ports: Ports) -> None:
        await ports.read_markers.advance(marker("m1", 1))

        later_time = await ports.read_markers.advance(marker("m2", 2))
        same_time_higher_id = await ports.read_markers.advance(marker("m3", 2))

        assert later_time == marker("m2", 2)
        assert same_time_higher_id == marker("m3", 2)
        assert await ports.read_markers.get("c1", "u1") == marker("m3", 2)

    @pytest.mark.parametrize(
        ("message_id", "minutes"), [("m1", 1), ("m2", 2), ("a", 2)], ids=["older", "same", "tie"]
    )
    async def test_an_earlier_or_equal_position_leaves_it(
        self, ports: Ports, message_id: str, minutes: float
    ) -> None:
        await ports.read_markers.advance(marker("m2", 2))

        returned = await ports.read_markers.advance(marker(message_id, minutes))

        assert returned == marker("m2", 2)
        assert await ports.read_markers.get("c1", "u1") == marker("m2", 2)

    async def test_a_marker_without_a_position_stores_nothing(self, ports: Ports) -> None:
        empty = marker(None, None)

        assert await ports.read_markers.advance(empty) == empty
        assert await ports.read_markers.get("c1", "u1") is None

        await ports.read_markers.advance(marker("m1", 1))
        assert await ports.read_markers.advance(empty) == marker("m1", 1)


class TestLookUps:
    async def test_markers_are_per_user_and_chat(self, ports: Ports) -> None:
        await ports.read_markers.advance(marker("m1", 1, chat_id="c1"))
        await ports.read_markers.advance(marker("m2", 2, chat_id="c2"))
        await ports.read_markers.advance(marker("m3", 3, chat_id="c1", user_id="u2"))

        found = await ports.read_markers.get_many("u1", ["c1", "c2", "c3"])

        assert dict(found) == {
            "c1": marker("m1", 1, chat_id="c1"),
            "c2": marker("m2", 2, chat_id="c2"),
        }
        assert await ports.read_markers.get_many("u1", []) == {}
        assert await ports.read_markers.get("c3", "u1") is None


def counted(version: int, unread: int, mentions: int = 0) -> CountedUnread:
    return CountedUnread(timeline_version=version, unread=unread, mentions=mentions)


def at(message_id: str | None, minutes: float | None, version: int, unread: int) -> CountsToKeep:
    when = None if minutes is None else T0 + timedelta(minutes=minutes)
    return CountsToKeep("c1", when, message_id, counted(version, unread))


class TestRememberedCounts:
    async def test_counts_are_kept_on_a_marker_still_where_they_were_counted(
        self, ports: Ports
    ) -> None:
        await ports.read_markers.advance(marker("m1", 1))

        await ports.read_markers.keep_counts("u1", [at("m1", 1, version=4, unread=2)])
        readings = await ports.read_markers.readings("u1", ["c1", "c2"])

        assert dict(readings) == {"c1": MarkerReading(marker("m1", 1), counted(4, 2))}

    async def test_a_marker_that_moved_meanwhile_keeps_no_counts(self, ports: Ports) -> None:
        await ports.read_markers.advance(marker("m2", 2))

        await ports.read_markers.keep_counts("u1", [at("m1", 1, version=4, unread=2)])

        assert dict(await ports.read_markers.readings("u1", ["c1"])) == {
            "c1": MarkerReading(marker("m2", 2), None)
        }

    async def test_moving_the_marker_forgets_its_counts(self, ports: Ports) -> None:
        await ports.read_markers.advance(marker("m1", 1))
        await ports.read_markers.keep_counts("u1", [at("m1", 1, version=4, unread=2)])

        await ports.read_markers.advance(marker("m2", 2))

        assert dict(await ports.read_markers.readings("u1", ["c1"])) == {
            "c1": MarkerReading(marker("m2", 2), None)
        }

    async def test_a_chat_never_read_keeps_no_counts(self, ports: Ports) -> None:
        await ports.read_markers.keep_counts("u1", [at(None, None, version=1, unread=5)])

        assert await ports.read_markers.readings("u1", ["c1"]) == {}
        assert await ports.read_markers.get("c1", "u1") is None
