"""Domain events: immutable msgspec structs, one class per event name, a tagged union.

Each event struct is the `data` payload of the spec's envelope (domain.md §6.1); its
msgspec tag is the event name (`chat.created`). `EventEnvelope` adds the identity and
routing fields. Schema-evolution rule: new payload fields get defaults; a stored field's
type never changes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

import msgspec

from flowra_core.domain.datetimes import format_timestamp

# The tag field of the union; internal, never part of a payload on the wire.
EVENT_TYPE_FIELD = "event_type"


class AggregateType(StrEnum):
    CHAT = "chat"
    MESSAGE = "message"
    WORKSPACE = "workspace"
    USER = "user"
    NOTIFICATION = "notification"


class DomainEvent(msgspec.Struct, frozen=True, kw_only=True, tag_field=EVENT_TYPE_FIELD):
    """Base of every event payload. Subclasses set `tag=<event name>`.

    The tag lives in an internal field so payloads may have a field encoded as `type`
    (`message.created`, `chat.created`): declare it `x_type: T = msgspec.field(name="type")`.
    """

    aggregate_type: ClassVar[AggregateType]

    @classmethod
    def event_type(cls) -> str:
        tag = cls.__struct_config__.tag
        assert isinstance(tag, str), f"{cls.__name__} needs a string tag"
        return tag


class EventEnvelope(msgspec.Struct, frozen=True, kw_only=True):
    """An event as stored in the journal, published on the bus and pushed to clients."""

    event_id: str
    aggregate_type: AggregateType
    aggregate_id: str
    version: int
    workspace_id: str | None
    chat_id: str | None
    actor_id: str | None
    occurred_at: datetime
    event: DomainEvent

    @property
    def type(self) -> str:
        return self.event.event_type()


def _all_event_classes() -> dict[str, type[DomainEvent]]:
    found: dict[str, type[DomainEvent]] = {}
    pending: list[type[DomainEvent]] = list(DomainEvent.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        tag = cls.__struct_config__.tag
        # Grouping bases get their class name as an implicit tag; event names have a dot.
        if isinstance(tag, str) and "." in tag:
            found[tag] = cls
    return found


def event_types() -> frozenset[str]:
    """Every event name of the catalogue."""
    return frozenset(_all_event_classes())


def event_class(event_type: str) -> type[DomainEvent]:
    """The payload class for an event name; KeyError for an unknown name."""
    return _all_event_classes()[event_type]


def _times_as_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, dict):
        return {key: _times_as_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_times_as_text(item) for item in value]
    return value


def payload_to_wire(event: DomainEvent) -> dict[str, Any]:
    """The `data` object: snake_case fields, timestamps as RFC 3339 strings with ms."""
    data: dict[str, Any] = _times_as_text(msgspec.to_builtins(event, builtin_types=(datetime,)))
    data.pop(EVENT_TYPE_FIELD, None)
    return data


def envelope_to_wire(envelope: EventEnvelope) -> dict[str, Any]:
    """The spec's envelope shape: `type` beside the ids, payload fields under `data`."""
    data = payload_to_wire(envelope.event)
    return {
        "event_id": envelope.event_id,
        "type": envelope.type,
        "aggregate_type": envelope.aggregate_type.value,
        "aggregate_id": envelope.aggregate_id,
        "version": envelope.version,
        "workspace_id": envelope.workspace_id,
        "chat_id": envelope.chat_id,
        "actor_id": envelope.actor_id,
        "occurred_at": format_timestamp(envelope.occurred_at),
        "data": data,
    }


def envelope_from_wire(raw: dict[str, Any]) -> EventEnvelope:
    """Inverse of `envelope_to_wire`; raises msgspec.ValidationError on a bad payload."""
    payload_class = event_class(raw["type"])
    event = msgspec.convert({**raw["data"], EVENT_TYPE_FIELD: raw["type"]}, payload_class)
    return EventEnvelope(
        event_id=raw["event_id"],
        aggregate_type=AggregateType(raw["aggregate_type"]),
        aggregate_id=raw["aggregate_id"],
        version=raw["version"],
        workspace_id=raw["workspace_id"],
        chat_id=raw["chat_id"],
        actor_id=raw["actor_id"],
        occurred_at=msgspec.convert(raw["occurred_at"], datetime),
        event=event,
    )


def event_aggregates() -> dict[str, AggregateType]:
    """Every event name with the kind of aggregate whose stream holds it."""
    return {name: cls.aggregate_type for name, cls in _all_event_classes().items()}
