"""The errors in the OpenAPI document (issue 16, step 1): one `Problem` schema in
`application/problem+json`, every operation's error statuses from error_contract.py, no trace
of Litestar's default 400 body, and a checker that catches an answer the document lacks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flowra_core.domain.errors import ErrorCode
from flowra_entrypoints.http.problems import STATUS_OF
from flowra_entrypoints.transport_errors import ProblemCode, TransportCode

from .contract_check import DocumentCheckingTransport

W = "/api/v1/workspaces/{workspace_id}"
C = W + "/chats/{chat_id}"
METHODS = {"get", "put", "post", "delete", "patch"}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _code(text: str) -> ProblemCode:
    return TransportCode(text) if text in TransportCode.__members__ else ErrorCode(text)


@pytest.fixture
async def schema(client: httpx.AsyncClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
    return document


def operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_problem_schema_names_every_error_code(schema: dict[str, Any]) -> None:
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) >= {"type", "title", "status", "detail", "code"}
    code = problem["properties"]["code"]
    if "$ref" in code:
        code = schema["components"]["schemas"][code["$ref"].rsplit("/", 1)[1]]
    assert set(code["enum"]) == {c.value for c in (*ErrorCode, *TransportCode)}
    assert "errors" in problem["properties"]


def test_every_error_response_is_a_problem_with_its_codes(schema: dict[str, Any]) -> None:
    wrong = []
    for route, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = response.get("content", {})
            codes = response.get("x-error-codes", [])
            if content != {"application/problem+json": {"schema": PROBLEM_REF}}:
                wrong.append(f"{route} {status}: {content}")
            elif not codes or any(STATUS_OF[_code(c)] != int(status) for c in codes):
                wrong.append(f"{route} {status}: codes {codes}")
    assert wrong == []


def test_litestars_default_error_body_is_gone(schema: dict[str, Any]) -> None:
    assert '"status_code"' not in str(schema).replace("'", '"')
    assert not any(
        "extra" in body.get("properties", {}) for body in schema["components"]["schemas"].values()
    )


@pytest.mark.parametrize(
    ("route", "statuses"),
    [
        ("POST /api/v1/workspaces", {"400", "401", "403", "409", "413", "415", "422", "429"}),
        (f"GET {W}", {"401", "403", "404", "422", "429", "503"}),
        (f"POST {C}/close", {"401", "403", "404", "409", "413", "415", "429", "503"}),
        (f"PATCH {C}/messages/{{message_id}}", {"403", "404", "409", "410", "422"}),
        (f"POST {C}/files", {"413", "415", "422"}),
        ("POST /api/v1/invites/{token}/accept", {"404", "410"}),
        ("GET /health", {"503"}),
    ],
)
def test_an_operation_lists_what_it_can_answer(
    schema: dict[str, Any], route: str, statuses: set[str]
) -> None:
    documented = dict(operations(schema))[route]["responses"]
    assert statuses <= set(documented)


def test_an_unauthenticated_route_documents_no_401(schema: dict[str, Any]) -> None:
    responses = dict(operations(schema))
    assert "401" not in responses["POST /api/v1/auth/dev/token"]["responses"]
    assert "401" not in responses["GET /health"]["responses"]


def test_no_content_answers_declare_no_content(schema: dict[str, Any]) -> None:
    with_body = [
        route
        for route, operation in operations(schema)
        if "content" in operation["responses"].get("204", {})
    ]
    assert with_body == []
    assert "204" in dict(operations(schema))[f"DELETE {W}"]["responses"]


def test_optional_bodies_are_documented_optional(schema: dict[str, Any]) -> None:
    by_route = dict(operations(schema))
    for route in ("POST /api/v1/auth/logout", "POST /api/v1/notifications/read-all"):
        body = by_route[route]["requestBody"]
        assert body["required"] is False, route
        assert "$ref" in body["content"]["application/json"]["schema"], route
    assert by_route["POST /api/v1/workspaces"]["requestBody"]["required"] is True


class _Answer(httpx.AsyncBaseTransport):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.body = status, body

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/problem+json"}
        return httpx.Response(self.status, json=self.body, headers=headers)


@pytest.mark.parametrize(
    ("status", "code", "verdict"),
    [
        (404, "WORKSPACE_NOT_FOUND", None),
        (418, "NOT_FOUND", "answered 418, not documented"),
        (404, "CHAT_NOT_FOUND", "answered 404 CHAT_NOT_FOUND, not a documented code"),
    ],
)
async def test_the_checker_flags_what_the_document_lacks(
    client: httpx.AsyncClient, status: int, code: str, verdict: str | None
) -> None:
    served = client._transport
    assert isinstance(served, DocumentCheckingTransport)
    checker = DocumentCheckingTransport(_Answer(status, {"code": code}), served.app)
    async with httpx.AsyncClient(transport=checker, base_url="http://flowra.test") as fake:
        await fake.get("/api/v1/workspaces/w1")
    found = [f"GET {W} {verdict}"] if verdict else []
    assert checker.violations == found
