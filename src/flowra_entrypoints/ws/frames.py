"""WebSocket frames (websocket.md §2, §3) as msgspec tagged unions on `type`.

Client frames are decoded by one shared Decoder; server frames are encoded once and sent as the
same text to every recipient (`OutboundFrame`).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Annotated, Any, Final, NamedTuple

import msgspec

from flowra_core.domain.datetimes import format_timestamp
from flowra_core.domain.events import EventEnvelope, payload_to_wire

FrameRef = Annotated[str, msgspec.Meta(max_length=64)]
Identifier = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
TYPING_EXPIRES_IN: Final = 5


class CloseCode(IntEnum):
    """websocket.md §8."""

    NORMAL = 1000
    GOING_AWAY = 1001
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    HEARTBEAT_TIMEOUT = 4001
    SLOW_CONSUMER = 4008
    SESSION_ENDED = 4401
    USER_DEACTIVATED = 4403


class FrameError(StrEnum):
    """The `code` of an `error` frame (websocket.md §2)."""

    INVALID_FRAME = "INVALID_FRAME"
    CHAT_NOT_FOUND = "CHAT_NOT_FOUND"
    NOT_PARTICIPANT = "NOT_PARTICIPANT"
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
    RATE_LIMITED = "RATE_LIMITED"


# --- client → server -----------------------------------------------------------------------


class ClientFrame(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    id: FrameRef | None = None


class Subscribe(ClientFrame, frozen=True, kw_only=True, tag="subscribe"):
    chat_id: Identifier
    last_event_id: Identifier | None = None


class Unsubscribe(ClientFrame, frozen=True, kw_only=True, tag="unsubscribe"):
    chat_id: Identifier


class Typing(ClientFrame, frozen=True, kw_only=True, tag="typing"):
    chat_id: Identifier


class Ping(ClientFrame, frozen=True, kw_only=True, tag="ping"):
    pass


AnyClientFrame = Subscribe | Unsubscribe | Typing | Ping
CLIENT_FRAMES: Final = msgspec.json.Decoder(AnyClientFrame)


class _RefOnly(msgspec.Struct):
    id: Any = None


_REF_ONLY: Final = msgspec.json.Decoder(_RefOnly)


def ref_of_invalid(text: str) -> str | None:
    """The `id` of a frame that failed to decode, when it has a usable one (to echo as `ref`)."""
    try:
        ref = _REF_ONLY.decode(text).id
    except msgspec.DecodeError:
        return None
    return ref if isinstance(ref, str) and len(ref) <= 64 else None


# --- server → client -----------------------------------------------------------------------


class ServerFrame(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    pass


class Connected(ServerFrame, frozen=True, kw_only=True, tag="connected"):
    connection_id: str
    user_id: str
    heartbeat_interval: int | float
    server_time: str


class AckAction(StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"


class Ack(ServerFrame, frozen=True, kw_only=True, tag="ack"):
    ref: str | None
    action: AckAction
    chat_id: str
    replayed: int = 0


class ErrorFrame(ServerFrame, frozen=True, kw_only=True, omit_defaults=True, tag="error"):
    ref: str | None
    code: FrameError
    message: str
    chat_id: str | None = None


class Pong(ServerFrame, frozen=True, kw_only=True, tag="pong"):
    ref: str | None
    server_time: str


class PresenceChanged(ServerFrame, frozen=True, kw_only=True, tag="presence.changed"):
    user_id: str
    status: str
    last_seen_at: str


class TypingNotice(ServerFrame, frozen=True, kw_only=True, tag="typing"):
    chat_id: str
    user_id: str
    expires_in: int = TYPING_EXPIRES_IN


class ChatRead(ServerFrame, frozen=True, kw_only=True, tag="chat.read"):
    chat_id: str
    last_read_message_id: str | None
    unread_count: int


class ResyncReason(StrEnum):
    UNKNOWN_EVENT = "unknown_event"
    TOO_OLD = "too_old"
    TOO_MANY = "too_many"


class ResyncRequired(ServerFrame, frozen=True, kw_only=True, tag="resync_required"):
    chat_id: str
    reason: ResyncReason


class UnsubscribeReason(StrEnum):
    ACCESS_REVOKED = "access_revoked"
    CHAT_DELETED = "chat_deleted"


class Unsubscribed(ServerFrame, frozen=True, kw_only=True, tag="unsubscribed"):
    chat_id: str
    reason: UnsubscribeReason


class DomainEventFrame(msgspec.Struct, frozen=True, kw_only=True):
    """A domain event as pushed (websocket.md §3): `type` is the event name, unchanged."""

    type: str
    event_id: str
    workspace_id: str | None
    chat_id: str | None
    actor_id: str | None
    occurred_at: str
    data: dict[str, Any]


class OutboundFrame(NamedTuple):
    """An encoded frame: `kind` (its type, for metrics) and the text sent to every recipient."""

    kind: str
    text: str


_ENCODER: Final = msgspec.json.Encoder()
# Payload fields that are bookkeeping, not part of the catalogue's `data` (domain.md §6.2).
_NOT_PUSHED: Final[dict[str, tuple[str, ...]]] = {"invite.created": ("token_hash",)}


def encode(frame: ServerFrame) -> OutboundFrame:
    tag = frame.__struct_config__.tag
    assert isinstance(tag, str)
    return OutboundFrame(tag, _ENCODER.encode(frame).decode())


def event_frame(envelope: EventEnvelope) -> OutboundFrame:
    """The domain-event frame of an envelope, encoded once for all of its recipients."""
    data = payload_to_wire(envelope.event)
    for field in _NOT_PUSHED.get(envelope.type, ()):
        data.pop(field, None)
    frame = DomainEventFrame(
        type=envelope.type,
        event_id=envelope.event_id,
        workspace_id=envelope.workspace_id,
        chat_id=envelope.chat_id,
        actor_id=envelope.actor_id,
        occurred_at=format_timestamp(envelope.occurred_at),
        data=data,
    )
    return OutboundFrame(envelope.type, _ENCODER.encode(frame).decode())


def seconds(value: float) -> int | float:
    """A duration as a JSON number: `30`, not `30.0`."""
    return int(value) if float(value).is_integer() else value


AnyServerFrame = (
    Connected
    | Ack
    | ErrorFrame
    | Pong
    | PresenceChanged
    | TypingNotice
    | ChatRead
    | ResyncRequired
    | Unsubscribed
)


def websocket_json_schema() -> dict[str, Any]:
    """The frames of websocket.md as JSON Schema (served at `/schema/websocket.json`), built
    by msgspec from the structs the gateway decodes (`CLIENT_FRAMES`) and encodes: tagged
    unions on `type`; a pushed domain event is a `DomainEventFrame`."""
    (client, server, event), definitions = msgspec.json.schema_components(
        [AnyClientFrame, AnyServerFrame, DomainEventFrame], ref_template="#/$defs/{name}"
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Flowra WebSocket frames",
        "description": "A text frame is one JSON object: a ClientFrames frame from the client, "
        "a ServerFrames frame from the server.",
        "oneOf": [{"$ref": "#/$defs/ClientFrames"}, {"$ref": "#/$defs/ServerFrames"}],
        "$defs": {
            **definitions,
            "ClientFrames": client,
            "ServerFrames": {"anyOf": [server, event]},
        },
    }
