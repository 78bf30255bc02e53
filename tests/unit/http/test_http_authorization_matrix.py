"""The authorization table of http-api.md §3 over HTTP: every route of §5 × every kind of caller
gets exactly the spec's answer (status and `code`), and a refused request stores nothing.

One app serves the whole module; each case builds a fresh "Acme" in it, so cases never see each
other's writes. Acme is owned by olga; adam is an admin; cara, max, pia, mia and tina are members.
cara created the public task "Launch" and the private task "Secret", both with max and pia as
participants, so cara is their chat admin. otto owns "Globex", zed belongs to no workspace and
root is a system administrator in no workspace.

Callers of chat routes: `owner` olga, `admin` adam, `chat-admin` cara, `participant` max,
`member` mia (reads the public chat only), `…@private` (the same user on the private chat),
`sysadmin` root, `foreign` otto and `anonymous`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
import pytest_asyncio
from litestar import Litestar

from flowra_core.domain.user import FLOWRA_BOT_ID
from flowra_entrypoints.container import build_container
from flowra_entrypoints.http.app import create_app
from flowra_entrypoints.settings import load_settings

from .http_kit import API

pytestmark = pytest.mark.asyncio(loop_scope="module")

MEMBERS: Final = [
    ("adam", "admin"),
    *((name, "member") for name in ("cara", "max", "pia", "mia", "tina")),
]
SYSADMIN = "root"


# -- outcomes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """`status` None: the route's own success status."""

    status: int | None
    code: str | None = None


ALLOWED = Outcome(None)
UNAUTHENTICATED = Outcome(401, "UNAUTHENTICATED")
FORBIDDEN = Outcome(403, "FORBIDDEN")
NOT_PARTICIPANT = Outcome(403, "NOT_PARTICIPANT")
NOT_FOUND = Outcome(404, "NOT_FOUND")
WORKSPACE_NOT_FOUND = Outcome(404, "WORKSPACE_NOT_FOUND")
CHAT_NOT_FOUND = Outcome(404, "CHAT_NOT_FOUND")
USER_NOT_FOUND = Outcome(404, "USER_NOT_FOUND")
FILE_NOT_FOUND = Outcome(404, "FILE_NOT_FOUND")
NOTIFICATION_NOT_FOUND = Outcome(404, "NOTIFICATION_NOT_FOUND")
LAST_CHAT_ADMIN = Outcome(409, "LAST_CHAT_ADMIN")
OWNER_CANNOT_LEAVE = Outcome(409, "OWNER_CANNOT_LEAVE")


@dataclass(frozen=True)
class Caller:
    name: str
    username: str | None  # None: anonymous
    private: bool = False  # the chat routes target the private chat


CHAT_CALLERS = (
    Caller("owner", "olga"),
    Caller("admin", "adam"),
    Caller("chat-admin", "cara"),
    Caller("participant", "max"),
    Caller("member", "mia"),
    Caller("member@private", "mia", private=True),
    Caller("admin@private", "adam", private=True),
    Caller("sysadmin", SYSADMIN),
    Caller("sysadmin@private", SYSADMIN, private=True),
    Caller("foreign", "otto"),
    Caller("anonymous", None),
)
WORKSPACE_CALLERS = (
    *(c for c in CHAT_CALLERS if c.name in {"owner", "admin", "member", "sysadmin", "foreign"}),
    Caller("anonymous", None),
)
GLOBAL_CALLERS = (
    Caller("member", "mia"),
    Caller("participant", "max"),
    Caller("sysadmin", SYSADMIN),
    Caller("foreign", "otto"),
    Caller("loner", "zed"),
    Caller("anonymous", None),
)

Rule = Mapping[str, Outcome]
OUTSIDERS: Rule = {"foreign": WORKSPACE_NOT_FOUND, "anonymous": UNAUTHENTICATED}

# -- workspace rules (§3): member or sysadmin sees the workspace; the rest is rights --------
MEMBER_READ: Rule = {"owner": ALLOWED, "admin": ALLOWED, "member": ALLOWED, "sysadmin": ALLOWED}
MEMBER_WRITE: Rule = {**MEMBER_READ, "sysadmin": FORBIDDEN}
WS_ADMIN: Rule = {**MEMBER_WRITE, "member": FORBIDDEN}
OWNER: Rule = {**WS_ADMIN, "admin": FORBIDDEN}
# Removing oneself is leaving, which the owner may not (domain.md §2).
LEAVE_WORKSPACE: Rule = {**MEMBER_WRITE, "owner": OWNER_CANNOT_LEAVE}

