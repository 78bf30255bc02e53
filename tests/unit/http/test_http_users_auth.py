"""Users and authentication over HTTP with the local identity provider (http-api.md "Auth",
"Users"): dev tokens, bearer checks, refresh rotation, logout, the caller's profile, reading and
searching users.

Acme is owned by olga (adam admin, max and mia members); Globex is otto's; zed is in no workspace.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from flowra_core.app.core import FlowraCore
from flowra_core.app.users.service import user_kind
from flowra_core.domain.user import FLOWRA_BOT_ID, DeactivationReason, deactivate_user

from .http_kit import API, Headers, Login, assert_problem, case_id

SECRET = "a-test-secret-that-is-long-enough-for-hs256-0123456789"
USER_FIELDS = {
    "id",
    "username",
    "email",
    "display_name",
    "is_active",
    "is_system_admin",
    "created_at",
    "updated_at",
}
TOKEN_FIELDS = {
    "access_token",
    "refresh_token",
    "token_type",
    "expires_in",
    "refresh_expires_in",
    "user",
}


@pytest.fixture
def app_config() -> str:
    return f"auth:\n  jwt_secret: {SECRET}\n"


async def dev_token(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/auth/dev/token", json=body)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(tokens: dict[str, Any]) -> Headers:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def local_token(**claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": "flowra-local",
        "aud": "flowra",
        "sub": "local:kim",
        "typ": "Bearer",
        "iat": now,
        "exp": now + 60,
        "preferred_username": "kim",
        **claims,
    }
    return jwt.encode(payload, claims.pop("secret", SECRET), algorithm="HS256")


class TestDevToken:
    async def test_a_username_gets_tokens_and_a_default_profile(
        self, client: httpx.AsyncClient
    ) -> None:
        tokens = await dev_token(client, username="Kim.Lee")

        assert set(tokens) == TOKEN_FIELDS
        assert tokens["token_type"] == "Bearer"
        assert (tokens["expires_in"], tokens["refresh_expires_in"]) == (900, 7 * 86400)
        user = tokens["user"]
        assert set(user) == USER_FIELDS
        assert (user["username"], user["display_name"], user["email"]) == (
            "Kim.Lee",
            "Kim.Lee",
            "kim.lee@flowra.local",
        )
        assert (user["is_active"], user["is_system_admin"]) == (True, False)
        me = await client.get(f"{API}/users/me", headers=bearer(tokens))
        assert me.json() == user

    async def test_the_same_username_in_any_case_is_the_same_user_updated(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await dev_token(client, username="kim")
        again = await dev_token(
            client, username="KIM", display_name=" Kim Lee ", email="kim@example.com"
        )

        assert again["user"]["id"] == first["user"]["id"]
        assert (again["user"]["display_name"], again["user"]["email"]) == (
            "Kim Lee",
            "kim@example.com",
        )
        me = await client.get(f"{API}/auth/me", headers=bearer(first))
        assert me.json()["display_name"] == "Kim Lee"

    async def test_the_admin_flag_follows_the_latest_token(self, client: httpx.AsyncClient) -> None:
        admin = await dev_token(client, username="kim", is_system_admin=True)
        assert admin["user"]["is_system_admin"] is True
        me = await client.get(f"{API}/auth/me", headers=bearer(admin))
        assert me.json()["is_system_admin"] is True
        plain = await dev_token(client, username="kim")
        assert plain["user"]["is_system_admin"] is False

    async def test_invalid_input_is_422_and_creates_no_user(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login_sysadmin: Login
    ) -> None:
        for body, field in [
            ({}, "username"),
            ({"username": ""}, "username"),
            ({"username": "kim lee"}, "username"),
            ({"username": "kïm"}, "username"),
            ({"username": "k" * 65}, "username"),
            ({"username": 7}, "username"),
            ({"username": "kim", "display_name": 7}, "display_name"),
            ({"username": "kim", "display_name": "   "}, "display_name"),
            ({"username": "kim", "display_name": "d" * 101}, "display_name"),
            ({"username": "kim", "email": "no-at-sign"}, "email"),
            ({"username": "kim", "email": ["kim@example.com"]}, "email"),
            ({"username": "kim", "is_system_admin": "yes"}, "is_system_admin"),
            ({"username": "kim", "password": "x"}, "password"),
        ]:
            with subtests.test(msg=case_id(body, field)):
                response = await client.post(f"{API}/auth/dev/token", json=body)
                assert_problem(response, 422, "VALIDATION_ERROR", field)
                everyone = await client.get(f"{API}/users", headers=await login_sysadmin("root"))
                assert [u["username"] for u in everyone.json()["items"]] == ["root"]

    async def test_garbage_is_malformed(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            f"{API}/auth/dev/token",
            content=b"username=kim",
            headers={"content-type": "application/json"},
        )
        assert_problem(response, 400, "MALFORMED_REQUEST")


class TestBearer:
    async def test_missing_or_broken_credentials_are_unauthenticated(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient
    ) -> None:
        for authorization in [
            None,
            "",
            "Bearer",
            "Bearer   ",
            "Basic a2ltOnB3",
            "Token abc",
            "Bearer not.a.jwt",
        ]:
            with subtests.test(msg=case_id(authorization)):
                headers = {} if authorization is None else {"Authorization": authorization}
                response = await client.get(f"{API}/users/me", headers=headers)
                assert_problem(response, 401, "UNAUTHENTICATED")
                assert response.headers["www-authenticate"] == "Bearer"

    async def test_a_token_flowra_did_not_issue_for_this_user_is_refused(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient
    ) -> None:
        for claims in [
            {"secret": "another-secret-that-is-long-enough-for-hs256-0123456789"},
            {"iss": "someone-else"},
            {"aud": "another-api"},
            {"sub": "local:somebody-else"},
        ]:
            with subtests.test(msg=case_id(claims)):
                headers = {"Authorization": f"Bearer {local_token(**claims)}"}
                response = await client.get(f"{API}/users/me", headers=headers)
                assert_problem(response, 401, "UNAUTHENTICATED")

    async def test_an_expired_token_is_told_apart(self, client: httpx.AsyncClient) -> None:
        stale = local_token(iat=int(time.time()) - 600, exp=int(time.time()) - 120)
        response = await client.get(f"{API}/users/me", headers={"Authorization": f"Bearer {stale}"})
        assert_problem(response, 401, "TOKEN_EXPIRED")
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_a_valid_token_of_an_unknown_user_provisions_it(
        self, client: httpx.AsyncClient
    ) -> None:
        headers = {"Authorization": f"Bearer {local_token()}"}
        response = await client.get(f"{API}/users/me", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["username"] == "kim"

    async def test_an_inactive_user_is_refused(
        self, client: httpx.AsyncClient, core: FlowraCore
    ) -> None:
        tokens = await dev_token(client, username="kim")
        await core.write.execute(
            user_kind(core.ports.users),
            tokens["user"]["id"],
            lambda user: (
                []
                if user is None
                else deactivate_user(user, reason=DeactivationReason.IDP_DISABLED)
            ),
            actor_id=None,
        )
        response = await client.get(f"{API}/users/me", headers=bearer(tokens))
        assert_problem(response, 403, "USER_INACTIVE")
        refused = await client.post(f"{API}/auth/dev/token", json={"username": "kim"})
        assert_problem(refused, 403, "USER_INACTIVE")


class TestRefreshAndLogout:
    async def test_a_refresh_token_is_rotated(self, client: httpx.AsyncClient) -> None:
        tokens = await dev_token(client, username="kim", display_name="Kim")
        response = await client.post(
            f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )

        assert response.status_code == 200, response.text
        renewed = response.json()
        assert set(renewed) == TOKEN_FIELDS
        assert renewed["refresh_token"] != tokens["refresh_token"]
        assert renewed["user"]["id"] == tokens["user"]["id"]
        me = await client.get(f"{API}/auth/me", headers=bearer(renewed))
        assert me.json()["username"] == "kim"
        reused = await client.post(
            f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert_problem(reused, 401, "INVALID_REFRESH_TOKEN")
        chained = await client.post(
            f"{API}/auth/refresh", json={"refresh_token": renewed["refresh_token"]}
        )
        assert chained.status_code == 200

    async def test_refusals(self, subtests: pytest.Subtests, client: httpx.AsyncClient) -> None:
        for body, status, code, field in [
            ({"refresh_token": "never-issued"}, 401, "INVALID_REFRESH_TOKEN", None),
            ({"refresh_token": ""}, 401, "INVALID_REFRESH_TOKEN", None),
            ({}, 422, "VALIDATION_ERROR", "refresh_token"),
            ({"refresh_token": 1}, 422, "VALIDATION_ERROR", "refresh_token"),
            ({"refresh_token": "x", "scope": "all"}, 422, "VALIDATION_ERROR", "scope"),
        ]:
            with subtests.test(msg=case_id(body, status, code, field)):
                response = await client.post(f"{API}/auth/refresh", json=body)
                assert_problem(response, status, code, field)

    async def test_logout_revokes_the_refresh_token(self, client: httpx.AsyncClient) -> None:
        tokens = await dev_token(client, username="kim")
        response = await client.post(
            f"{API}/auth/logout",
            json={"refresh_token": tokens["refresh_token"]},
            headers=bearer(tokens),
        )
        assert response.status_code == 204
        assert response.content == b""
        refused = await client.post(
            f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert_problem(refused, 401, "INVALID_REFRESH_TOKEN")

    async def test_logout_without_a_body_revokes_nothing(self, client: httpx.AsyncClient) -> None:
        tokens = await dev_token(client, username="kim")
        response = await client.post(f"{API}/auth/logout", headers=bearer(tokens))
        assert response.status_code == 204
        kept = await client.post(
            f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert kept.status_code == 200

    async def test_logout_with_invalid_input_is_422_and_revokes_nothing(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient
    ) -> None:
        for body, field in [({"refresh_token": 5}, "refresh_token"), ({"all": True}, "all")]:
            with subtests.test(msg=case_id(body, field)):
                tokens = await dev_token(client, username="kim")
                response = await client.post(
                    f"{API}/auth/logout", json=body, headers=bearer(tokens)
                )
                assert_problem(response, 422, "VALIDATION_ERROR", field)
                kept = await client.post(
                    f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
                )
                assert kept.status_code == 200


class TestMe:
    async def test_auth_me_names_the_provider(
        self, client: httpx.AsyncClient, login: Login, user_ids: dict[str, str]
    ) -> None:
        response = await client.get(f"{API}/auth/me", headers=await login("max"))
        assert set(response.json()) == USER_FIELDS | {"auth_provider"}
        assert (response.json()["id"], response.json()["auth_provider"]) == (
            user_ids["max"],
            "local",
        )

    async def test_the_display_name_is_edited_and_trimmed(
        self, client: httpx.AsyncClient, login: Login
    ) -> None:
        headers = await login("max")
        response = await client.patch(
            f"{API}/users/me", json={"display_name": "  Max Power "}, headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["display_name"] == "Max Power"
        assert response.json()["username"] == "max"
        assert (await client.get(f"{API}/users/me", headers=headers)).json() == response.json()

    async def test_invalid_input_is_422_and_changes_nothing(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login
    ) -> None:
        for body, field in [
            ({}, "display_name"),
            ({"display_name": ""}, "display_name"),
            ({"display_name": "  "}, "display_name"),
            ({"display_name": "d" * 101}, "display_name"),
            ({"display_name": None}, "display_name"),
            ({"display_name": 3}, "display_name"),
            ({"display_name": "Max", "username": "maximus"}, "username"),
            ({"display_name": "Max", "email": "m@x.io"}, "email"),
        ]:
            with subtests.test(msg=case_id(body, field)):
                headers = await login("max")
                response = await client.patch(f"{API}/users/me", json=body, headers=headers)
                assert_problem(response, 422, "VALIDATION_ERROR", field)
                me = (await client.get(f"{API}/users/me", headers=headers)).json()
                assert (me["username"], me["display_name"], me["email"]) == (
                    "max",
                    "max",
                    "max@flowra.local",
                )


class TestReadUser:
    async def test_self_co_members_sysadmins_and_the_bot_are_readable(
        self,
        client: httpx.AsyncClient,
        login: Login,
        login_sysadmin: Login,
        user_ids: dict[str, str],
        workspace_id: str,
    ) -> None:
        url = f"{API}/users/{user_ids['max']}"
        for headers in [await login("max"), await login("mia"), await login_sysadmin("root")]:
            response = await client.get(url, headers=headers)
            assert response.status_code == 200, response.text
            assert set(response.json()) == USER_FIELDS
            assert response.json()["username"] == "max"
        bot = await client.get(f"{API}/users/{FLOWRA_BOT_ID}", headers=await login("zed"))
        assert (bot.json()["username"], bot.json()["display_name"]) == ("FlowraBot", "Flowra Bot")

    async def test_an_unknown_user_is_not_found(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login
    ) -> None:
        for user_id in ["0b7e4a8e-0000-4000-8000-000000000000", "not-an-id"]:
            with subtests.test(msg=case_id(user_id)):
                response = await client.get(f"{API}/users/{user_id}", headers=await login("max"))
                assert_problem(response, 404, "USER_NOT_FOUND")


class TestSearchUsers:
    async def test_co_members_by_username_without_the_bot(
        self,
        client: httpx.AsyncClient,
        login: Login,
        login_sysadmin: Login,
        workspace_id: str,
        other_workspace_id: str,
    ) -> None:
        listed = await client.get(f"{API}/users", headers=await login("mia"))
        assert [u["username"] for u in listed.json()["items"]] == ["adam", "max", "mia", "olga"]
        assert set(listed.json()["items"][0]) == USER_FIELDS
        everyone = await client.get(f"{API}/users", headers=await login_sysadmin("root"))
        assert [u["username"] for u in everyone.json()["items"]] == [
            "adam",
            "max",
            "mia",
            "olga",
            "otto",
            "root",
            "zed",
        ]

    async def test_q_is_a_literal_substring_of_name_display_name_or_email(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        for params, expected in [
            ({"q": "M"}, ["adam", "max", "mia"]),
            ({"q": "max@FLOWRA"}, ["max"]),
            ({"q": "Olga Q"}, ["olga"]),
            ({"q": "%"}, []),
            ({"q": ".local"}, ["adam", "max", "mia", "olga"]),
        ]:
            with subtests.test(msg=case_id(params, expected)):
                olga = await login("olga")
                await client.patch(
                    f"{API}/users/me", json={"display_name": "Olga Quinn"}, headers=olga
                )
                listed = await client.get(f"{API}/users", params=params, headers=await login("mia"))
                assert [u["username"] for u in listed.json()["items"]] == expected

    async def test_workspace_id_narrows_to_one_workspace(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        other_workspace_id: str,
    ) -> None:
        otto = await login("otto")
        await client.post(
            f"{API}/workspaces/{other_workspace_id}/members", json={"username": "max"}, headers=otto
        )
        max_headers = await login("max")
        everyone = await client.get(f"{API}/users", headers=max_headers)
        assert [u["username"] for u in everyone.json()["items"]] == [
            "adam",
            "max",
            "mia",
            "olga",
            "otto",
        ]
        globex = await client.get(
            f"{API}/users", params={"workspace_id": other_workspace_id}, headers=max_headers
        )
        assert [u["username"] for u in globex.json()["items"]] == ["max", "otto"]
        hidden = await client.get(
            f"{API}/users", params={"workspace_id": other_workspace_id}, headers=await login("mia")
        )
        assert_problem(hidden, 404, "WORKSPACE_NOT_FOUND")

    async def test_pages_stay_stable_when_users_arrive_between_them(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        headers = await login("mia")
        first = await client.get(f"{API}/users", params={"limit": 2}, headers=headers)
        assert [u["username"] for u in first.json()["items"]] == ["adam", "max"]
        for username in ["aaron", "mila"]:
            await login(username)
            await client.post(
                f"{API}/workspaces/{workspace_id}/members",
                json={"username": username},
                headers=await login("olga"),
            )
        params = {"limit": 10, "cursor": first.json()["next_cursor"]}
        rest = await client.get(f"{API}/users", params=params, headers=headers)
        assert [u["username"] for u in rest.json()["items"]] == ["mia", "mila", "olga"]
        assert rest.json()["next_cursor"] is None

    async def test_bad_parameters_are_422(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        for params, field in [
            ({"limit": "0"}, "limit"),
            ({"limit": "x"}, "limit"),
            ({"cursor": "zzz"}, "cursor"),
        ]:
            with subtests.test(msg=case_id(params, field)):
                response = await client.get(
                    f"{API}/users", params=params, headers=await login("mia")
                )
                assert_problem(response, 422, "VALIDATION_ERROR", field)

    async def test_a_cursor_is_bound_to_its_query(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        headers = await login("mia")
        first = await client.get(f"{API}/users", params={"limit": 1}, headers=headers)
        params = {"cursor": first.json()["next_cursor"], "q": "m"}
        response = await client.get(f"{API}/users", params=params, headers=headers)
        assert_problem(response, 422, "VALIDATION_ERROR", "cursor")
