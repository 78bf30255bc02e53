"""Message, tag-result and read-state bodies (http-api.md §4 "Message", "TagResult"; `C/read`)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from flowra_core.app.messages.read_markers import ReadState
from flowra_core.app.messages.service import SentMessage, TagResultView
from flowra_core.app.messages.views import AttachmentView, MessageView, ReactionView
from flowra_entrypoints.http.dto.common import (
    RequestBody,
    Struct,
    Timestamp,
    UserRef,
    ts,
    ts_or_none,
)
from flowra_entrypoints.http.dto.constraints import (
    Id,
    MessageContent,
)


class SendMessageRequest(RequestBody):
    """Every field is optional; the send rules (content or attachments, parent, files) are
    the core's, reported as 422 on the field at fault."""

    content: MessageContent | None = None
    parent_id: Id | None = None
    # At most 10: checked by the core, which names the first item past the limit
    # (`attachment_ids[10]`, http-api.md "Messages").
    attachment_ids: Annotated[list[Id], msgspec.Meta(extra_json_schema={"maxItems": 10})] | None = (
        None
    )


class EditMessageRequest(RequestBody):
    content: MessageContent


class MarkReadRequest(RequestBody):
    message_id: Id | None = None


class AttachmentResponse(Struct):
    file_id: str
    file_name: str
    file_size: int
    mime_type: str
    url: str


def attachment_response(view: AttachmentView) -> AttachmentResponse:
    return AttachmentResponse(
        file_id=view.file_id,
        file_name=view.file_name,
        file_size=view.file_size,
        mime_type=view.mime_type,
        url=view.url,
    )


class ReactionResponse(Struct):
    emoji: str
    count: int
    user_ids: list[str]
    me: bool


def reaction_response(view: ReactionView) -> ReactionResponse:
    return ReactionResponse(
        emoji=view.emoji, count=view.count, user_ids=list(view.user_ids), me=view.me
    )


class MessageResponse(Struct):
    id: str
    chat_id: str
    workspace_id: str
    author_id: str
    author: UserRef
    type: str
    content: str
    parent_id: str | None
    reply_count: int
    last_reply_at: Timestamp | None
    attachments: list[AttachmentResponse]
    reactions: list[ReactionResponse]
    mentions: list[str]
    actor_id: str | None
    source_message_id: str | None
    created_at: Timestamp
    edited_at: Timestamp | None
    is_deleted: bool
    deleted_at: Timestamp | None


def message_response(view: MessageView) -> MessageResponse:
    message = view.message
    return MessageResponse(
        id=message.id,
        chat_id=message.chat_id,
        workspace_id=view.workspace_id,
        author_id=message.author_id,
        author=UserRef(
            id=view.author.id, username=view.author.username, display_name=view.author.display_name
        ),
        type=message.type.value,
        content=message.content,
        parent_id=message.parent_id,
        reply_count=view.reply_count,
        last_reply_at=ts_or_none(view.last_reply_at),
        attachments=[attachment_response(a) for a in view.attachments],
        reactions=[reaction_response(r) for r in view.reactions],
        mentions=list(message.mentions),
        actor_id=message.actor_id,
        source_message_id=message.source_message_id,
        created_at=ts(message.created_at),
        edited_at=ts_or_none(message.edited_at),
        is_deleted=view.is_deleted,
        deleted_at=ts_or_none(message.deleted_at),
    )


class TagResultResponse(Struct):
    tag: str
    value: str
    ok: bool
    changed: bool
    code: str | None
    text: str


def tag_result_response(view: TagResultView) -> TagResultResponse:
    return TagResultResponse(
        tag=view.tag,
        value=view.value,
        ok=view.ok,
        changed=view.changed,
        code=view.code,
        text=view.text,
    )


class SentMessageResponse(MessageResponse):
    """The 201 body of a send: the Message plus what its tag lines did (`null` without any)."""

    bot_reply: MessageResponse | None
    tag_results: list[TagResultResponse] | None


def sent_message_response(sent: SentMessage) -> SentMessageResponse:
    fields = msgspec.structs.asdict(message_response(sent.message))
    return SentMessageResponse(
        **fields,
        bot_reply=None if sent.bot_reply is None else message_response(sent.bot_reply),
        tag_results=(
            None if sent.tag_results is None else [tag_result_response(r) for r in sent.tag_results]
        ),
    )


class ReadStateResponse(Struct):
    chat_id: str
    last_read_message_id: str | None
    unread_count: int


def read_state_response(state: ReadState) -> ReadStateResponse:
    return ReadStateResponse(
        chat_id=state.chat_id,
        last_read_message_id=state.last_read_message_id,
        unread_count=state.unread_count,
    )