# -- chat rules (§3): read(chat), write(chat) = participant, manage(chat) ------------------
CHAT_READ: Rule = {
    "owner": ALLOWED,
    "admin": ALLOWED,
    "chat-admin": ALLOWED,
    "participant": ALLOWED,
    "member": ALLOWED,
    "member@private": CHAT_NOT_FOUND,
    "admin@private": CHAT_NOT_FOUND,
    "sysadmin": ALLOWED,
    "sysadmin@private": ALLOWED,
}
# Sysadmins are never implicit participants: like any reader, they are told to take part.
CHAT_WRITE: Rule = {
    **CHAT_READ,
    "owner": NOT_PARTICIPANT,
    "admin": NOT_PARTICIPANT,
    "member": NOT_PARTICIPANT,
    "sysadmin": NOT_PARTICIPANT,
    "sysadmin@private": NOT_PARTICIPANT,
}
CHAT_MANAGE: Rule = {
    **CHAT_READ,
    "participant": FORBIDDEN,
    "member": FORBIDDEN,
    "sysadmin": FORBIDDEN,
    "sysadmin@private": FORBIDDEN,
}
# cara is the only chat admin of her chats.
CHAT_LEAVE: Rule = {**CHAT_WRITE, "chat-admin": LAST_CHAT_ADMIN}
# Any member joins a public chat (a participant again: no-op); a private one stays hidden.
CHAT_JOIN: Rule = {**CHAT_READ, "sysadmin": FORBIDDEN, "sysadmin@private": CHAT_NOT_FOUND}
# max wrote the message.
MESSAGE_EDIT: Rule = {
    **CHAT_MANAGE,
    "owner": FORBIDDEN,
    "admin": FORBIDDEN,
    "chat-admin": FORBIDDEN,
    "participant": ALLOWED,
}
MESSAGE_DELETE: Rule = {**CHAT_MANAGE, "participant": ALLOWED}
# Downloads have no workspace in the path: everything unreadable is FILE_NOT_FOUND.
FILE_READ: Rule = {
    name: FILE_NOT_FOUND if outcome.status == 404 else outcome
    for name, outcome in {**CHAT_READ, **OUTSIDERS}.items()
}

# -- routes outside a workspace -------------------------------------------------------------
AUTHENTICATED: Rule = {c.name: ALLOWED for c in GLOBAL_CALLERS} | {"anonymous": UNAUTHENTICATED}
PUBLIC: Rule = {c.name: ALLOWED for c in GLOBAL_CALLERS}
KEYCLOAK_ONLY: Rule = {c.name: NOT_FOUND for c in GLOBAL_CALLERS}
# Target: max. Self, anyone sharing a workspace, or a sysadmin.
USER_READ: Rule = {**AUTHENTICATED, "foreign": USER_NOT_FOUND, "loner": USER_NOT_FOUND}
# Target: a notification of max.
RECIPIENT: Rule = {
    **{c.name: NOTIFICATION_NOT_FOUND for c in GLOBAL_CALLERS},
    "participant": ALLOWED,
    "anonymous": UNAUTHENTICATED,
}
SYSADMIN_ONLY: Rule = {
    **{c.name: FORBIDDEN for c in GLOBAL_CALLERS},
    "sysadmin": ALLOWED,
    "anonymous": UNAUTHENTICATED,
}
# `/users?workspace_id=W`: a non-member gets 404 WORKSPACE_NOT_FOUND.
WORKSPACE_USERS: Rule = {
    **AUTHENTICATED,
    "foreign": WORKSPACE_NOT_FOUND,
    "loner": WORKSPACE_NOT_FOUND,
}


# -- the app and the world of one case -------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    json: Any = None
    files: dict[str, tuple[str, bytes, str]] | None = None


