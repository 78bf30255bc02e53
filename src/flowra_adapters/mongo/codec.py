"""Domain values ↔ BSON documents, with msgspec.

States are stored field for field under their encoded names, `id` as `_id`; tuples and
frozensets become arrays and datetimes stay BSON dates (millisecond precision, as every core
timestamp is). Events are stored as `{event_id, type, version, occurred_at, data}` inside their
commit (operations.md §6) and decoded with the event registry of `flowra_core.domain.events`.
A stored document that no longer decodes is a StorageError, never a msgspec error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import msgspec

from flowra_adapters.mongo.database import Document
from flowra_adapters.mongo.errors import StorageError
from flowra_core.domain.events import (
    EVENT_TYPE_FIELD,
    AggregateType,
    DomainEvent,
    EventEnvelope,
    event_class,
)
from flowra_core.ports.event_store import Commit

T = TypeVar("T")


def to_document_fields(value: Any) -> Any:
    """msgspec builtins, keeping datetimes for BSON; sets become sorted arrays, so one state
    always makes one document (a rebuild reproduces it byte for byte)."""
    return msgspec.to_builtins(value, builtin_types=(datetime,), order="deterministic")


def convert(raw: Any, target: type[T], *, what: str) -> T:
    try:
        return msgspec.convert(raw, target)
    except msgspec.ValidationError as error:
        raise StorageError(f"stored {what} does not decode: {error}") from error


def state_to_document(state: Any) -> Document:
    fields: Document = to_document_fields(state)
    fields["_id"] = fields.pop("id")
    return fields


def state_from_document(document: Document, state_type: type[T]) -> T:
    fields = {key: value for key, value in document.items() if key != "_id"}
    fields["id"] = document["_id"]
    return convert(fields, state_type, what=f"{state_type.__name__} {document['_id']!r}")


def event_to_document(envelope: EventEnvelope) -> Document:
    data: Document = to_document_fields(envelope.event)
    data.pop(EVENT_TYPE_FIELD, None)
    return {
        "event_id": envelope.event_id,
        "type": envelope.type,
        "version": envelope.version,
        "occurred_at": envelope.occurred_at,
        "data": data,
    }


def commit_to_document(commit: Commit) -> Document:
    """A commit as the journal stores it; what it still owes lives in `reaction_work`."""
    return {
        "_id": commit.commit_id,
        "aggregate_type": commit.aggregate_type.value,
        "aggregate_id": commit.aggregate_id,
        "base_version": commit.base_version,
        "workspace_id": commit.workspace_id,
        "chat_id": commit.chat_id,
        "actor_id": commit.actor_id,
        "recorded_at": commit.recorded_at,
        "events": [event_to_document(envelope) for envelope in commit.events],
        "summarize": commit.summarize,
    }


def _payload(event: Document) -> DomainEvent:
    event_type = event["type"]
    try:
        payload_class = event_class(event_type)
    except KeyError as error:
        raise StorageError(f"stored event has an unknown type {event_type!r}") from error
    raw = {**event["data"], EVENT_TYPE_FIELD: event_type}
    return convert(raw, payload_class, what=f"event {event['event_id']!r}")


def envelopes_from_document(document: Document) -> list[EventEnvelope]:
    """The commit's events, in version order, each with the commit's routing fields."""
    aggregate_type = AggregateType(document["aggregate_type"])
    return [
        EventEnvelope(
            event_id=event["event_id"],
            aggregate_type=aggregate_type,
            aggregate_id=document["aggregate_id"],
            version=event["version"],
            workspace_id=document["workspace_id"],
            chat_id=document["chat_id"],
            actor_id=document["actor_id"],
            occurred_at=event["occurred_at"],
            event=_payload(event),
        )
        for event in document["events"]
    ]


def commit_from_document(document: Document) -> Commit:
    return Commit(
        commit_id=document["_id"],
        aggregate_type=AggregateType(document["aggregate_type"]),
        aggregate_id=document["aggregate_id"],
        base_version=document["base_version"],
        workspace_id=document["workspace_id"],
        chat_id=document["chat_id"],
        actor_id=document["actor_id"],
        recorded_at=document["recorded_at"],
        events=tuple(envelopes_from_document(document)),
        summarize=bool(document.get("summarize", False)),
    )
