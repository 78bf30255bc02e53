"""Methods a path does not have (issue 16, found by schemathesis): `OPTIONS` lists every method
of the path in `Allow`, and a body sent with a missing method is a 405, whatever its type."""

from __future__ import annotations

import httpx
import pytest

from .http_kit import API, Login


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        (f"{API}/users/me", {"GET", "PATCH"}),
        (f"{API}/workspaces", {"GET", "POST"}),
        (f"{API}/workspaces/w1", {"GET", "PATCH", "DELETE"}),
        (f"{API}/workspaces/w1/chats/c1/messages/m1/reactions/x", {"PUT", "DELETE"}),
    ],
)
async def test_options_allows_every_method_of_the_path(
    client: httpx.AsyncClient, path: str, methods: set[str]
) -> None:
    answered = await client.options(path)
    assert answered.status_code == 204
    assert {m.strip() for m in answered.headers["allow"].split(",")} == methods | {"OPTIONS"}


async def test_a_missing_method_is_405_even_with_a_foreign_body(
    client: httpx.AsyncClient, login: Login
) -> None:
    answered = await client.put(
        f"{API}/workspaces/w1/chats/c1/files",
        content=b"hello",
        headers={**(await login("olga")), "content-type": "text/plain"},
    )
    assert answered.status_code == 405
    assert answered.json()["code"] == "METHOD_NOT_ALLOWED"
