"""The HTTP API with `auth.provider=keycloak` against the real realm `flowra`: the browser login
through Keycloak's own login form into a `flowra_session`, the transparent refresh and logout
of that session, the code exchange / refresh / logout of non-browser clients, the main flows
with password-grant tokens, and the user_sync job after changes made through the Admin API.
Realm users the tests create are deleted again."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec
import pytest
from dependency_injector import providers
from loguru import logger

from flowra_adapters.system import SystemClock
from flowra_core.app.core import FlowraCore
from flowra_core.app.users.sync import SyncOutcome
from flowra_core.domain.user import FLOWRA_BOT_ID, User, UserSource
from flowra_core.ports.identity import IdentityClaims
from flowra_entrypoints.container import Container, build_container
from flowra_entrypoints.http.app import create_app
from flowra_entrypoints.http.sessions import SESSION_KEY_PREFIX
from flowra_entrypoints.identity import IdentitySide, build_identity
from flowra_entrypoints.settings import Settings, load_settings
from flowra_entrypoints.worker.runner import Job
from flowra_entrypoints.worker.user_sync_job import build_user_sync_job

from .keycloak_admin import PASSWORD, RealmAdmin, realm_admin_session

pytestmark = pytest.mark.integration

REALM = "flowra"
APP_URL = "http://127.0.0.1:8080"
TRUSTED = {"Origin": APP_URL}
TokenFetcher = Callable[[str, str], Awaitable[str]]
LOGIN_FORM = re.compile(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"')


def config(keycloak_url: str) -> str:
    return f"""
log: {{level: error, format: text}}
server: {{public_url: "{APP_URL}"}}
auth: {{provider: keycloak, jwt_secret: "integration-secret-integration-secret-0123"}}
keycloak:
  url: "{keycloak_url}"
  realm: {REALM}
  client_id: flowra-backend
  client_secret: flowra-dev-secret
  admin_username: admin
  admin_password: admin
"""


@dataclass
class ShiftedClock:
    """The system clock moved forward by `offset` (to reach an access token's expiry)."""

    offset: timedelta = timedelta()
    _system: SystemClock = field(default_factory=SystemClock)

    def now(self) -> datetime:
        return self._system.now() + self.offset


@dataclass
class KeycloakFlowra:
    client: httpx.AsyncClient
    container: Container
    identity: IdentitySide
    settings: Settings
    http: httpx.AsyncClient
    clock: ShiftedClock

    @property
    def core(self) -> FlowraCore:
        core: FlowraCore = self.container.core()
        return core

    async def session_tokens(self) -> dict[str, Any]:
        cookie = self.client.cookies.get("flowra_session")
        assert cookie is not None
        raw = await self.container.ephemeral().get(SESSION_KEY_PREFIX + cookie.split(".")[0])
        assert raw is not None
        tokens: dict[str, Any] = msgspec.json.decode(raw)
        return tokens


@pytest.fixture
async def flowra(
    keycloak_http: httpx.AsyncClient, keycloak_url: str, tmp_path: Path
) -> AsyncIterator[KeycloakFlowra]:
    """The app on the in-memory profile with the Keycloak identity side (`build_identity`,
    put in place of the container's `identity`)."""
    path = tmp_path / "config.yaml"
    path.write_text(config(keycloak_url))
    settings = load_settings(str(path), environ={}).settings
    clock = ShiftedClock()
    container = build_container(settings)
    container.clock.override(providers.Object(clock))
    async with httpx.AsyncClient(timeout=10.0) as http:
        identity = build_identity(settings, clock, container.tokens(), container.ephemeral(), http)
        await identity.start()
        container.identity.override(providers.Object(identity))
        app = create_app(container)
        await app.litestar.state.core.users.ensure_bot()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=APP_URL) as client:
            yield KeycloakFlowra(client, container, identity, settings, http, clock)
        container.shutdown_resources()


async def keycloak_login_form(authorize_url: str, username: str) -> str:
    """Log in on Keycloak's page like a browser; returns the redirect Keycloak answers with.

    Keycloak marks its cookies `Secure; SameSite=None` even over plain http; browsers still
    send them to 127.0.0.1, httpx does not, so they are passed by hand."""
    async with httpx.AsyncClient(timeout=10.0) as browser:
        page = await browser.get(authorize_url)
        assert page.status_code == httpx.codes.OK, page.text
        form = LOGIN_FORM.search(page.text)
        assert form is not None, "no login form on Keycloak's page"
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies.jar)
        submitted = await browser.post(
            html.unescape(form.group(1)),
            data={"username": username, "password": PASSWORD},
            headers={"Cookie": cookies},
        )
    assert submitted.status_code == httpx.codes.FOUND, submitted.text
    location: str = submitted.headers["location"]
    return location


