"""`/schema/websocket.json` (issue 16, step 6): the WebSocket frames of websocket.md as JSON
Schema, generated from the structs the gateway decodes and encodes, linked from the OpenAPI
document."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema_rs
import pytest

from flowra_entrypoints.ws.frames import Ack, AckAction, Pong, ServerFrame, encode


@pytest.fixture
async def frames_schema(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/schema/websocket.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def valid(schema: dict[str, Any], frame: dict[str, Any]) -> bool:
    return bool(jsonschema_rs.validator_for(schema).is_valid(frame))


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "subscribe", "chat_id": "c1", "id": "1"},
        {"type": "unsubscribe", "chat_id": "c1"},
        {"type": "typing", "chat_id": "c1"},
        {"type": "ping"},
    ],
)
def test_client_frames_of_the_spec_are_valid(
    frames_schema: dict[str, Any], frame: dict[str, Any]
) -> None:
    assert valid(frames_schema, frame)


@pytest.mark.parametrize(
    "frame",
    [{"type": "shout", "chat_id": "c1"}, {"type": "subscribe"}, {"chat_id": "c1"}, []],
)
def test_frames_the_gateway_refuses_are_invalid(frames_schema: dict[str, Any], frame: Any) -> None:
    assert not valid(frames_schema, frame)


def test_frames_the_server_encodes_are_valid(frames_schema: dict[str, Any]) -> None:
    frames: list[ServerFrame] = [
        Pong(ref="7", server_time="2026-01-28T10:30:00.123Z"),
        Ack(ref="1", action=AckAction.SUBSCRIBED, chat_id="c1"),
    ]
    for frame in frames:
        assert valid(frames_schema, json.loads(encode(frame).text))


async def test_the_openapi_document_links_it(client: httpx.AsyncClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    assert "/schema/websocket.json" in document["info"]["description"]