class Api:
    """The shared app: a client, and the token and id of every user logged in."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.headers: dict[str, dict[str, str]] = {}
        self.ids: dict[str, str] = {}
        self.foreign_workspace_id = ""

    async def log_in(self, username: str, *, sysadmin: bool = False) -> None:
        body = {"username": username, "is_system_admin": sysadmin}
        response = await self.client.post(f"{API}/auth/dev/token", json=body)
        assert response.status_code == 200, response.text
        tokens = response.json()
        self.headers[username] = {"Authorization": f"Bearer {tokens['access_token']}"}
        self.ids[username] = tokens["user"]["id"]

    async def ok(self, username: str, method: str, url: str, **kwargs: Any) -> Any:
        """A request that must succeed; its JSON body (None when empty)."""
        response = await self.client.request(method, url, headers=self.headers[username], **kwargs)
        assert response.is_success, f"{method} {url} as {username}: {response.text}"
        return response.json() if response.content else None

    async def world(self) -> World:
        workspace = await self.ok("olga", "POST", f"{API}/workspaces", json={"name": "Acme"})
        w = f"{API}/workspaces/{workspace['id']}"
        for username, role in MEMBERS:
            await self.ok("olga", "POST", f"{w}/members", json={"username": username, "role": role})
        world = World(self, workspace["id"])
        world.public_chat = await world.create_chat("task", "Launch", is_public=True)
        world.private_chat = await world.create_chat("task", "Secret", is_public=False)
        return world


@dataclass
class World:
    api: Api
    workspace_id: str
    public_chat: str = ""
    private_chat: str = ""

    @property
    def w(self) -> str:
        return f"{API}/workspaces/{self.workspace_id}"

    def chat_id(self, caller: Caller) -> str:
        return self.private_chat if caller.private else self.public_chat

    async def create_chat(self, chat_type: str, title: str, *, is_public: bool) -> str:
        body = {
            "type": chat_type,
            "title": title,
            "is_public": is_public,
            "participant_ids": [self.api.ids["max"], self.api.ids["pia"]],
        }
        created = await self.api.ok("cara", "POST", f"{self.w}/chats", json=body)
        chat_id: str = created["id"]
        return chat_id

    async def snapshot(self) -> list[Any]:
        """Everything a refused request could have changed, as the sysadmin and owner see it."""
        ok = self.api.ok
        chats = await ok(SYSADMIN, "GET", f"{self.w}/chats", params={"limit": 100})
        state = [
            await ok(SYSADMIN, "GET", self.w),
            await ok(SYSADMIN, "GET", f"{self.w}/members", params={"limit": 100}),
            await ok("olga", "GET", f"{self.w}/invites", params={"limit": 100}),
            chats,
        ]
        for chat in chats["items"]:
            c = f"{self.w}/chats/{chat['id']}"
            state.append(await ok(SYSADMIN, "GET", c))
            state.append(await ok(SYSADMIN, "GET", f"{c}/messages", params={"limit": 100}))
        return state


# Placeholders of a route's URL: W, C (the caller's chat), self (the caller's id or max's),
# the ids of max, pia and tina, plus whatever the route's `before` step returns.
Before = Callable[[World, Caller], Awaitable[dict[str, str]]]


async def _nothing(world: World, caller: Caller) -> dict[str, str]:
    return {}


async def _discussion(world: World, caller: Caller) -> dict[str, str]:
    chat_id = await world.create_chat("discussion", "Talk", is_public=not caller.private)
    return {"C": f"{world.w}/chats/{chat_id}"}


async def _closed(world: World, caller: Caller) -> dict[str, str]:
    await world.api.ok("cara", "POST", f"{world.w}/chats/{world.chat_id(caller)}/close")
    return {}


async def _message_by_max(world: World, caller: Caller) -> dict[str, str]:
    c = f"{world.w}/chats/{world.chat_id(caller)}"
    sent = await world.api.ok("max", "POST", f"{c}/messages", json={"content": "Hi :)"})
    await world.api.ok("cara", "PUT", f"{c}/messages/{sent['id']}/reactions/%F0%9F%91%8D")
    return {"M": f"{c}/messages/{sent['id']}"}


async def _file_by_max(world: World, caller: Caller) -> dict[str, str]:
    c = f"{world.w}/chats/{world.chat_id(caller)}"
    files = {"file": ("plan.txt", b"plan", "text/plain")}
    uploaded = await world.api.ok("max", "POST", f"{c}/files", files=files)
    return {"file": uploaded["id"]}


async def _attached_file(world: World, caller: Caller) -> dict[str, str]:
    placeholders = await _file_by_max(world, caller)
    c = f"{world.w}/chats/{world.chat_id(caller)}"
    await world.api.ok("max", "POST", f"{c}/attachments", json={"file_id": placeholders["file"]})
    return placeholders


async def _invite(world: World, caller: Caller) -> dict[str, str]:
    invite = await world.api.ok("olga", "POST", f"{world.w}/invites", json={})
    return {"invite": invite["id"], "token": invite["token"]}


async def _notification_of_max(world: World, caller: Caller) -> dict[str, str]:
    params = {"workspace_id": world.workspace_id}
    inbox = await world.api.ok("max", "GET", f"{API}/notifications", params=params)
    return {"notification": inbox["items"][0]["id"]}


async def _refresh_token(world: World, caller: Caller) -> dict[str, str]:
    response = await world.api.client.post(f"{API}/auth/dev/token", json={"username": "rita"})
    return {"refresh_token": response.json()["refresh_token"]}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the spec's path with the placeholders
    rule: Rule
    success: int = 200
    body: Any = None
    before: Before = _nothing
    upload: bool = False
    label: str = ""  # set when the same path appears with another body
    callers: tuple[Caller, ...] = field(default=CHAT_CALLERS)

    @property
    def name(self) -> str:
        return f"{self.method} {self.label or self.path}"

    def expected(self, caller: Caller) -> Outcome:
        return {**OUTSIDERS, **self.rule}[caller.name]


def _ws(method: str, path: str, rule: Rule, success: int = 200, **kw: Any) -> Route:
    return Route(method, path, rule, success, callers=WORKSPACE_CALLERS, **kw)


def _global(method: str, path: str, rule: Rule, success: int = 200, **kw: Any) -> Route:
    return Route(method, path, rule, success, callers=GLOBAL_CALLERS, **kw)


STATUS = {"status": "In Progress"}
ROUTES = (
    # Auth (local provider)
    _global("GET", "/api/v1/auth/login", KEYCLOAK_ONLY),
    _global("GET", "/api/v1/auth/callback?code=c&state=s", KEYCLOAK_ONLY),
    _global("POST", "/api/v1/auth/token", KEYCLOAK_ONLY, body={"code": "c", "redirect_uri": "/"}),
    _global(
        "POST",
        "/api/v1/auth/refresh",
        PUBLIC,
        body={"refresh_token": "{refresh_token}"},
        before=_refresh_token,
    ),
    _global("POST", "/api/v1/auth/logout", AUTHENTICATED, 204),
    _global("GET", "/api/v1/auth/me", AUTHENTICATED),
    _global("POST", "/api/v1/auth/dev/token", PUBLIC, body={"username": "vera"}),
    # Users
    _global("GET", "/api/v1/users/me", AUTHENTICATED),
    _global("PATCH", "/api/v1/users/me", AUTHENTICATED, body={"display_name": "Me"}),
    _global("GET", "/api/v1/users/{max}", USER_READ),
    _global("GET", "/api/v1/users/{bot}", AUTHENTICATED, label="/api/v1/users/{flowra_bot}"),
    _global("GET", "/api/v1/users", AUTHENTICATED),
    _global("GET", "/api/v1/users?workspace_id={workspace_id}", WORKSPACE_USERS),
    # Workspaces, members, invites
    _global("POST", "/api/v1/workspaces", AUTHENTICATED, 201, body={"name": "Mine"}),
    _global("GET", "/api/v1/workspaces", AUTHENTICATED),
    _global("GET", "/api/v1/workspaces?all=true", SYSADMIN_ONLY),
    _ws("GET", "{W}", MEMBER_READ),
    _ws("PATCH", "{W}", WS_ADMIN, body={"name": "Renamed"}),
    _ws("DELETE", "{W}", OWNER, 204),
    _ws("GET", "{W}/members", MEMBER_READ),
    _ws("POST", "{W}/members", WS_ADMIN, 201, body={"username": "zed"}),
    _ws("PATCH", "{W}/members/{tina}", OWNER, body={"role": "admin"}),
    _ws("DELETE", "{W}/members/{tina}", WS_ADMIN, 204),
    _ws("DELETE", "{W}/members/{self}", LEAVE_WORKSPACE, 204),
    _ws("POST", "{W}/leave", LEAVE_WORKSPACE, 204),
    _ws("POST", "{W}/transfer-ownership", OWNER, body={"user_id": "{tina}"}),
    _ws("POST", "{W}/invites", WS_ADMIN, 201, body={}),
    _ws("GET", "{W}/invites", WS_ADMIN),
    _ws("DELETE", "{W}/invites/{invite}", WS_ADMIN, 204, before=_invite),
    _global("GET", "/api/v1/invites/{token}", AUTHENTICATED, before=_invite),
    _global("POST", "/api/v1/invites/{token}/accept", AUTHENTICATED, before=_invite),
    # Chats and work items
    _ws("POST", "{W}/chats", MEMBER_WRITE, 201, body={"title": "New"}),
    _ws("GET", "{W}/chats", MEMBER_READ),
    Route("GET", "{C}", CHAT_READ),
    Route("PATCH", "{C}", CHAT_WRITE, body=STATUS, label="{C} (status)"),
    Route("PATCH", "{C}", CHAT_WRITE, body={"title": "Renamed"}, label="{C} (title of a task)"),
    Route(
        "PATCH",
        "{C}",
        CHAT_MANAGE,
        body={"title": "Renamed"},
        before=_discussion,
        label="{C} (title of a discussion)",
    ),
    Route("DELETE", "{C}", CHAT_MANAGE, 204),
    Route("POST", "{C}/convert", CHAT_MANAGE, body={"type": "bug"}),
    Route("POST", "{C}/close", CHAT_WRITE),
    Route("POST", "{C}/reopen", CHAT_WRITE, before=_closed),
    Route("POST", "{C}/join", CHAT_JOIN),
    Route("POST", "{C}/leave", CHAT_LEAVE, 204),
    Route("GET", "{C}/participants", CHAT_READ),
    Route("POST", "{C}/participants", CHAT_MANAGE, 201, body={"user_id": "{tina}"}),
    Route("DELETE", "{C}/participants/{pia}", CHAT_MANAGE, 204),
    Route("DELETE", "{C}/participants/{self}", CHAT_LEAVE, 204),
    Route("GET", "{C}/presence", CHAT_READ),
    Route("GET", "{C}/activity", CHAT_READ),
    Route("POST", "{C}/attachments", CHAT_WRITE, body={"file_id": "{file}"}, before=_file_by_max),
    Route("DELETE", "{C}/attachments/{file}", CHAT_WRITE, 204, before=_attached_file),
    Route("POST", "{C}/read", CHAT_WRITE),
    # Messages
    Route("POST", "{C}/messages", CHAT_WRITE, 201, body={"content": "Hello"}),
    Route("GET", "{C}/messages", CHAT_READ),
    Route("GET", "{M}", CHAT_READ, before=_message_by_max),
    Route("PATCH", "{M}", MESSAGE_EDIT, body={"content": "Edited"}, before=_message_by_max),
    Route("DELETE", "{M}", MESSAGE_DELETE, 204, before=_message_by_max),
    Route("GET", "{M}/replies", CHAT_READ, before=_message_by_max),
    Route(
        "PUT",
        "{M}/reactions/%F0%9F%8E%89",
        CHAT_WRITE,
        before=_message_by_max,
        label="{M}/reactions/{emoji}",
    ),
    Route(
        "DELETE",
        "{M}/reactions/%F0%9F%91%8D",
        CHAT_WRITE,
        before=_message_by_max,
        label="{M}/reactions/{emoji}",
    ),
    # Tasks and board
    _ws("GET", "{W}/tasks", MEMBER_READ),
    _ws("POST", "{W}/tasks", MEMBER_WRITE, 201, body={"title": "Quick"}),
    _ws("GET", "{W}/board", MEMBER_READ),
    # Notifications (max was added to both of cara's chats: a `chat.added` each)
    _global("GET", "/api/v1/notifications", AUTHENTICATED),
    _global("GET", "/api/v1/notifications/unread-count", AUTHENTICATED),
    _global(
        "POST",
        "/api/v1/notifications/{notification}/read",
        RECIPIENT,
        before=_notification_of_max,
    ),
    _global("POST", "/api/v1/notifications/read-all", AUTHENTICATED),
    _global(
        "DELETE",
        "/api/v1/notifications/{notification}",
        RECIPIENT,
        204,
        before=_notification_of_max,
    ),
    # Files
    Route("POST", "{C}/files", CHAT_WRITE, 201, upload=True),
    Route("GET", "/api/v1/files/{file}", FILE_READ, before=_file_by_max),
    Route("GET", "/api/v1/files/{file}/plan.txt", FILE_READ, before=_file_by_max),
    # Search, WebSocket ticket, operational endpoints
    _ws("GET", "{W}/search?q=launch", MEMBER_READ),
    _global("POST", "/api/v1/ws/ticket", AUTHENTICATED, 201),
    *(
        _global("GET", path, PUBLIC)
        for path in ("/health", "/ready", "/health/details", "/metrics", "/docs", "/schema")
    ),
    _global("GET", "/schema/openapi.json", PUBLIC),
)


# -- the module's app --------------------------------------------------------------------------


async def _serve(app: Litestar, started: asyncio.Event, stopping: asyncio.Event) -> None:
    async with app.lifespan():
        started.set()
        await stopping.wait()


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = tmp_path_factory.mktemp("authz") / "config.yaml"
    config.write_text("log:\n  level: error\n  format: text\n")
    return config


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(config_file: Path) -> AsyncIterator[Api]:
    loaded = load_settings(str(config_file), environ={})
    app = create_app(build_container(loaded.settings, loaded.explicit_keys))
    started, stopping = asyncio.Event(), asyncio.Event()
    # The lifespan holds an anyio task group, which must be left by the task that entered it.
    serving = asyncio.create_task(_serve(app.litestar, started, stopping))
    await asyncio.wait_for(started.wait(), timeout=10)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://flowra.test") as client:
            shared = Api(client)
            for username in ("olga", "otto", "zed", *(name for name, _role in MEMBERS)):
                await shared.log_in(username)
            await shared.log_in(SYSADMIN, sysadmin=True)
            globex = await shared.ok("otto", "POST", f"{API}/workspaces", json={"name": "Globex"})
            shared.foreign_workspace_id = globex["id"]
            yield shared
    finally:
        stopping.set()
        await serving


def _fill(template: Any, values: Mapping[str, str]) -> Any:
    if isinstance(template, str):
        return template.format_map(values)
    if isinstance(template, dict):
        return {key: _fill(value, values) for key, value in template.items()}
    return template


@dataclass
class Prepared:
    """A world made ready for a route: its placeholders and, for workspace and chat routes,
    what the sysadmin and owner see of it (`snapshot`)."""

    world: World
    values: dict[str, str]
    snapshot: list[Any] | None


async def _prepare(api: Api, route: Route, caller: Caller) -> Prepared:
    world = await api.world()
    values = {
        "W": world.w,
        "C": f"{world.w}/chats/{world.chat_id(caller)}",
        "workspace_id": world.workspace_id,
        "bot": FLOWRA_BOT_ID,
        **{name: api.ids[name] for name in ("max", "pia", "tina")},
    }
    values.update(await route.before(world, caller))
    snapshot = None if route.callers is GLOBAL_CALLERS else await world.snapshot()
    return Prepared(world, values, snapshot)


# Reads and refused requests change nothing (each refusal checks it), so they share one prepared
# world per route; an allowed write always gets a fresh one.
_unchanged: dict[tuple[str, bool], Prepared] = {}


def _call(api: Api, prepared: Prepared, route: Route, caller: Caller) -> Call:
    me = api.ids[caller.username] if caller.username else api.ids["max"]
    values = {**prepared.values, "self": me}
    files = {"file": ("notes.txt", b"notes", "text/plain")} if route.upload else None
    return Call(route.method, _fill(route.path, values), _fill(route.body, values), files)


CASES = [
    pytest.param(route, caller, id=f"{route.name} as {caller.name}")
    for route in ROUTES
    for caller in route.callers
]


@pytest.mark.parametrize(("route", "caller"), CASES)
async def test_every_route_answers_every_caller_as_the_spec_says(
    api: Api, route: Route, caller: Caller
) -> None:
    expected = route.expected(caller)
    key = (route.name, caller.private)
    if expected is ALLOWED and route.method != "GET":
        prepared = await _prepare(api, route, caller)
    else:
        cached = _unchanged.pop(key, None)
        prepared = cached if cached is not None else await _prepare(api, route, caller)
    call = _call(api, prepared, route, caller)

    response = await api.client.request(
        call.method,
        call.url,
        json=call.json,
        files=call.files,
        headers=api.headers[caller.username] if caller.username else {},
    )

    if expected is ALLOWED:
        assert response.status_code == route.success, response.text
        if route.method == "GET":
            _unchanged[key] = prepared
        return
    assert response.status_code == expected.status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == expected.code
    if expected.status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    if prepared.snapshot is not None:
        assert await prepared.world.snapshot() == prepared.snapshot, "a refusal changed data"
    _unchanged[key] = prepared