async def browser_login(flowra: KeycloakFlowra, username: str, redirect_to: str) -> httpx.Response:
    started = await flowra.client.get("/api/v1/auth/login", params={"redirect_to": redirect_to})
    assert started.status_code == httpx.codes.FOUND, started.text
    back = await keycloak_login_form(started.headers["location"], username)
    assert back.startswith(f"{APP_URL}/api/v1/auth/callback?")
    return await flowra.client.get(back)


class TestBrowserLogin:
    async def test_login_through_keycloak_opens_a_session(self, flowra: KeycloakFlowra) -> None:
        callback = await browser_login(flowra, "alice", "/workspaces?tab=mine")

        me = await flowra.client.get("/api/v1/auth/me")

        assert callback.status_code == httpx.codes.FOUND, callback.text
        assert callback.headers["location"] == "/workspaces?tab=mine"
        assert flowra.client.cookies.get("flowra_session") is not None
        assert me.status_code == httpx.codes.OK, me.text
        assert (me.json()["username"], me.json()["auth_provider"]) == ("alice", "keycloak")
        assert me.json()["email"] == "alice@flowra.test"

    async def test_an_expiring_access_token_is_refreshed_at_keycloak(
        self, flowra: KeycloakFlowra
    ) -> None:
        await browser_login(flowra, "bob", "/")
        before = await flowra.session_tokens()
        flowra.clock.offset = timedelta(seconds=before["access_expires_at"]) - timedelta(
            seconds=SystemClock().now().timestamp() + 5
        )

        me = await flowra.client.get("/api/v1/auth/me")

        after = await flowra.session_tokens()
        assert me.status_code == httpx.codes.OK, me.text
        assert after["access_token"] != before["access_token"]
        assert after["refresh_token"] != before["refresh_token"]

    async def test_logout_ends_the_keycloak_session_too(self, flowra: KeycloakFlowra) -> None:
        await browser_login(flowra, "testuser", "/")
        held = await flowra.session_tokens()
        me = (await flowra.client.get("/api/v1/auth/me")).json()

        response = await flowra.client.post("/api/v1/auth/logout", headers=TRUSTED)

        assert response.status_code == httpx.codes.NO_CONTENT, response.text
        assert (await flowra.client.get("/api/v1/auth/me")).status_code == 401
        refreshed = await flowra.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": held["refresh_token"]}
        )
        assert refreshed.json()["code"] == "INVALID_REFRESH_TOKEN"
        assert me["username"] == "testuser"

    async def test_a_callback_with_a_foreign_state_is_refused(self, flowra: KeycloakFlowra) -> None:
        started = await flowra.client.get("/api/v1/auth/login")
        back = await keycloak_login_form(started.headers["location"], "alice")

        response = await flowra.client.get(back.replace("state=", "state=x"))

        assert response.json()["code"] == "INVALID_OAUTH_STATE"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class TestNativeClient:
    async def test_code_exchange_refresh_and_logout(
        self, flowra: KeycloakFlowra, keycloak_url: str
    ) -> None:
        redirect_uri = "http://127.0.0.1:9999/native/callback"
        verifier, challenge = pkce_pair()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": "flowra-backend",
                "redirect_uri": redirect_uri,
                "scope": "openid",
                "state": "native-state",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        authorize = f"{keycloak_url}/realms/{REALM}/protocol/openid-connect/auth?{query}"
        back = await keycloak_login_form(authorize, "alice")
        code = httpx.URL(back).params["code"]

        exchanged = await flowra.client.post(
            "/api/v1/auth/token",
            json={"code": code, "redirect_uri": redirect_uri, "code_verifier": verifier},
        )
        tokens = exchanged.json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        me = await flowra.client.get("/api/v1/auth/me", headers=bearer)
        refreshed = await flowra.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        rotated = refreshed.json()["refresh_token"]
        logout = await flowra.client.post(
            "/api/v1/auth/logout", json={"refresh_token": rotated}, headers=bearer
        )
        after = await flowra.client.post("/api/v1/auth/refresh", json={"refresh_token": rotated})

        assert exchanged.status_code == httpx.codes.OK, exchanged.text
        assert (tokens["token_type"], tokens["user"]["username"]) == ("Bearer", "alice")
        assert tokens["expires_in"] > 0
        assert me.json()["id"] == tokens["user"]["id"]
        assert refreshed.status_code == httpx.codes.OK, refreshed.text
        assert logout.status_code == httpx.codes.NO_CONTENT
        assert (after.status_code, after.json()["code"]) == (401, "INVALID_REFRESH_TOKEN")

    async def test_a_made_up_code_is_login_failed(self, flowra: KeycloakFlowra) -> None:
        response = await flowra.client.post(
            "/api/v1/auth/token",
            json={"code": "made-up", "redirect_uri": f"{APP_URL}/cb", "code_verifier": "x" * 43},
        )

        assert (response.status_code, response.json()["code"]) == (401, "LOGIN_FAILED")

    async def test_the_dev_login_does_not_exist(self, flowra: KeycloakFlowra) -> None:
        response = await flowra.client.post("/api/v1/auth/dev/token", json={"username": "x"})

        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")


