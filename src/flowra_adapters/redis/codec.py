"""What travels through Redis: events as the spec's JSON envelope (encoded once per publish, the
same bytes for the stream entry and the pub/sub message) and live pushes as tagged JSON."""

from __future__ import annotations

from typing import Any

import msgspec

from flowra_core.domain.events import EventEnvelope, envelope_from_wire, envelope_to_wire
from flowra_core.ports.live import LivePush

_encoder = msgspec.json.Encoder()
_wire_decoder = msgspec.json.Decoder(dict[str, Any])
_push_decoder = msgspec.json.Decoder(LivePush)


class UndecodableMessageError(Exception):
    """Bytes read from Redis that are not an event or push this version knows (corrupt, or
    written by a newer version with an event type this one lacks)."""


def encode_envelope(envelope: EventEnvelope) -> bytes:
    return _encoder.encode(envelope_to_wire(envelope))


def decode_envelope(raw: bytes) -> EventEnvelope:
    try:
        return envelope_from_wire(_wire_decoder.decode(raw))
    except (msgspec.DecodeError, KeyError, ValueError, TypeError) as error:
        raise UndecodableMessageError(f"not an event envelope: {error!r}") from error


def encode_push(push: LivePush) -> bytes:
    return _encoder.encode(push)


def decode_push(raw: bytes) -> LivePush:
    try:
        push: LivePush = _push_decoder.decode(raw)
        return push
    except msgspec.DecodeError as error:
        raise UndecodableMessageError(f"not a live push: {error!r}") from error
