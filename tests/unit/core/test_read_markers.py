from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.domain.message import (
    Message,
    MessageType,
    ReadMarker,
    advance,
    count_unread,
    count_unread_mentions,
    is_after_marker,
)

T0 = datetime(2026, 1, 28, 10, 0, tzinfo=UTC)
ME = "user-me"
FRESH = ReadMarker(chat_id="chat-1", user_id=ME)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def marker_at(message_id: str, minutes: int) -> ReadMarker:
    return ReadMarker(
        chat_id="chat-1", user_id=ME, last_read_message_id=message_id, last_read_at=at(minutes)
    )


def message(
    message_id: str,
    minutes: int,
    *,
    author_id: str = "user-other",
    parent_id: str | None = None,
    mentions: tuple[str, ...] = (),
    deleted: bool = False,
) -> Message:
    return Message(
        id=message_id,
        chat_id="chat-1",
        author_id=author_id,
        type=MessageType.USER,
        content="" if deleted else "text",
        parent_id=parent_id,
        mentions=mentions,
        created_at=at(minutes),
        deleted_at=at(minutes + 1) if deleted else None,
    )


def test_a_fresh_marker_moves_to_any_message() -> None:
    assert advance(FRESH, "m-1", at(1)) == marker_at("m-1", 1)


@pytest.mark.parametrize(
    ("message_id", "minutes", "moves"),
    [
        ("m-6", 6, True),
        ("m-4", 4, False),
        ("m-5", 5, False),
        ("m-6", 5, True),
        ("m-4", 5, False),
    ],
    ids=["newer", "older", "same message", "same time, greater id", "same time, smaller id"],
)
def test_a_marker_only_moves_forward(message_id: str, minutes: int, moves: bool) -> None:
    marker = marker_at("m-5", 5)

    moved = advance(marker, message_id, at(minutes))

    assert moved == (marker_at(message_id, minutes) if moves else marker)
    assert is_after_marker(marker, message_id, at(minutes)) is moves


TIMELINE = [
    message("m-1", 1, mentions=(ME,)),
    message("m-2", 2),
    message("m-3", 3, author_id=ME, mentions=(ME,)),
    message("m-4", 4, mentions=(ME, "user-x")),
    message("m-5", 5, parent_id="m-4", mentions=(ME,)),
    message("m-6", 6, deleted=True),
    message("m-7", 7, mentions=("user-x",)),
]


@pytest.mark.parametrize(
    ("marker", "unread", "mentions"),
    [
        (FRESH, 4, 2),
        (marker_at("m-1", 1), 3, 1),
        (marker_at("m-3", 3), 2, 1),
        (marker_at("m-4", 4), 1, 0),
        (marker_at("m-7", 7), 0, 0),
    ],
)
def test_unread_counts_cover_top_level_messages_of_others_after_the_marker(
    marker: ReadMarker, unread: int, mentions: int
) -> None:
    assert count_unread(marker, TIMELINE) == unread
    assert count_unread_mentions(marker, TIMELINE) == mentions


def test_counts_accept_any_order_of_messages() -> None:
    assert count_unread(marker_at("m-1", 1), reversed(TIMELINE)) == 3


def test_sending_moves_the_authors_marker_so_their_own_message_is_not_unread() -> None:
    mine = message("m-8", 8, author_id=ME)

    marker = advance(marker_at("m-2", 2), mine.id, mine.created_at)

    assert count_unread(marker, [*TIMELINE, mine]) == 0
