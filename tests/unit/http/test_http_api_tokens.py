"""API tokens and bots over HTTP: the secret once, Bearer auth next to JWTs, scopes that
narrow and never widen, revocation and expiry on the next request, per-token rate limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from tests.unit.http.conftest import Headers
from tests.unit.http.http_kit import assert_problem, messages_url, ok, send

from flowra_core.testing.clock import FixedClock

TOKENS = "/api/v1/tokens"
Login = Callable[[str], Awaitable[Headers]]


def bearer(secret: str) -> Headers:
    return {"Authorization": f"Bearer {secret}"}


async def new_token(
    client: httpx.AsyncClient, headers: Headers, *scopes: str, **fields: object
) -> dict[str, object]:
    body = {"name": "ci", "scopes": list(scopes), **fields}
    response = await client.post(TOKENS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_a_personal_token_authenticates_as_its_user_and_its_secret_is_shown_once(
    client: httpx.AsyncClient, login: Login, user_ids: dict[str, str]
) -> None:
    olga = await login("olga")
    created = await new_token(client, olga, "read")
    secret = str(created["secret"])
    assert secret.startswith("flowra_pat_")
    me = await ok(client.get("/api/v1/users/me", headers=bearer(secret)))
    assert me["id"] == user_ids["olga"]
    listed = await ok(client.get(TOKENS, headers=olga))
    assert [t["name"] for t in listed["items"]] == ["ci"]
    assert "secret" not in listed["items"][0]
    assert secret not in str(listed)
    assert listed["items"][0]["last_used_at"] is not None


async def test_a_wrong_or_malformed_secret_is_401(client: httpx.AsyncClient, login: Login) -> None:
    created = await new_token(client, await login("olga"), "read")
    secret = str(created["secret"])
    tampered = secret[:-2] + ("AA" if not secret.endswith("AA") else "BB")
    for bad in (tampered, "flowra_pat_nothex_x", "flowra_pat_"):
        assert_problem(
            await client.get("/api/v1/users/me", headers=bearer(bad)), 401, "UNAUTHENTICATED"
        )


async def test_a_read_token_cannot_write_and_a_write_token_cannot_administer(
    client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
) -> None:
    olga = await login("olga")  # the workspace owner
    reader = bearer(str((await new_token(client, olga, "read"))["secret"]))
    writer = bearer(str((await new_token(client, olga, "write"))["secret"]))
    url = messages_url(workspace_id, chat_id)
    assert_problem(
        await client.post(url, json={"content": "hi"}, headers=reader), 403, "INSUFFICIENT_SCOPE"
    )
    await send(client, url, writer, "hi from a script")
    rename = {"name": "Acme 2"}
    ws_url = f"/api/v1/workspaces/{workspace_id}"
    assert_problem(
        await client.patch(ws_url, json=rename, headers=writer), 403, "INSUFFICIENT_SCOPE"
    )
    admin = bearer(str((await new_token(client, olga, "admin"))["secret"]))
    assert (await ok(client.patch(ws_url, json=rename, headers=admin)))["name"] == "Acme 2"


async def test_an_admin_scope_never_widens_the_users_rights(
    client: httpx.AsyncClient, login: Login, workspace_id: str
) -> None:
    max_admin_token = bearer(str((await new_token(client, await login("max"), "admin"))["secret"]))
    response = await client.patch(
        f"/api/v1/workspaces/{workspace_id}", json={"name": "Mine"}, headers=max_admin_token
    )
    assert_problem(response, 403, "FORBIDDEN")


async def test_a_sysadmin_token_without_admin_scope_is_not_a_sysadmin(
    client: httpx.AsyncClient, login_sysadmin: Login, other_workspace_id: str
) -> None:
    root = await login_sysadmin("root")
    reader = bearer(str((await new_token(client, root, "read"))["secret"]))
    url = f"/api/v1/workspaces/{other_workspace_id}"
    assert (await client.get(url, headers=root)).status_code == 200
    assert_problem(await client.get(url, headers=reader), 404, "WORKSPACE_NOT_FOUND")


async def test_a_revoked_token_is_refused_on_the_next_request(
    client: httpx.AsyncClient, login: Login
) -> None:
    olga = await login("olga")
    created = await new_token(client, olga, "read")
    headers = bearer(str(created["secret"]))
    assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 200
    revoke = await client.delete(f"{TOKENS}/{created['token']['id']}", headers=olga)  # type: ignore[index]
    assert revoke.status_code == 204
    assert_problem(await client.get("/api/v1/users/me", headers=headers), 401, "UNAUTHENTICATED")
    listed = await ok(client.get(TOKENS, headers=olga))
    assert listed["items"][0]["revoked_at"] is not None


async def test_an_expired_token_is_refused(
    client: httpx.AsyncClient, login: Login, clock: FixedClock
) -> None:
    olga = await login("olga")
    expires = (clock.now() + timedelta(minutes=5)).isoformat()
    headers = bearer(str((await new_token(client, olga, "read", expires_at=expires))["secret"]))
    assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 200
    clock.advance(timedelta(minutes=6))
    assert_problem(await client.get("/api/v1/users/me", headers=headers), 401, "TOKEN_EXPIRED")


async def test_tokens_of_others_are_invisible(client: httpx.AsyncClient, login: Login) -> None:
    created = await new_token(client, await login("olga"), "read")
    token_id = created["token"]["id"]  # type: ignore[index]
    max_headers = await login("max")
    assert_problem(
        await client.delete(f"{TOKENS}/{token_id}", headers=max_headers), 404, "TOKEN_NOT_FOUND"
    )
    olga_id = created["token"]["user_id"]  # type: ignore[index]
    response = await client.get(TOKENS, params={"user_id": olga_id}, headers=max_headers)
    assert_problem(response, 404, "USER_NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["root"]}, "scopes"),
        ({"name": "x", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ],
)
async def test_bad_token_input_names_the_field(
    client: httpx.AsyncClient, login: Login, body: dict[str, object], field: str
) -> None:
    response = await client.post(TOKENS, json=body, headers=await login("olga"))
    assert_problem(response, 422, "VALIDATION_ERROR", field)


async def test_a_token_cannot_create_tokens_without_the_admin_scope(
    client: httpx.AsyncClient, login: Login
) -> None:
    writer = bearer(str((await new_token(client, await login("olga"), "write"))["secret"]))
    response = await client.post(TOKENS, json={"name": "x", "scopes": ["read"]}, headers=writer)
    assert_problem(response, 403, "INSUFFICIENT_SCOPE")


async def test_a_read_token_may_take_a_websocket_ticket(
    client: httpx.AsyncClient, login: Login
) -> None:
    reader = bearer(str((await new_token(client, await login("olga"), "read"))["secret"]))
    ticket = await ok(client.post("/api/v1/ws/ticket", headers=reader))
    assert ticket["ticket"]


async def test_a_bot_posts_as_itself_not_as_flowra_bot(
    client: httpx.AsyncClient,
    login: Login,
    workspace_id: str,
    make_chat: Callable[..., Awaitable[str]],
) -> None:
    adam = await login("adam")  # a workspace admin
    bots_url = f"/api/v1/workspaces/{workspace_id}/bots"
    bot = await ok(client.post(bots_url, json={"name": "CI Runner"}, headers=adam))
    assert (bot["name"], bot["avatar_letter"], bot["username"]) == (
        "CI Runner",
        "C",
        "bot-ci-runner",
    )
    created = await new_token(client, adam, "write", user_id=bot["user_id"])
    bot_headers = bearer(str(created["secret"]))
    chat = await make_chat("adam")
    await ok(
        client.post(
            f"/api/v1/workspaces/{workspace_id}/chats/{chat}/participants",
            json={"user_id": bot["user_id"]},
            headers=adam,
        )
    )
    message = await send(client, messages_url(workspace_id, chat), bot_headers, "build green")
    assert message["author_id"] == bot["user_id"]
    assert message["author"]["display_name"] == "CI Runner"
    profile = await ok(client.get(f"/api/v1/users/{bot['user_id']}", headers=adam))
    assert profile["display_name"] == "CI Runner"
    listed = await ok(client.get(bots_url, headers=adam))
    assert [b["user_id"] for b in listed["items"]] == [bot["user_id"]]


async def test_only_workspace_admins_create_bots_and_manage_their_tokens(
    client: httpx.AsyncClient, login: Login, workspace_id: str
) -> None:
    bots_url = f"/api/v1/workspaces/{workspace_id}/bots"
    assert_problem(
        await client.post(bots_url, json={"name": "x"}, headers=await login("max")),
        403,
        "FORBIDDEN",
    )
    bot = await ok(client.post(bots_url, json={"name": "Deploy"}, headers=await login("adam")))
    response = await client.post(
        TOKENS,
        json={"name": "x", "scopes": ["read"], "user_id": bot["user_id"]},
        headers=await login("max"),
    )
    assert_problem(response, 404, "USER_NOT_FOUND")
    response = await client.post(
        bots_url, json={"name": "x", "avatar_letter": "%"}, headers=await login("adam")
    )
    assert_problem(response, 422, "VALIDATION_ERROR", "avatar_letter")


async def test_rate_limits_count_per_token(
    make_app: Callable[[str], Awaitable[httpx.AsyncClient]],
) -> None:
    limited = await make_app("rate_limit:\n  enabled: true\n  user_limit: 3\n  window: 60s\n")
    login = await ok(limited.post("/api/v1/auth/dev/token", json={"username": "olga"}))
    olga = bearer(login["access_token"])
    first = bearer(str((await new_token(limited, olga, "read"))["secret"]))
    second = bearer(str((await new_token(limited, olga, "read"))["secret"]))
    for _ in range(3):
        assert (await limited.get("/api/v1/users/me", headers=first)).status_code == 200
    assert_problem(await limited.get("/api/v1/users/me", headers=first), 429, "RATE_LIMITED")
    assert (await limited.get("/api/v1/users/me", headers=second)).status_code == 200


async def test_token_authentications_are_counted(client: httpx.AsyncClient, login: Login) -> None:
    headers = bearer(str((await new_token(client, await login("olga"), "read"))["secret"]))
    await ok(client.get("/api/v1/users/me", headers=headers))
    await client.get("/api/v1/users/me", headers=bearer("flowra_pat_" + "0" * 32 + "_nope"))
    exposition = (await client.get("/metrics")).text
    assert 'flowra_api_token_authentications_total{outcome="accepted"} 1.0' in exposition
    assert 'flowra_api_token_authentications_total{outcome="unauthenticated"} 1.0' in exposition


async def test_the_token_routes_document_their_errors(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    revoke = schema["paths"]["/api/v1/tokens/{token_id}"]["delete"]["responses"]
    assert "TOKEN_NOT_FOUND" in revoke["404"]["description"]
    assert "INSUFFICIENT_SCOPE" in revoke["403"]["description"]
    assert "UNAUTHENTICATED" in revoke["401"]["description"]
