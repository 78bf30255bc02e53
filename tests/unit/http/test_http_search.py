"""Search over HTTP (`W/search`): word-prefix matching, kinds, filters, paging and privacy.

Acme is owned by olga (adam admin, max and mia members); zed belongs to no workspace; otto
owns Globex. `corpus` holds, oldest first: the public discussion "Release planning" (olga and
max), max's message in it, the private discussion "Secret release" (olga and max), max's
message there, the public task "Release checklist", and in Globex a chat and a message that
also say "release".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from flowra_core.testing.clock import FixedClock

from .http_kit import STEP, Headers, Login, MakeChat, assert_problem_code, messages_url

HIT_FIELDS = {
    "kind",
    "id",
    "workspace_id",
    "chat_id",
    "chat_title",
    "chat_type",
    "snippet",
    "author_id",
    "created_at",
}


@dataclass(frozen=True)
class Corpus:
    public_chat: str
    public_message: str
    private_chat: str
    private_message: str
    task: str
    globex_chat: str


async def send(client: httpx.AsyncClient, url: str, headers: Headers, content: str) -> str:
    response = await client.post(url, json={"content": content}, headers=headers)
    assert response.status_code == 201, response.text
    message_id: str = response.json()["id"]
    return message_id


@pytest.fixture
async def corpus(
    client: httpx.AsyncClient,
    login: Login,
    make_chat: MakeChat,
    workspace_id: str,
    other_workspace_id: str,
    clock: FixedClock,
) -> Corpus:
    max_ = await login("max")
    public_chat = await make_chat("olga", participants=["max"], title="Release planning")
    clock.advance(STEP)
    public_message = await send(
        client,
        messages_url(workspace_id, public_chat),
        max_,
        "Deploying the release to production tonight",
    )
    clock.advance(STEP)
    private_chat = await make_chat(
        "olga", participants=["max"], title="Secret release", is_public=False
    )
    clock.advance(STEP)
    private_message = await send(
        client, messages_url(workspace_id, private_chat), max_, "release notes for the secret"
    )
    clock.advance(STEP)
    task = await make_chat(
        "olga",
        type="task",
        title="Release checklist",
        description="Prepare the production release",
    )
    clock.advance(STEP)
    globex_chat = await make_chat("otto", in_workspace=other_workspace_id, title="Release Globex")
    await send(
        client, messages_url(other_workspace_id, globex_chat), await login("otto"), "release"
    )
    return Corpus(public_chat, public_message, private_chat, private_message, task, globex_chat)


async def hits(
    client: httpx.AsyncClient, workspace_id: str, headers: Headers, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/workspaces/{workspace_id}/search", params=params, headers=headers
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["items"]
    return found


class TestSearch:
    async def test_hits_are_newest_first_across_kinds(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        corpus: Corpus,
    ) -> None:
        found = await hits(client, workspace_id, await login("mia"), q="release")

        assert [(h["kind"], h["id"]) for h in found] == [
            ("task", corpus.task),
            ("message", corpus.public_message),
            ("chat", corpus.public_chat),
        ]
        task, message, chat = found
        assert set(message) == HIT_FIELDS
        assert message["workspace_id"] == workspace_id
        assert message["chat_id"] == corpus.public_chat
        assert message["chat_title"] == "Release planning"
        assert message["chat_type"] == "discussion"
        assert message["author_id"] == user_ids["max"]
        assert "release" in message["snippet"]
        assert task["chat_type"] == "task"
        assert task["chat_id"] == corpus.task
        assert chat["author_id"] == user_ids["olga"]

    @pytest.mark.parametrize("q", ["deplo prod", "DEPLO PRÓD", "  tonight   prod "])
    async def test_every_word_must_start_a_word_of_the_text(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        corpus: Corpus,
        q: str,
    ) -> None:
        found = await hits(client, workspace_id, await login("mia"), q=q)
        assert [h["id"] for h in found] == [corpus.public_message]

    async def test_a_word_inside_another_does_not_match(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, corpus: Corpus
    ) -> None:
        assert await hits(client, workspace_id, await login("mia"), q="lease") == []

    async def test_participants_and_system_admins_find_private_chats(
        self,
        client: httpx.AsyncClient,
        login: Login,
        login_sysadmin: Login,
        workspace_id: str,
        corpus: Corpus,
    ) -> None:
        private = {corpus.private_chat, corpus.private_message}
        for headers in [await login("max"), await login_sysadmin("root")]:
            found = {h["id"] for h in await hits(client, workspace_id, headers, q="release")}
            assert private <= found
        for user in ["mia", "adam"]:
            found = {
                h["id"] for h in await hits(client, workspace_id, await login(user), q="secret")
            }
            assert found.isdisjoint(private)

    async def test_other_workspaces_never_leak_in(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, corpus: Corpus
    ) -> None:
        found = await hits(client, workspace_id, await login("olga"), q="release")
        assert {h["workspace_id"] for h in found} == {workspace_id}
        assert corpus.globex_chat not in {h["chat_id"] for h in found}

    @pytest.mark.parametrize(
        ("types", "kinds"),
        [
            ("message", ["message"]),
            ("Task, chat", ["task", "chat"]),
            ("message,chat,task", ["task", "message", "chat"]),
        ],
    )
    async def test_types_narrow_the_kinds(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        corpus: Corpus,
        types: str,
        kinds: list[str],
    ) -> None:
        found = await hits(client, workspace_id, await login("mia"), q="release", types=types)
        assert [h["kind"] for h in found] == kinds

    async def test_chat_id_narrows_to_one_chat(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, corpus: Corpus
    ) -> None:
        found = await hits(
            client, workspace_id, await login("max"), q="release", chat_id=corpus.private_chat
        )
        assert [h["id"] for h in found] == [corpus.private_message, corpus.private_chat]

    async def test_pages_follow_the_cursor(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, corpus: Corpus
    ) -> None:
        url = f"/api/v1/workspaces/{workspace_id}/search"
        headers = await login("mia")
        first = (await client.get(url, params={"q": "release", "limit": 2}, headers=headers)).json()
        second = (
            await client.get(
                url,
                params={"q": "release", "limit": 2, "cursor": first["next_cursor"]},
                headers=headers,
            )
        ).json()
        assert [h["id"] for h in first["items"]] == [corpus.task, corpus.public_message]
        assert [h["id"] for h in second["items"]] == [corpus.public_chat]
        assert second["next_cursor"] is None

    async def test_twenty_hits_by_default(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        make_chat: MakeChat,
    ) -> None:
        chat = await make_chat("olga", title="Noise")
        headers = await login("olga")
        for number in range(21):
            await send(client, messages_url(workspace_id, chat), headers, f"ping {number}")
        response = await client.get(
            f"/api/v1/workspaces/{workspace_id}/search", params={"q": "ping"}, headers=headers
        )
        assert len(response.json()["items"]) == 20
        assert response.json()["next_cursor"] is not None

    async def test_edited_deleted_and_bot_messages_are_not_found(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        make_chat: MakeChat,
    ) -> None:
        task = await make_chat("olga", type="task", title="Untitled")
        url = messages_url(workspace_id, task)
        headers = await login("olga")
        edited = await send(client, url, headers, "zebra crossing")
        deleted = await send(client, url, headers, "zebra stripes")
        tagged = await send(client, url, headers, "#priority high")
        await client.patch(f"{url}/{edited}", json={"content": "nothing"}, headers=headers)
        await client.delete(f"{url}/{deleted}", headers=headers)

        assert await hits(client, workspace_id, headers, q="zebra") == []
        found = await hits(client, workspace_id, headers, q="priority", types="message")
        assert [h["id"] for h in found] == [tagged]  # the bot's reply is not indexed

    async def test_a_deleted_chat_leaves_no_hits(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, corpus: Corpus
    ) -> None:
        headers = await login("olga")
        deleted = await client.delete(
            f"/api/v1/workspaces/{workspace_id}/chats/{corpus.public_chat}", headers=headers
        )
        assert deleted.status_code == 204
        found = await hits(client, workspace_id, headers, q="release")
        assert corpus.public_chat not in {h["chat_id"] for h in found}


class TestSearchRefusals:
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({}, "q"),
            ({"q": "a"}, "q"),
            ({"q": "x" * 201}, "q"),
            ({"q": "!?"}, "q"),
            ({"q": "release", "types": "people"}, "types"),
            ({"q": "release", "types": ","}, "types"),
            ({"q": "release", "limit": "101"}, "limit"),
            ({"q": "release", "cursor": "nope"}, "cursor"),
        ],
    )
    async def test_bad_parameters_are_422(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        params: dict[str, str],
        field: str,
    ) -> None:
        response = await client.get(
            f"/api/v1/workspaces/{workspace_id}/search", params=params, headers=await login("mia")
        )
        assert_problem_code(response, 422, "VALIDATION_ERROR", field)

    async def test_a_cursor_of_another_query_is_refused(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, corpus: Corpus
    ) -> None:
        url = f"/api/v1/workspaces/{workspace_id}/search"
        headers = await login("mia")
        page = (await client.get(url, params={"q": "release", "limit": 1}, headers=headers)).json()
        response = await client.get(
            url, params={"q": "deploy", "cursor": page["next_cursor"]}, headers=headers
        )
        assert_problem_code(response, 422, "VALIDATION_ERROR", "cursor")

    @pytest.mark.parametrize("user", ["zed", "otto"])
    async def test_non_members_do_not_see_the_workspace_even_with_bad_input(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, corpus: Corpus, user: str
    ) -> None:
        url = f"/api/v1/workspaces/{workspace_id}/search"
        for params in [{"q": "release"}, {}]:
            response = await client.get(url, params=params, headers=await login(user))
            assert_problem_code(response, 404, "WORKSPACE_NOT_FOUND")

    async def test_an_unreadable_or_foreign_chat_is_not_found(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, corpus: Corpus
    ) -> None:
        url = f"/api/v1/workspaces/{workspace_id}/search"
        for chat_id in [corpus.private_chat, corpus.globex_chat, "nope"]:
            response = await client.get(
                url, params={"q": "x", "chat_id": chat_id}, headers=await login("mia")
            )
            assert_problem_code(response, 404, "CHAT_NOT_FOUND")

    async def test_an_anonymous_caller_is_unauthenticated(
        self, client: httpx.AsyncClient, workspace_id: str
    ) -> None:
        response = await client.get(
            f"/api/v1/workspaces/{workspace_id}/search", params={"q": "release"}
        )
        assert_problem_code(response, 401, "UNAUTHENTICATED")
