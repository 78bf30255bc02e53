"""Constraints in the OpenAPI document (issue 16, step 2) come from the msgspec annotations the
server validates with: what the document bounds, the server refuses just past the bound and
accepts at it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from .http_kit import API, Login

W = "/api/v1/workspaces/{workspace_id}"
C = W + "/chats/{chat_id}"


@pytest.fixture
async def schema(client: httpx.AsyncClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
    return document


def parameter(schema: dict[str, Any], method: str, path: str, name: str) -> dict[str, Any]:
    parameters = schema["paths"][path][method]["parameters"]
    found: dict[str, Any] = next(p for p in parameters if p["name"] == name)
    return found


def component(schema: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["components"]["schemas"][name]
    return found


def test_every_limit_is_bounded_1_to_100(schema: dict[str, Any]) -> None:
    limits = [
        p["schema"]
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for p in operation.get("parameters", [])
        if p["name"] == "limit"
    ]
    assert len(limits) > 10
    assert all(s["type"] == "integer" and (s["minimum"], s["maximum"]) == (1, 100) for s in limits)


def test_ids_are_uuids(schema: dict[str, Any]) -> None:
    assert parameter(schema, "get", W, "workspace_id")["schema"]["format"] == "uuid"
    assert parameter(schema, "get", C, "chat_id")["schema"]["format"] == "uuid"
    body = component(schema, "AddParticipantRequest")
    assert body["properties"]["user_id"]["format"] == "uuid"


def test_enums_are_patterns_that_accept_any_case(schema: dict[str, Any]) -> None:
    status = component(schema, "PatchChatRequest")["properties"]["status"]
    pattern = re.compile(status["pattern"])
    assert pattern.search("In Progress")
    assert pattern.search(" in progress ")
    assert not pattern.search("Doing")
    role = component(schema, "ChangeRoleRequest")["properties"]["role"]
    assert re.search(role["pattern"], "ADMIN")
    assert not re.search(role["pattern"], "owner")


def test_lengths_and_patch_bodies(schema: dict[str, Any]) -> None:
    name = component(schema, "CreateWorkspaceRequest")["properties"]["name"]
    assert (name["minLength"], name["maxLength"]) == (1, 100)
    for patch in ("UpdateWorkspaceRequest", "PatchChatRequest"):
        body = component(schema, patch)
        assert body["minProperties"] == 1
        assert body["additionalProperties"] is False
    assert component(schema, "PatchChatRequest").get("required", []) == []


async def test_the_server_refuses_past_the_documented_bounds(
    client: httpx.AsyncClient, login: Login
) -> None:
    headers = await login("olga")
    for limit, status in ((0, 422), (1, 200), (100, 200), (101, 422)):
        answered = await client.get(f"{API}/workspaces?limit={limit}", headers=headers)
        assert answered.status_code == status, (limit, answered.text)
    for name, status in (("x" * 100, 201), ("x" * 101, 422), ("", 422), ("   ", 422)):
        answered = await client.post(f"{API}/workspaces", json={"name": name}, headers=headers)
        assert answered.status_code == status, (name, answered.text)
    created = await client.post(f"{API}/workspaces", json={"name": "Acme"}, headers=headers)
    empty_patch = await client.patch(
        f"{API}/workspaces/{created.json()['id']}", json={}, headers=headers
    )
    assert empty_patch.status_code == 422