class TestMainFlows:
    async def test_workspace_invite_chat_and_tagged_message(
        self, flowra: KeycloakFlowra, password_grant: TokenFetcher
    ) -> None:
        alice = {"Authorization": f"Bearer {await password_grant('alice', PASSWORD)}"}
        bob = {"Authorization": f"Bearer {await password_grant('bob', PASSWORD)}"}
        client = flowra.client
        bob_id = (await client.get("/api/v1/auth/me", headers=bob)).json()["id"]

        created = await client.post(
            "/api/v1/workspaces", json={"name": f"Launch {uuid.uuid4().hex[:6]}"}, headers=alice
        )
        workspace = f"/api/v1/workspaces/{created.json()['id']}"
        invite = await client.post(f"{workspace}/invites", json={}, headers=alice)
        accepted = await client.post(
            f"/api/v1/invites/{invite.json()['token']}/accept", headers=bob
        )
        chat = await client.post(
            f"{workspace}/chats",
            json={"title": "Release", "participant_ids": [bob_id]},
            headers=alice,
        )
        chat_path = f"{workspace}/chats/{chat.json()['id']}"
        sent = await client.post(
            f"{chat_path}/messages",
            json={"content": "Ship it\n#task Ship the release\n#priority high\n#assignee @bob"},
            headers=alice,
        )
        seen_by_bob = await client.get(f"{chat_path}/messages", headers=bob)
        task = await client.get(chat_path, headers=bob)

        assert created.status_code == 201, created.text
        assert invite.status_code == 201, invite.text
        assert accepted.status_code == 200, accepted.text
        assert chat.status_code == 201, chat.text
        assert sent.status_code == 201, sent.text
        assert [r["ok"] for r in sent.json()["tag_results"]] == [True, True, True]
        assert sent.json()["bot_reply"] is not None
        seen = [message["id"] for message in seen_by_bob.json()["items"]]
        assert seen[:2] == [sent.json()["bot_reply"]["id"], sent.json()["id"]]
        body = task.json()
        assert (body["type"], body["title"], body["priority"]) == (
            "task",
            "Ship the release",
            "High",
        )
        assert body["assignee"]["username"] == "bob"

    async def test_an_expired_or_foreign_token_is_refused(
        self, flowra: KeycloakFlowra, password_grant: TokenFetcher
    ) -> None:
        token = await password_grant("alice", PASSWORD)
        flowra.clock.offset = timedelta(minutes=10)

        expired = await flowra.client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
        )
        forged = await flowra.client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {token[:-4]}AAAA"}
        )

        assert (expired.status_code, expired.json()["code"]) == (401, "TOKEN_EXPIRED")
        assert (forged.status_code, forged.json()["code"]) == (401, "UNAUTHENTICATED")


@pytest.fixture
async def realm_admin(
    keycloak_http: httpx.AsyncClient, keycloak_url: str
) -> AsyncIterator[RealmAdmin]:
    async with realm_admin_session(keycloak_http, keycloak_url) as admin:
        yield admin


@dataclass
class SyncRuns:
    job: Job
    outcomes: list[SyncOutcome]

    async def run(self) -> SyncOutcome:
        await self.job.run_once()
        return self.outcomes[-1]


@pytest.fixture
def user_sync(flowra: KeycloakFlowra) -> SyncRuns:
    outcomes: list[SyncOutcome] = []
    job = build_user_sync_job(flowra.core, flowra.settings, flowra.http, record_run=outcomes.append)
    assert job is not None
    assert (job.name, job.interval) == ("user_sync", 900.0)
    return SyncRuns(job, outcomes)


