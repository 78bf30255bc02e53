"""The OpenAPI document (`/schema`) and the interactive docs (`/docs`): the document is OpenAPI
3.1, describes exactly the routes of http-api.md §5, and says that request bodies refuse unknown
fields (http-api.md §1)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

W = "/api/v1/workspaces/{workspace_id}"
C = W + "/chats/{chat_id}"
M = C + "/messages/{message_id}"

# http-api.md §5, route by route, in the spec's order.
SPEC_ROUTES = [
    # Auth
    ("GET", "/api/v1/auth/login"),
    ("GET", "/api/v1/auth/callback"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/dev/token"),
    # Users
    ("GET", "/api/v1/users/me"),
    ("PATCH", "/api/v1/users/me"),
    ("GET", "/api/v1/users/{user_id}"),
    ("GET", "/api/v1/users"),
    # Workspaces, members, invites
    ("POST", "/api/v1/workspaces"),
    ("GET", "/api/v1/workspaces"),
    ("GET", W),
    ("PATCH", W),
    ("DELETE", W),
    ("GET", W + "/members"),
    ("POST", W + "/members"),
    ("PATCH", W + "/members/{user_id}"),
    ("DELETE", W + "/members/{user_id}"),
    ("POST", W + "/leave"),
    ("POST", W + "/transfer-ownership"),
    ("POST", W + "/invites"),
    ("GET", W + "/invites"),
    ("DELETE", W + "/invites/{invite_id}"),
    ("GET", "/api/v1/invites/{token}"),
    ("POST", "/api/v1/invites/{token}/accept"),
    # Chats and work items
    ("POST", W + "/chats"),
    ("GET", W + "/chats"),
    ("GET", C),
    ("PATCH", C),
    ("DELETE", C),
    ("POST", C + "/convert"),
    ("POST", C + "/close"),
    ("POST", C + "/reopen"),
    ("POST", C + "/join"),
    ("POST", C + "/leave"),
    ("GET", C + "/participants"),
    ("POST", C + "/participants"),
    ("DELETE", C + "/participants/{user_id}"),
    ("GET", C + "/presence"),
    ("GET", C + "/activity"),
    ("POST", C + "/attachments"),
    ("DELETE", C + "/attachments/{file_id}"),
    ("POST", C + "/read"),
    # Messages
    ("POST", C + "/messages"),
    ("GET", C + "/messages"),
    ("GET", M),
    ("PATCH", M),
    ("DELETE", M),
    ("GET", M + "/replies"),
    ("PUT", M + "/reactions/{emoji}"),
    ("DELETE", M + "/reactions/{emoji}"),
    # Tasks and board
    ("GET", W + "/tasks"),
    ("POST", W + "/tasks"),
    ("GET", W + "/board"),
    # Notifications
    ("GET", "/api/v1/notifications"),
    ("GET", "/api/v1/notifications/unread-count"),
    ("POST", "/api/v1/notifications/{notification_id}/read"),
    ("POST", "/api/v1/notifications/read-all"),
    ("DELETE", "/api/v1/notifications/{notification_id}"),
    # Files
    ("POST", C + "/files"),
    ("GET", "/api/v1/files/{file_id}"),
    ("GET", "/api/v1/files/{file_id}/{file_name}"),
    # Search
    ("GET", W + "/search"),
    # API tokens and bots (issue 17)
    ("POST", "/api/v1/tokens"),
    ("GET", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/{token_id}"),
    ("POST", W + "/bots"),
    ("GET", W + "/bots"),
    # Audit log (issue 17)
    ("GET", W + "/audit"),
    ("GET", W + "/audit/export"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/audit/export"),
    # Webhooks (issue 17)
    ("POST", W + "/webhooks"),
    ("GET", W + "/webhooks"),
    ("GET", W + "/webhooks/{endpoint_id}"),
    ("PATCH", W + "/webhooks/{endpoint_id}"),
    ("DELETE", W + "/webhooks/{endpoint_id}"),
    ("GET", W + "/webhooks/{endpoint_id}/deliveries"),
    ("POST", W + "/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver"),
    # WebSocket ticket and operational endpoints
    ("POST", "/api/v1/ws/ticket"),
    ("GET", "/api/v1/ws"),
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/health/details"),
    ("GET", "/metrics"),
    ("GET", "/docs"),
    ("GET", "/schema"),
]
# The documentation endpoints are not described by the document they serve.
SELF_DESCRIBING = {("GET", "/docs"), ("GET", "/schema")}
# Litestar leaves WebSocket handlers out of the document; the upgrade route is still missing.
# Remove it from here once the document describes it.
NOT_YET_DOCUMENTED = {("GET", "/api/v1/ws")}
METHODS = {"get", "put", "post", "delete", "patch"}
_PARAMETER = re.compile(r"\{[^}]*\}")


def normalised(path: str) -> str:
    """`{chat_id}`, `{chat_id:str}` and any other parameter spelling become `{}`."""
    return _PARAMETER.sub("{}", path.rstrip("/") or "/")


def documented(schema: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), normalised(path))
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    }


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/components/schemas/")
        node = schema["components"]["schemas"][name]
    return node


@pytest.fixture
async def schema(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/schema")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_the_document_is_openapi_3_1_under_both_addresses(
    client: httpx.AsyncClient, schema: dict[str, Any]
) -> None:
    assert schema["openapi"].startswith("3.1")
    assert schema["info"]["title"] == "Flowra API"
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert response.json() == schema


def test_every_route_of_the_spec_is_documented(schema: dict[str, Any]) -> None:
    wanted = {(method, normalised(path)) for method, path in SPEC_ROUTES} - {
        (method, normalised(path)) for method, path in SELF_DESCRIBING
    }
    missing = wanted - documented(schema)
    assert sorted(missing) == sorted(
        (method, normalised(path)) for method, path in NOT_YET_DOCUMENTED
    )


def test_no_route_is_documented_that_the_spec_does_not_have(schema: dict[str, Any]) -> None:
    spec = {(method, normalised(path)) for method, path in SPEC_ROUTES}
    assert sorted(documented(schema) - spec) == []


def test_json_request_bodies_refuse_unknown_fields(schema: dict[str, Any]) -> None:
    bodies = {
        f"{method.upper()} {path}": resolve(schema, body["content"]["application/json"]["schema"])
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
        and (body := operation.get("requestBody"))
        and "application/json" in body["content"]
    }
    assert len(bodies) > 20
    open_bodies = [
        route
        for route, body_schema in bodies.items()
        if body_schema.get("additionalProperties") is not False
        and not any(  # an optional body: null, or an object refusing unknown fields
            resolve(schema, option).get("additionalProperties") is False
            for option in body_schema.get("oneOf", [])
        )
    ]
    assert open_bodies == []


def test_every_operation_has_a_summary_and_a_tag(schema: dict[str, Any]) -> None:
    untold = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS and not (operation.get("summary") and operation.get("tags"))
    ]
    assert untold == []


async def test_the_docs_are_an_html_page_built_on_the_schema(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "<title>Flowra API</title>" in page
    assert "swagger" in page.lower()
