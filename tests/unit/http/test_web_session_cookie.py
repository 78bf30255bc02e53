"""The web client's session cookie: HttpOnly, SameSite=Lax, Secure exactly when the public
URL is https; the sign-in form refuses other origins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

MakeApp = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.mark.parametrize(
    ("public_url", "secure"),
    [("http://chat.example.com", False), ("https://chat.example.com", True)],
)
async def test_the_session_cookie_is_secure_behind_https(
    make_app: MakeApp, public_url: str, secure: bool
) -> None:
    client = await make_app(f'server: {{public_url: "{public_url}"}}\n')
    answer = await client.post(
        "/login", data={"username": "web_cookie"}, headers={"Origin": public_url}
    )
    assert answer.status_code == 303, answer.text
    attributes = [part.strip().lower() for part in answer.headers["set-cookie"].split(";")]
    assert attributes[0].startswith("flowra_session=")
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert ("secure" in attributes) is secure


async def test_sign_in_from_another_origin_is_refused(make_app: MakeApp) -> None:
    client = await make_app('server: {public_url: "https://chat.example.com"}\n')
    answer = await client.post(
        "/login", data={"username": "web_cookie"}, headers={"Origin": "https://evil.example"}
    )
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers
