"""Inputs are read as strictly as the document describes them (issue 16, classes found by
schemathesis): JSON types are not coerced, an optional query parameter's `null` or empty value
is refused where its schema refuses it, an optional body is an object or nothing, and a
required-by-spec query parameter is documented required."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .http_kit import API, Login, assert_problem


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Acme", "description": 0}, "description"),
        ({"name": 1}, "name"),
    ],
)
async def test_json_types_are_not_coerced(
    client: httpx.AsyncClient, login: Login, body: dict[str, Any], field: str
) -> None:
    answered = await client.post(f"{API}/workspaces", json=body, headers=await login("olga"))
    assert_problem(answered, 422, "VALIDATION_ERROR", field)


async def test_a_dev_token_flag_must_be_a_boolean(client: httpx.AsyncClient) -> None:
    body = {"username": "olga", "is_system_admin": 0}
    answered = await client.post(f"{API}/auth/dev/token", json=body)
    assert_problem(answered, 422, "VALIDATION_ERROR", "is_system_admin")


@pytest.mark.parametrize(
    "query",
    ["limit=null", "limit=", "workspace_id=null", "workspace_id=", "workspace_id=AAA", "type="],
)
async def test_absent_looking_query_values_are_refused_where_the_schema_refuses_them(
    client: httpx.AsyncClient, login: Login, query: str
) -> None:
    answered = await client.get(f"{API}/notifications?{query}", headers=await login("olga"))
    assert_problem(answered, 422, "VALIDATION_ERROR", query.split("=")[0])


async def test_free_text_may_be_the_word_null(client: httpx.AsyncClient, login: Login) -> None:
    answered = await client.get(f"{API}/users?q=null", headers=await login("olga"))
    assert answered.status_code == 200, answered.text


@pytest.mark.parametrize("route", ["/auth/logout", "/notifications/read-all"])
async def test_an_optional_body_is_an_object_or_nothing(
    client: httpx.AsyncClient, login: Login, route: str
) -> None:
    headers = {**(await login("olga")), "content-type": "application/json"}
    refused = await client.post(f"{API}{route}", content=b"null", headers=headers)
    assert_problem(refused, 400, "MALFORMED_REQUEST")
    field = "workspace_id" if route.endswith("read-all") else "refresh_token"
    wrong_type = await client.post(f"{API}{route}", json={field: 1}, headers=headers)
    assert_problem(wrong_type, 422, "VALIDATION_ERROR", field)
    nothing = await client.post(f"{API}{route}", headers=await login("olga"))
    assert nothing.status_code in (200, 204), nothing.text


async def test_search_documents_q_as_required(client: httpx.AsyncClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    parameters = document["paths"]["/api/v1/workspaces/{workspace_id}/search"]["get"]["parameters"]
    q = next(p for p in parameters if p["name"] == "q")
    assert q["required"] is True
    assert (q["schema"]["minLength"], q["schema"]["maxLength"]) == (2, 200)
