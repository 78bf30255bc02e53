"""Search (http-api.md "Search"): word-prefix matching, kinds, privacy, pagination, snippets.

Chats and messages are written through the core's write path with the domain's decide
functions, so the search index is fed by the same projection as in production.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.search.service import SearchHit
from flowra_core.app.write_path import AggregateKind, Routing
from flowra_core.domain import chat as chat_domain
from flowra_core.domain import message as message_domain
from flowra_core.domain.chat import Chat, ChatType, NewChat
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import AggregateType, DomainEvent
from flowra_core.domain.message import Message
from flowra_core.ports.search import SearchKind
from flowra_core.testing.builder import TestCore

STEP = timedelta(seconds=1)
S = TypeVar("S", Chat, Message)


class Workbench:
    """Chats and messages of one workspace, driven through the write path; each command
    happens one second after the previous one."""

    def __init__(self, tc: TestCore, workspace_id: str) -> None:
        self.tc = tc
        self.workspace_id = workspace_id
        self.chats: AggregateKind[Chat] = AggregateKind(
            aggregate_type=AggregateType.CHAT,
            store=tc.adapters.chats,
            evolve=lambda state, event, at, chat_id: chat_domain.evolve(
                state, event, at, chat_id=chat_id
            ),
            routing=lambda chat: Routing(workspace_id=chat.workspace_id, chat_id=chat.id),
        )
        self.messages: AggregateKind[Message] = AggregateKind(
            aggregate_type=AggregateType.MESSAGE,
            store=tc.adapters.messages,
            evolve=lambda state, event, _at, _id: message_domain.evolve(state, event),
            routing=lambda message: Routing(workspace_id=workspace_id, chat_id=message.chat_id),
        )

    async def _run(
        self,
        kind: AggregateKind[S],
        aggregate_id: str,
        decide: Callable[[datetime], Sequence[DomainEvent]],
        actor: Actor,
    ) -> None:
        now = self.tc.clock.now()
        await self.tc.core.write.execute(
            kind,
            aggregate_id,
            lambda _state: decide(now),
            actor_id=actor.user_id,
        )
        self.tc.clock.advance(STEP)

    async def create(self, actor: Actor, draft: NewChat) -> str:
        workspace = await self.tc.adapters.workspaces.get(self.workspace_id)
        assert workspace is not None
        members = {member.user_id for member in workspace.members}
        chat_id = self.tc.core.write.ids.new_id()
        await self._run(
            self.chats,
            chat_id,
            lambda now: chat_domain.create_chat(
                draft,
                workspace_id=self.workspace_id,
                members=members,
                actor_id=actor.user_id,
                now=now,
            ),
            actor,
        )
        return chat_id

    async def change(self, actor: Actor, chat_id: str, command: str, *args: object) -> None:
        """Run the chat decide function named `command` on the current chat."""
        chat = await self.tc.core.write.load(self.chats, chat_id)
        assert chat is not None
        decide = getattr(chat_domain, command)
        await self._run(
            self.chats,
            chat_id,
            lambda now: decide(chat, *args, actor_id=actor.user_id, now=now),
            actor,
        )

    async def send(self, actor: Actor, chat_id: str, content: str) -> str:
        message_id = self.tc.core.write.ids.new_id()
        await self._run(
            self.messages,
            message_id,
            lambda now: message_domain.send_user_message(
                message_id,
                chat_id=chat_id,
                author_id=actor.user_id,
                content=content,
                lookup_username=lambda _name: None,
                now=now,
            ),
            actor,
        )
        return message_id

    async def system_message(self, actor: Actor, chat_id: str, content: str) -> str:
        message_id = self.tc.core.write.ids.new_id()
        await self._run(
            self.messages,
            message_id,
            lambda now: message_domain.create_system_summary(
                message_id, chat_id=chat_id, actor_id=actor.user_id, content=content, now=now
            ),
            actor,
        )
        return message_id

    async def edit(self, actor: Actor, message_id: str, content: str) -> None:
        message = await self.tc.core.write.load(self.messages, message_id)
        assert message is not None
        await self._run(
            self.messages,
            message_id,
            lambda now: message_domain.edit_message(
                message, content, edited_by=actor.user_id, lookup_username=lambda _: None, now=now
            ),
            actor,
        )

    async def delete_message(self, actor: Actor, message_id: str) -> None:
        message = await self.tc.core.write.load(self.messages, message_id)
        assert message is not None
        await self._run(
            self.messages,
            message_id,
            lambda now: message_domain.delete_message(message, deleted_by=actor.user_id, now=now),
            actor,
        )


@pytest.fixture
def bench(tc: TestCore, workspace_id: str) -> Workbench:
    return Workbench(tc, workspace_id)


@pytest.fixture
async def launch(bench: Workbench, owner: Actor) -> str:
    """A public discussion, "Launch plan"."""
    return await bench.create(owner, NewChat(title="Launch plan"))


async def find(
    tc: TestCore,
    actor: Actor,
    workspace_id: str,
    q: str,
    *,
    types: Sequence[str] | None = None,
    chat_id: str | None = None,
) -> list[SearchHit]:
    page = await tc.core.search.search(
        actor, workspace_id, q=q, types=types, chat_id=chat_id, limit=100
    )
    return list(page.items)


def snippets(hits: Sequence[SearchHit]) -> list[str]:
    return [hit.snippet for hit in hits]


class TestMatching:
    async def test_every_word_must_start_a_word_of_the_text(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        await bench.send(owner, launch, "Deploying to production on Friday")
        await bench.send(owner, launch, "Production is frozen")

        assert snippets(await find(tc, owner, workspace_id, "deplo prod")) == [
            "Deploying to production on Friday"
        ]
        assert len(await find(tc, owner, workspace_id, "PROD")) == 2
        assert await find(tc, owner, workspace_id, "ploying") == []
        assert await find(tc, owner, workspace_id, "deploy staging") == []

    async def test_case_and_accents_do_not_matter_either_way(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        await bench.send(owner, launch, "Réunion au Café Crème à 10h")
        await bench.send(owner, launch, "naive resume")

        assert len(await find(tc, owner, workspace_id, "reunion cafe")) == 1
        assert len(await find(tc, owner, workspace_id, "CAFÉ CRÈ")) == 1
        assert len(await find(tc, owner, workspace_id, "naïve résumé")) == 1

    async def test_words_are_split_on_anything_but_letters_and_digits(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        await bench.send(owner, launch, "see ticket_42/rollback-plan.md")

        assert len(await find(tc, owner, workspace_id, "42 rollback md")) == 1
        assert len(await find(tc, owner, workspace_id, "plan", types=["message"])) == 1


class TestKinds:
    async def test_messages_discussion_titles_and_work_items_each_have_their_kind(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        task_id = await bench.create(
            owner,
            NewChat(type="bug", title="Crash on start", description="The launch screen freezes"),
        )
        message_id = await bench.send(owner, launch, "launch at noon")

        hits = await find(tc, owner, workspace_id, "launch")

        assert [(hit.kind, hit.id) for hit in hits] == [
            (SearchKind.MESSAGE, message_id),
            (SearchKind.TASK, task_id),
            (SearchKind.CHAT, launch),
        ]
        message_hit, task_hit, chat_hit = hits
        assert (message_hit.chat_id, message_hit.chat_title) == (launch, "Launch plan")
        assert message_hit.chat_type is ChatType.DISCUSSION
        assert message_hit.author_id == owner.user_id
        assert (task_hit.chat_id, task_hit.chat_type) == (task_id, ChatType.BUG)
        assert task_hit.snippet == "Crash on start The launch screen freezes"
        assert chat_hit.snippet == "Launch plan"
        assert {hit.workspace_id for hit in hits} == {workspace_id}

    async def test_types_narrows_the_kinds(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        await bench.create(owner, NewChat(type="task", title="Launch checklist"))
        await bench.send(owner, launch, "launch at noon")

        hits = await find(tc, owner, workspace_id, "launch", types=["Chat", "task"])

        assert sorted(hit.kind for hit in hits) == [SearchKind.CHAT, SearchKind.TASK]

    async def test_system_and_bot_messages_are_not_searched(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        await bench.system_message(owner, launch, "Olivia changed the status to Done")

        assert await find(tc, owner, workspace_id, "changed") == []

    async def test_renames_descriptions_and_conversions_follow_the_chat(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        await bench.change(owner, launch, "rename", "Rocket launch")
        await bench.change(owner, launch, "convert", "epic")
        await bench.change(owner, launch, "set_description", "Everything for liftoff")

        assert await find(tc, owner, workspace_id, "plan") == []
        [hit] = await find(tc, owner, workspace_id, "rocket liftoff")
        assert (hit.kind, hit.chat_type) == (SearchKind.TASK, ChatType.EPIC)
        assert await find(tc, owner, workspace_id, "rocket", types=["chat"]) == []


class TestMessageLifecycle:
    async def test_an_edited_message_is_found_by_its_new_words_only(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        message_id = await bench.send(owner, launch, "meet on monday")
        await bench.edit(owner, message_id, "meet on tuesday")

        assert await find(tc, owner, workspace_id, "monday") == []
        assert snippets(await find(tc, owner, workspace_id, "tues")) == ["meet on tuesday"]

    async def test_a_deleted_message_is_never_found(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        message_id = await bench.send(owner, launch, "the password is swordfish")
        await bench.delete_message(owner, message_id)

        assert await find(tc, owner, workspace_id, "swordfish") == []


class TestPrivacy:
    async def test_a_private_chat_is_searched_only_by_its_participants_and_sysadmins(
        self,
        tc: TestCore,
        bench: Workbench,
        owner: Actor,
        admin: Actor,
        member: Actor,
        sysadmin: Actor,
        workspace_id: str,
    ) -> None:
        secret = await bench.create(
            owner, NewChat(title="Salaries", is_public=False, participant_ids=[admin.user_id])
        )
        await bench.send(owner, secret, "salaries go up in spring")

        assert await find(tc, member, workspace_id, "salaries") == []
        assert len(await find(tc, admin, workspace_id, "salaries")) == 2
        assert len(await find(tc, sysadmin, workspace_id, "salaries")) == 2

    async def test_a_deleted_chat_takes_its_messages_with_it(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        await bench.send(owner, launch, "launch at noon")
        await bench.change(owner, launch, "delete")

        assert await find(tc, owner, workspace_id, "launch") == []

    async def test_chat_id_narrows_to_one_readable_chat(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        other = await bench.create(owner, NewChat(title="Other"))
        await bench.send(owner, launch, "launch at noon")
        await bench.send(owner, other, "launch later")

        hits = await find(tc, owner, workspace_id, "launch", chat_id=other)

        assert snippets(hits) == ["launch later"]

    @pytest.mark.parametrize("which", ["private", "deleted", "unknown"])
    async def test_a_chat_id_the_caller_cannot_read_is_not_found(
        self,
        tc: TestCore,
        bench: Workbench,
        owner: Actor,
        member: Actor,
        workspace_id: str,
        which: str,
    ) -> None:
        chat_id = await bench.create(owner, NewChat(title="Hidden", is_public=which != "private"))
        if which == "deleted":
            await bench.change(owner, chat_id, "delete")
        if which == "unknown":
            chat_id = "no-such-chat"

        with pytest.raises(DomainError) as raised:
            await find(tc, member, workspace_id, "x", chat_id=chat_id)
        assert raised.value.code is ErrorCode.CHAT_NOT_FOUND

    async def test_a_workspace_the_caller_is_not_in_is_not_found(
        self, tc: TestCore, outsider: Actor, workspace_id: str
    ) -> None:
        with pytest.raises(DomainError) as raised:
            await find(tc, outsider, workspace_id, "launch")
        assert raised.value.code is ErrorCode.WORKSPACE_NOT_FOUND


class TestPagination:
    async def test_newest_first_twenty_by_default_and_the_cursor_goes_on(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        for number in range(1, 26):
            await bench.send(owner, launch, f"note {number}")

        first = await tc.core.search.search(owner, workspace_id, q="note")
        rest = await tc.core.search.search(owner, workspace_id, q="note", cursor=first.next_cursor)

        assert snippets(first.items) == [f"note {n}" for n in range(25, 5, -1)]
        assert snippets(rest.items) == [f"note {n}" for n in range(5, 0, -1)]
        assert rest.next_cursor is None

    async def test_a_cursor_of_another_query_is_refused(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        for number in range(3):
            await bench.send(owner, launch, f"note {number}")
        page = await tc.core.search.search(owner, workspace_id, q="note", limit=1)

        with pytest.raises(ValidationFailed) as raised:
            await tc.core.search.search(owner, workspace_id, q="notes", cursor=page.next_cursor)
        assert raised.value.errors[0].field == "cursor"


class TestSnippet:
    async def test_a_long_message_is_cut_around_its_first_match(
        self, tc: TestCore, bench: Workbench, owner: Actor, workspace_id: str, launch: str
    ) -> None:
        words = [f"filler{n}" for n in range(60)]
        words[40] = "Needle"
        await bench.send(owner, launch, " ".join(words))

        [hit] = await find(tc, owner, workspace_id, "needle")

        assert len(hit.snippet) <= 160
        assert "Needle" in hit.snippet
        assert hit.snippet.startswith("…")
        assert hit.snippet.endswith("…")


class TestValidation:
    @pytest.mark.parametrize("q", ["a", " a ", "x" * 201, "!?"])
    async def test_q_needs_2_to_200_characters_with_a_word(
        self, tc: TestCore, owner: Actor, workspace_id: str, q: str
    ) -> None:
        with pytest.raises(ValidationFailed) as raised:
            await find(tc, owner, workspace_id, q)
        assert [error.field for error in raised.value.errors] == ["q"]

    @pytest.mark.parametrize("types", [["message", "files"], []])
    async def test_types_must_name_known_kinds(
        self, tc: TestCore, owner: Actor, workspace_id: str, types: list[str]
    ) -> None:
        with pytest.raises(ValidationFailed) as raised:
            await find(tc, owner, workspace_id, "launch", types=types)
        assert [error.field for error in raised.value.errors] == ["types"]

    async def test_visibility_is_checked_before_the_query(
        self, tc: TestCore, outsider: Actor, workspace_id: str
    ) -> None:
        with pytest.raises(DomainError) as raised:
            await find(tc, outsider, workspace_id, "a")
        assert raised.value.code is ErrorCode.WORKSPACE_NOT_FOUND
