"""No data of a private chat or of another workspace ever appears in a response (http-api.md §3):
chat lists, tasks, board, search, files, notifications, members, user search and activity.

Acme is owned by olga (adam admin, max and mia members); zed belongs to no workspace. olga's
private task "Zephyr rollout" (with max, assigned to him) holds a message mentioning @mia and a
file; her public discussion "Launch" has max and mia. In otto's Globex, quinn is the other member
and the public task "Quasar deal" holds a message and a file. Every probe below is run by callers
who must not see those, and by a control caller who must, so a probe can never pass by being
blind.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass

import httpx
import pytest

from .http_kit import API, Headers, Login, MakeChat


@dataclass(frozen=True)
class Secrets:
    acme: str
    globex: str
    private_chat: str
    public_chat: str
    private_file: str
    foreign_chat: str
    foreign_file: str

    def words(self) -> list[str]:
        """What must never show: markers of the private chat and of Globex, and their ids."""
        return [
            "zephyr",
            "quasar",
            "quinn",
            "globex",
            self.globex,
            self.private_chat,
            self.private_file,
            self.foreign_chat,
            self.foreign_file,
        ]


async def _ok(response: Awaitable[httpx.Response]) -> httpx.Response:
    answered = await response
    assert answered.is_success, answered.text
    return answered


async def _upload(
    client: httpx.AsyncClient, workspace_id: str, chat_id: str, headers: Headers, name: str
) -> str:
    url = f"{API}/workspaces/{workspace_id}/chats/{chat_id}/files"
    files = {"file": (name, b"secret numbers", "text/plain")}
    uploaded = await _ok(client.post(url, files=files, headers=headers))
    file_id: str = uploaded.json()["id"]
    return file_id


@pytest.fixture
async def secrets(
    client: httpx.AsyncClient,
    login: Login,
    user_ids: dict[str, str],
    workspace_id: str,
    other_workspace_id: str,
    make_chat: MakeChat,
) -> Secrets:
    private_chat = await make_chat(
        "olga",
        participants=["max"],
        type="task",
        title="Zephyr rollout",
        description="The zephyr plan",
        is_public=False,
        assignee_id=user_ids["max"],
        priority="High",
    )
    public_chat = await make_chat("olga", participants=["max", "mia"], title="Launch")
    max_headers = await login("max")
    private_messages = f"{API}/workspaces/{workspace_id}/chats/{private_chat}/messages"
    body = {"content": "zephyr numbers for @mia"}
    await _ok(client.post(private_messages, json=body, headers=max_headers))
    private_file = await _upload(client, workspace_id, private_chat, max_headers, "zephyr.txt")

    await login("quinn")
    otto = await login("otto")
    members = f"{API}/workspaces/{other_workspace_id}/members"
    await _ok(client.post(members, json={"username": "quinn"}, headers=otto))
    foreign_chat = await make_chat(
        "otto", in_workspace=other_workspace_id, type="task", title="Quasar deal"
    )
    foreign_messages = f"{API}/workspaces/{other_workspace_id}/chats/{foreign_chat}/messages"
    await _ok(client.post(foreign_messages, json={"content": "quasar terms"}, headers=otto))
    foreign_file = await _upload(client, other_workspace_id, foreign_chat, otto, "quasar.txt")
    return Secrets(
        workspace_id,
        other_workspace_id,
        private_chat,
        public_chat,
        private_file,
        foreign_chat,
        foreign_file,
    )


@dataclass(frozen=True)
class Probe:
    path: str  # {W}: Acme, {C}: the public chat, {max}: max's id, {G}: Globex, {private}
    control: str  # a user who does see private or foreign data here…
    control_path: str | None = None  # …or on this sibling, when this list never can


PROBES = (
    Probe("{W}/chats", "max"),
    Probe("{W}/chats?joined=true&sort=title", "max"),
    Probe("{W}/chats?q=zeph&type=task", "max"),
    Probe("{W}/tasks", "max"),
    Probe("{W}/tasks?assignee={max}&priority=High&sort=board", "max"),
    Probe("{W}/tasks?q=zephyr&category=todo", "max"),
    Probe("{W}/board", "max"),
    Probe("{W}/board?q=zephyr&assignee={max}", "max"),
    Probe("{W}/search?q=zephyr", "max"),
    Probe("{W}/search?q=zephyr&types=task", "max"),
    Probe("{W}/search?q=quasar", "otto", "{G}/search?q=quasar"),
    Probe("{W}/members", "otto", "{G}/members"),
    Probe("/api/v1/users", "otto"),
    Probe("/api/v1/users?q=qu", "otto"),
    Probe("/api/v1/users?workspace_id={W_id}", "root", "/api/v1/users?q=qu"),
    Probe("/api/v1/workspaces", "otto"),
    Probe("/api/v1/notifications", "max"),
    Probe("{C}/activity", "max", "{W}/chats/{private}/activity"),
    Probe("{C}/messages", "max", "{W}/chats/{private}/messages"),
)


def _url(path: str, secrets: Secrets, user_ids: dict[str, str]) -> str:
    w = f"{API}/workspaces/{secrets.acme}"
    return path.format(
        W=w,
        G=f"{API}/workspaces/{secrets.globex}",
        W_id=secrets.acme,
        C=f"{w}/chats/{secrets.public_chat}",
        private=secrets.private_chat,
        max=user_ids["max"],
    )


def _leaks(response: httpx.Response, secrets: Secrets) -> list[str]:
    text = response.text.lower()
    return [word for word in secrets.words() if word.lower() in text]


async def test_members_outside_the_private_chat_see_nothing_of_it_or_of_globex(
    subtests: pytest.Subtests,
    client: httpx.AsyncClient,
    login: Login,
    user_ids: dict[str, str],
    secrets: Secrets,
) -> None:
    for caller in ["mia", "adam"]:
        headers = await login(caller)
        for probe in PROBES:
            with subtests.test(msg=f"{probe.path} as {caller}"):
                response = await client.get(_url(probe.path, secrets, user_ids), headers=headers)
                assert response.status_code == 200, response.text
                assert _leaks(response, secrets) == []


async def test_every_probe_would_see_the_secrets_with_the_right_access(
    subtests: pytest.Subtests,
    client: httpx.AsyncClient,
    login: Login,
    login_sysadmin: Login,
    user_ids: dict[str, str],
    secrets: Secrets,
) -> None:
    for probe in PROBES:
        with subtests.test(msg=f"{probe.path} as {probe.control}"):
            control = login_sysadmin if probe.control == "root" else login
            headers = await control(probe.control)
            path = probe.control_path or probe.path
            response = await client.get(_url(path, secrets, user_ids), headers=headers)
            assert response.status_code == 200, response.text
            assert _leaks(response, secrets) != []


async def test_a_user_in_no_workspace_sees_no_one_and_nothing(
    client: httpx.AsyncClient, login: Login, secrets: Secrets
) -> None:
    headers = await login("zed")
    for path in ["/users", "/users?q=a", "/workspaces", "/notifications"]:
        response = await client.get(API + path, headers=headers)
        assert response.json() == {"items": [], "next_cursor": None}, path
    unread = await client.get(f"{API}/notifications/unread-count", headers=headers)
    assert unread.json() == {"count": 0}


async def test_a_mention_in_a_chat_mia_cannot_read_does_not_notify_her(
    client: httpx.AsyncClient, login: Login, secrets: Secrets
) -> None:
    headers = await login("mia")
    inbox = await client.get(f"{API}/notifications", headers=headers)
    assert [n["type"] for n in inbox.json()["items"]] == ["chat.added"]  # "Launch" only
    assert inbox.json()["items"][0]["chat_id"] == secrets.public_chat


async def test_direct_links_to_hidden_files_and_users_are_not_found(
    subtests: pytest.Subtests,
    client: httpx.AsyncClient,
    login: Login,
    user_ids: dict[str, str],
    secrets: Secrets,
) -> None:
    for caller in ["mia", "adam", "otto", "zed"]:
        headers = await login(caller)
        hidden = [secrets.private_file]
        if caller != "otto":
            hidden.append(secrets.foreign_file)
        for url in [
            f"{API}/files/{file_id}{name}" for file_id in hidden for name in ["", "/x.txt"]
        ]:
            with subtests.test(msg=f"{url} as {caller}"):
                response = await client.get(url, headers=headers)
                assert response.status_code == 404
                assert response.json()["code"] == "FILE_NOT_FOUND"
        stranger = "max" if caller in {"otto", "zed"} else "quinn"
        with subtests.test(msg=f"{stranger} as {caller}"):
            response = await client.get(f"{API}/users/{user_ids[stranger]}", headers=headers)
            assert response.status_code == 404
            assert response.json()["code"] == "USER_NOT_FOUND"
            assert stranger not in response.text