def local_claims(username: str) -> IdentityClaims:
    return IdentityClaims(
        external_id=f"local:{username}",
        username=username,
        email=f"{username}@flowra.local",
        display_name=None,
        is_system_admin=False,
        source=UserSource.DEV,
    )


async def flowra_user(flowra: KeycloakFlowra, external_id: str) -> User:
    user = await flowra.core.ports.users.by_external_id(external_id)
    assert user is not None, f"no Flowra user for {external_id}"
    return user


class TestUserSyncJob:
    async def test_creates_updates_and_deactivates_after_admin_api_changes(
        self, flowra: KeycloakFlowra, realm_admin: RealmAdmin, user_sync: SyncRuns
    ) -> None:
        tag = uuid.uuid4().hex[:8]
        kept = await realm_admin.create(f"it-keep-{tag}", first="Kim", last="Kept")
        gone = await realm_admin.create(f"it-gone-{tag}", first="Gus", last="Gone")
        off = await realm_admin.create(f"it-off-{tag}", first="Ola", last="Off")

        first = await user_sync.run()
        created = {uid: await flowra_user(flowra, uid) for uid in (kept, gone, off)}
        await realm_admin.update(kept, email=f"kim-{tag}@example.com", lastName="Renamed")
        await realm_admin.delete(gone)
        await realm_admin.update(off, enabled=False)
        second = await user_sync.run()
        await realm_admin.update(off, enabled=True)
        third = await user_sync.run()

        assert (first, second, third) == ("ok", "ok", "ok")
        assert created[kept].username == f"it-keep-{tag}"
        assert created[kept].display_name == "Kim Kept"
        assert all(user.is_active for user in created.values())
        updated = await flowra_user(flowra, kept)
        assert (updated.email, updated.display_name) == (f"kim-{tag}@example.com", "Kim Renamed")
        assert not (await flowra_user(flowra, gone)).is_active
        assert (await flowra_user(flowra, off)).is_active  # re-enabled by the third run

    async def test_a_disabled_account_is_deactivated_and_refused(
        self,
        flowra: KeycloakFlowra,
        realm_admin: RealmAdmin,
        user_sync: SyncRuns,
        password_grant: TokenFetcher,
    ) -> None:
        username = f"it-dis-{uuid.uuid4().hex[:8]}"
        user_id = await realm_admin.create(username, first="Dee", last="Abled")
        bearer = {"Authorization": f"Bearer {await password_grant(username, PASSWORD)}"}
        before = await flowra.client.get("/api/v1/auth/me", headers=bearer)
        await realm_admin.update(user_id, enabled=False)

        await user_sync.run()

        after = await flowra.client.get("/api/v1/auth/me", headers=bearer)
        assert before.status_code == httpx.codes.OK, before.text
        assert not (await flowra_user(flowra, user_id)).is_active
        assert (after.status_code, after.json()["code"]) == (403, "USER_INACTIVE")

    async def test_local_and_bot_users_survive(
        self, flowra: KeycloakFlowra, user_sync: SyncRuns
    ) -> None:
        await flowra.core.users.provision(local_claims("vera"))

        await user_sync.run()

        vera = await flowra.core.ports.users.by_external_id("local:vera")
        bot = await flowra.core.ports.users.get(FLOWRA_BOT_ID)
        assert vera is not None
        assert vera.is_active
        assert bot is not None
        assert bot.is_active


class TestUserSyncJobConfiguration:
    async def test_disabled_with_the_local_provider(self, flowra: KeycloakFlowra) -> None:
        settings = msgspec.structs.replace(
            flowra.settings, auth=msgspec.structs.replace(flowra.settings.auth, provider="local")
        )

        assert build_user_sync_job(flowra.core, settings, flowra.http) is None

    async def test_disabled_with_a_warning_without_admin_credentials(
        self, flowra: KeycloakFlowra
    ) -> None:
        settings = msgspec.structs.replace(
            flowra.settings,
            keycloak=msgspec.structs.replace(flowra.settings.keycloak, admin_password=""),
        )
        warnings: list[str] = []
        sink = logger.add(lambda message: warnings.append(str(message)), level="WARNING")
        try:
            job = build_user_sync_job(flowra.core, settings, flowra.http)
        finally:
            logger.remove(sink)

        assert job is None
        assert any("user sync disabled" in line for line in warnings)

    async def test_disabled_by_the_switch(self, flowra: KeycloakFlowra) -> None:
        settings = msgspec.structs.replace(
            flowra.settings,
            worker=msgspec.structs.replace(flowra.settings.worker, user_sync_enabled=False),
        )

        assert build_user_sync_job(flowra.core, settings, flowra.http) is None
