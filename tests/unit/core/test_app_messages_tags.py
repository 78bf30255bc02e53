"""Tags in sent messages (tags.md §1, §4 E1/E6/E7, §5): the message is stored first, the tags
run after it, and one bot reply reports them in the message's thread."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta

from flowra_core.app.actor import Actor
from flowra_core.app.messages.service import MessageService, TagResultView, TagRun
from flowra_core.domain.chat import NewChat, Status
from flowra_core.domain.errors import ErrorCode, FlowraError
from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.domain.message import MessageType
from flowra_core.domain.user import FLOWRA_BOT_ID
from flowra_core.testing.builder import TestCore

STEP = timedelta(seconds=1)


async def code_of(call: Awaitable[object]) -> ErrorCode | None:
    try:
        await call
    except FlowraError as error:
        return error.code
    return None


async def discussion(tc: TestCore, creator: Actor, workspace_id: str, *others: Actor) -> str:
    draft = NewChat(title="Launch", participant_ids=[o.user_id for o in others])
    view = await tc.core.chats.create(creator, workspace_id, draft)
    tc.clock.advance(STEP)
    return view.chat.id


def message_events(tc: TestCore) -> list[EventEnvelope]:
    events = tc.adapters.event_store.all_events()
    return [e for e in events if e.aggregate_type is AggregateType.MESSAGE]


class TagLinesRunner:
    """A stand-in for the tag executor: every line starting with `#` is one applied tag.
    It records what it was given and whether the message was already stored (E1)."""

    def __init__(self, tc: TestCore) -> None:
        self._tc = tc
        self.contents: list[str] = []
        self.stored_before_run: list[bool] = []

    async def run(
        self, actor: Actor, workspace_id: str, chat_id: str, content: str
    ) -> TagRun | None:
        self.contents.append(content)
        newest = await self._tc.adapters.messages.newest_top_level(chat_id)
        self.stored_before_run.append(newest is not None and newest.author_id == actor.user_id)
        lines = [line.strip() for line in content.splitlines() if line.strip().startswith("#")]
        if not lines:
            return None
        results = []
        for line in lines:
            name, _, value = line[1:].partition(" ")
            text = f"✅ {name} set to {value}"
            results.append(TagResultView(name, value, ok=True, changed=True, code=None, text=text))
        return TagRun(results=results, reply_text="\n".join(r.text for r in results))


def with_runner(tc: TestCore, runner: TagLinesRunner) -> MessageService:
    core = tc.core
    return MessageService(
        core.write,
        core.chat_access,
        tc.adapters.messages,
        tc.adapters.users,
        core.files,
        runner,
    )


class TestSendWithTags:
    async def test_without_tag_lines_there_is_no_bot_reply(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        runner = TagLinesRunner(tc)

        sent = await with_runner(tc, runner).send(
            owner, workspace_id, chat_id, content="I wrote docs #status Done"
        )

        assert (sent.bot_reply, sent.tag_results) == (None, None)
        assert runner.contents == ["I wrote docs #status Done"]

    async def test_tags_run_after_the_message_is_stored_and_the_bot_replies(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        runner = TagLinesRunner(tc)

        sent = await with_runner(tc, runner).send(
            owner, workspace_id, chat_id, content="Go\n#status Done\n#priority High"
        )

        assert runner.stored_before_run == [True]
        assert sent.tag_results is not None
        assert [(r.tag, r.value, r.ok) for r in sent.tag_results] == [
            ("status", "Done", True),
            ("priority", "High", True),
        ]
        assert sent.bot_reply is not None
        reply = sent.bot_reply.message
        assert (reply.type, reply.author_id, reply.source_message_id, reply.parent_id) == (
            MessageType.BOT,
            FLOWRA_BOT_ID,
            sent.message.message.id,
            None,
        )
        assert reply.content == "✅ status set to Done\n✅ priority set to High"
        assert sent.bot_reply.author.display_name == "Flowra Bot"

    async def test_the_bot_reply_follows_the_message_in_the_timeline(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        sent = await with_runner(tc, TagLinesRunner(tc)).send(
            owner, workspace_id, chat_id, content="#close"
        )

        page = await tc.core.message_reads.list_top_level(
            owner, workspace_id, chat_id, limit=None, cursor=None
        )
        assert sent.bot_reply is not None
        assert [view.message.id for view in page.items] == [
            sent.bot_reply.message.id,
            sent.message.message.id,
        ]

    async def test_a_tag_in_a_thread_is_answered_in_that_thread(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        root = await tc.core.messages.send(owner, workspace_id, chat_id, content="root")

        sent = await with_runner(tc, TagLinesRunner(tc)).send(
            owner,
            workspace_id,
            chat_id,
            content="#status Done",
            parent_id=root.message.message.id,
        )

        assert sent.bot_reply is not None
        assert sent.bot_reply.message.parent_id == root.message.message.id

    async def test_the_bot_reply_is_not_unread_for_the_author(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)

        await with_runner(tc, TagLinesRunner(tc)).send(
            owner, workspace_id, chat_id, content="#close"
        )

        chat = await tc.adapters.chats.get(chat_id)
        assert chat is not None
        own = await tc.core.read_markers.unread_summary(owner.user_id, [chat])
        other = await tc.core.read_markers.unread_summary(member.user_id, [chat])
        assert (own[chat_id].unread_count, other[chat_id].unread_count) == (0, 2)

    async def test_a_refused_message_runs_no_tags(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        runner = TagLinesRunner(tc)
        service = with_runner(tc, runner)

        denied = await code_of(service.send(member, workspace_id, chat_id, content="#close"))
        invalid = await code_of(
            service.send(owner, workspace_id, chat_id, content="#close", parent_id="nope")
        )

        assert (denied, invalid) == (ErrorCode.NOT_PARTICIPANT, ErrorCode.VALIDATION_ERROR)
        assert runner.contents == []
        assert message_events(tc) == []


class TestWithTheTagExecutor:
    async def test_a_status_tag_changes_the_work_item_and_the_bot_reports_it(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        view = await tc.core.chats.create(owner, workspace_id, NewChat(type="task", title="Fix"))
        tc.clock.advance(STEP)

        sent = await tc.core.messages.send(
            owner, workspace_id, view.chat.id, content="Shipped\n#status Done"
        )

        assert sent.bot_reply is not None
        assert sent.bot_reply.message.content == "✅ Status changed to Done"
        assert sent.tag_results is not None
        assert [(r.tag, r.value, r.ok, r.code) for r in sent.tag_results] == [
            ("status", "Done", True, None)
        ]
        chat = await tc.adapters.chats.get(view.chat.id)
        assert chat is not None
        assert chat.status is Status.DONE

    async def test_tag_changes_write_no_change_summary(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        view = await tc.core.chats.create(owner, workspace_id, NewChat(type="task", title="Fix"))

        await tc.core.messages.send(owner, workspace_id, view.chat.id, content="#priority high")

        page = await tc.core.message_reads.list_top_level(
            owner, workspace_id, view.chat.id, limit=None, cursor=None
        )
        assert [v.message.type for v in page.items] == [MessageType.BOT, MessageType.USER]

    async def test_a_failing_tag_does_not_fail_the_send(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        sent = await tc.core.messages.send(owner, workspace_id, chat_id, content="#status Done")

        assert sent.tag_results is not None
        assert [(r.ok, r.code) for r in sent.tag_results] == [(False, "NOT_A_WORK_ITEM")]
        assert sent.bot_reply is not None
        assert sent.bot_reply.message.content.startswith("❌ #status: ")
