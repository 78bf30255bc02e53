from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import pytest
from msgspec.structs import replace

from flowra_core.domain.errors import FieldError, ValidationFailed
from flowra_core.domain.events import AggregateType
from flowra_core.domain.message import (
    Message,
    MessageAttachment,
    MessageCreated,
    MessageType,
    UploadedFile,
    evolve,
    send_user_message,
)

NOW = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
CHAT = "chat-1"
AUTHOR = "user-alice"
MEMBERS = {"alice": AUTHOR, "bob": "user-bob"}


def lookup(username: str) -> str | None:
    return MEMBERS.get(username.lower())


def send(
    content: str = "hello",
    *,
    parent_id: str | None = None,
    parent: Message | None = None,
    attachment_ids: Sequence[str] = (),
    files: Mapping[str, UploadedFile] | None = None,
) -> MessageCreated:
    [event] = send_user_message(
        "msg-new",
        chat_id=CHAT,
        author_id=AUTHOR,
        content=content,
        parent_id=parent_id,
        parent=parent,
        attachment_ids=attachment_ids,
        files=files or {},
        lookup_username=lookup,
        now=NOW,
    )
    assert isinstance(event, MessageCreated)
    return event


def field_errors(error: pytest.ExceptionInfo[ValidationFailed]) -> list[FieldError]:
    return error.value.errors


def message(message_id: str, *, chat_id: str = CHAT, parent_id: str | None = None) -> Message:
    return Message(
        id=message_id,
        chat_id=chat_id,
        author_id="user-bob",
        type=MessageType.USER,
        content="earlier",
        parent_id=parent_id,
        created_at=NOW,
        version=1,
    )


def uploaded(
    file_id: str,
    *,
    chat_id: str = CHAT,
    uploaded_by: str = AUTHOR,
    message_id: str | None = None,
) -> UploadedFile:
    return UploadedFile(
        id=file_id,
        chat_id=chat_id,
        uploaded_by=uploaded_by,
        file_name=f"{file_id}.png",
        file_size=1234,
        mime_type="image/png",
        message_id=message_id,
    )


def test_send_creates_a_user_message_with_every_field() -> None:
    event = send("hi @bob")

    assert event == MessageCreated(
        message_id="msg-new",
        chat_id=CHAT,
        author_id=AUTHOR,
        message_type=MessageType.USER,
        content="hi @bob",
        parent_id=None,
        attachments=(),
        mentions=("user-bob",),
        actor_id=None,
        source_message_id=None,
        created_at=NOW,
    )
    assert event.aggregate_type is AggregateType.MESSAGE


@pytest.mark.parametrize(
    "content",
    ["x", "  padded  ", "#status Done\nand text", "a" * 10_000, "é" * 10_000, "😀" * 10_000],
)
def test_content_up_to_10000_code_points_is_stored_verbatim(content: str) -> None:
    assert send(content).content == content


@pytest.mark.parametrize("content", ["a" * 10_001, "😀" * 10_001, " " * 10_001])
def test_content_over_10000_code_points_is_rejected(content: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        send(content)

    assert [e.field for e in field_errors(error)] == ["content"]


@pytest.mark.parametrize("content", ["", " ", "\n\t ", "\u2003"])
def test_a_user_message_needs_non_whitespace_content_without_attachments(content: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        send(content)

    assert [e.field for e in field_errors(error)] == ["content"]


def test_an_attachment_makes_empty_content_valid() -> None:
    event = send("", attachment_ids=["file-1"], files={"file-1": uploaded("file-1")})

    assert event.content == ""
    assert event.attachments == (
        MessageAttachment(
            file_id="file-1", file_name="file-1.png", file_size=1234, mime_type="image/png"
        ),
    )


def test_a_reply_to_a_top_level_message_is_in_its_thread() -> None:
    assert send(parent_id="msg-top", parent=message("msg-top")).parent_id == "msg-top"


def test_a_reply_to_a_reply_is_reparented_to_the_top_level_message() -> None:
    reply = message("msg-reply", parent_id="msg-top")

    assert send(parent_id="msg-reply", parent=reply).parent_id == "msg-top"


def test_a_reply_to_a_deleted_message_is_accepted() -> None:
    tombstone = replace(message("msg-top"), content="", deleted_at=NOW, deleted_by="user-bob")

    assert send(parent_id="msg-top", parent=tombstone).parent_id == "msg-top"


@pytest.mark.parametrize(
    ("parent_id", "parent"),
    [
        ("msg-unknown", None),
        ("msg-other", message("msg-other", chat_id="chat-2")),
    ],
    ids=["unknown parent", "parent in another chat"],
)
def test_an_invalid_parent_is_reported_on_parent_id(parent_id: str, parent: Message | None) -> None:
    with pytest.raises(ValidationFailed) as error:
        send(parent_id=parent_id, parent=parent)

    assert [e.field for e in field_errors(error)] == ["parent_id"]


def test_up_to_ten_attachments_keep_the_request_order() -> None:
    ids = [f"file-{n}" for n in range(10)]

    event = send(attachment_ids=ids, files={file_id: uploaded(file_id) for file_id in ids})

    assert [a.file_id for a in event.attachments] == ids


def test_attachments_past_the_tenth_are_reported_each() -> None:
    ids = [f"file-{n}" for n in range(12)]

    with pytest.raises(ValidationFailed) as error:
        send(attachment_ids=ids, files={file_id: uploaded(file_id) for file_id in ids})

    assert [e.field for e in field_errors(error)] == ["attachment_ids[10]", "attachment_ids[11]"]


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        (None, "no file"),
        (uploaded("file-x", chat_id="chat-2"), "another chat"),
        (uploaded("file-x", uploaded_by="user-bob"), "another user"),
        (uploaded("file-x", message_id="msg-old"), "already attached"),
    ],
    ids=["unknown", "other chat", "other uploader", "already attached"],
)
def test_an_invalid_file_is_reported_at_its_index(file: UploadedFile | None, reason: str) -> None:
    files = {"file-ok": uploaded("file-ok")} | ({} if file is None else {"file-x": file})

    with pytest.raises(ValidationFailed) as error:
        send(attachment_ids=["file-ok", "file-x"], files=files)

    [problem] = field_errors(error)
    assert problem.field == "attachment_ids[1]"
    assert reason in problem.message


def test_a_file_listed_twice_is_reported_at_its_second_index() -> None:
    with pytest.raises(ValidationFailed) as error:
        send(attachment_ids=["file-1", "file-1"], files={"file-1": uploaded("file-1")})

    assert [e.field for e in field_errors(error)] == ["attachment_ids[1]"]


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as error:
        send("x" * 10_001, parent_id="msg-unknown", attachment_ids=["file-unknown"])

    assert [e.field for e in field_errors(error)] == ["content", "parent_id", "attachment_ids[0]"]


def test_mentions_are_resolved_in_order_and_unknown_users_ignored() -> None:
    assert send("@ghost @BOB and @alice, again @bob").mentions == ("user-bob", AUTHOR)


def test_evolve_builds_the_message_state() -> None:
    event = send("hi @bob", attachment_ids=["file-1"], files={"file-1": uploaded("file-1")})

    state = evolve(None, event)

    assert state == Message(
        id="msg-new",
        chat_id=CHAT,
        author_id=AUTHOR,
        type=MessageType.USER,
        content="hi @bob",
        attachments=event.attachments,
        mentions=("user-bob",),
        created_at=NOW,
        version=1,
    )
    assert not state.is_deleted
    assert state.thread_root_id == "msg-new"
