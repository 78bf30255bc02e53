"""The tag executor (tags.md §4): the examples of §2 and §5 verbatim, and execution rules
E2–E8. Alice owns the workspace and administers the discussion "Login fails on Safari";
Bob and Carol are members, Bob also takes part in the discussion."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.messages.service import TagRun
from flowra_core.domain.chat import NewChat, Priority, Status
from flowra_core.domain.errors import ConcurrencyConflict, ServiceUnavailable
from flowra_core.domain.events import AggregateType
from flowra_core.domain.message import MessageType
from flowra_core.domain.user.state import User
from flowra_core.memory.event_store import InMemoryEventStore
from flowra_core.memory.users import InMemoryUserStore
from flowra_core.ports.event_store import Commit
from flowra_core.testing.builder import TestCore, in_memory_ports
from flowra_core.testing.clock import FixedClock, SeededIds, SeededTokens


@dataclass
class JournalWithRivals(InMemoryEventStore):
    """Records each commit; `rival_writes` chat commits in a row lose to a concurrent writer."""

    commits: list[Commit] = field(default_factory=list)
    rival_writes: int = 0

    async def append(self, commit: Commit) -> None:
        if commit.aggregate_type is AggregateType.CHAT and self.rival_writes > 0:
            self.rival_writes -= 1
            raise ConcurrencyConflict(commit.aggregate_id, commit.base_version)
        await super().append(commit)
        self.commits.append(commit)


class FlakyUsers(InMemoryUserStore):
    """Username look-ups fail while `down` (a database outage)."""

    down = False

    async def by_username(self, username: str) -> User | None:
        if self.down:
            raise ServiceUnavailable("mongodb", "timed out")
        return await super().by_username(username)


@pytest.fixture
async def tc() -> TestCore:
    clock = FixedClock()
    ports, adapters = in_memory_ports(clock=clock, ids=SeededIds(7), tokens=SeededTokens(7))
    journal, users = JournalWithRivals(), FlakyUsers()
    ports = replace(ports, event_store=journal, users=users)
    adapters = replace(adapters, event_store=journal, users=users)
    core = FlowraCore(ports)
    await core.users.ensure_bot()
    return TestCore(core=core, adapters=adapters, clock=clock)


@dataclass
class Team:
    ws: str
    alice: Actor
    bob: Actor
    carol: Actor
    chat_id: str


@pytest.fixture
async def team(tc: TestCore) -> Team:
    core = tc.core
    alice, bob, carol = await tc.user("alice"), await tc.user("bob"), await tc.user("carol")
    await tc.user("oscar")  # exists, but not in the workspace
    ws = (await core.workspaces.create(alice, name="Team", description=None)).workspace.id
    for user in (bob, carol):
        await core.workspaces.add_member(alice, ws, user_id=user.user_id, username=None, role=None)
    draft = NewChat(title="Login fails on Safari", participant_ids=[bob.user_id])
    chat_id = (await core.chats.create(alice, ws, draft)).chat.id
    return Team(ws, alice, bob, carol, chat_id)


async def run(core: FlowraCore, team: Team, actor: Actor, content: str) -> TagRun:
    result = await core.tags.run(actor, team.ws, team.chat_id, content)
    assert result is not None
    return result


async def reply(core: FlowraCore, team: Team, content: str, actor: Actor | None = None) -> str:
    return (await run(core, team, actor or team.alice, content)).reply_text


async def make_task(core: FlowraCore, team: Team) -> None:
    await reply(core, team, "#task Fix Safari login")


class TestSpecExamples:
    async def test_the_bot_replies_of_section_5(self, core: FlowraCore, team: Team) -> None:
        first = (
            "Login fails on Safari\n"
            "#task Fix Safari login #priority High #assignee @bob\n"
            "#due 2026-03-01"
        )
        assert await reply(core, team, first) == (
            "✅ Converted to task: Fix Safari login\n"
            "✅ Priority set to High\n"
            "✅ Assigned to @bob\n"
            "✅ Due date set to 2026-03-01"
        )
        second = "#status Completed #priority urgent #status in progress"
        assert await reply(core, team, second) == (
            "❌ #status: 'Completed' is not a status of a task. Allowed: To Do, In Progress, Done\n"
            "❌ #priority: 'urgent' is not a priority. Allowed: Low, Medium, High, Critical\n"
            "✅ Status changed to In Progress"
        )
        assert await reply(core, team, "#close") == "✅ Closed"
        assert await reply(core, team, "#reopen") == "✅ Reopened with status In Progress"
        assert (
            await core.tags.run(team.alice, team.ws, team.chat_id, "I wrote docs #status Done")
            is None
        )

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            ("#status In Progress", "✅ Status changed to In Progress"),
            ("#status Done #priority high", "✅ Status changed to Done\n✅ Priority set to High"),
            ("#close #status Done", "✅ Closed\n✅ Status changed to Done"),
            ("#title Fix #123 and #Bar", "✅ Title changed to: Fix #123 and #Bar"),
            (
                "#title Fix #bug in parser",
                "✅ Title changed to: Fix\n✅ Converted to bug: in parser",
            ),
            ("#status Done #foo bar", "✅ Status changed to Done\n❌ #foo: unknown tag"),
        ],
    )
    async def test_the_grammar_examples_of_section_2(
        self, core: FlowraCore, team: Team, line: str, expected: str
    ) -> None:
        await make_task(core, team)
        assert await reply(core, team, line) == expected

    @pytest.mark.parametrize("line", ["#Status Done", "#general is great", "no tags here"])
    async def test_plain_text_gets_no_bot_reply(
        self, core: FlowraCore, team: Team, line: str
    ) -> None:
        assert await core.tags.run(team.alice, team.ws, team.chat_id, line) is None

    async def test_sending_a_message_answers_with_one_bot_reply(
        self, core: FlowraCore, tc: TestCore, team: Team
    ) -> None:
        """E1 and E5 through the send use case: the reply is stored even after #delete."""
        sent = await core.messages.send(
            team.alice, team.ws, team.chat_id, content="Bye\n#delete #priority High"
        )
        assert sent.bot_reply is not None
        assert sent.bot_reply.message.content == (
            "✅ Chat deleted\n❌ #priority: the chat has been deleted"
        )
        assert [r.code for r in sent.tag_results or []] == [None, "CHAT_DELETED"]
        stored = await tc.adapters.messages.get(sent.bot_reply.message.id)
        assert stored is not None
        assert (stored.type, stored.source_message_id) == (MessageType.BOT, sent.message.message.id)


class TestResults:
    async def test_each_tag_reports_tag_value_outcome_and_line(
        self, core: FlowraCore, team: Team
    ) -> None:
        await make_task(core, team)
        result = await run(core, team, team.alice, "#priority High #priority high #priority x")
        assert [(r.tag, r.value, r.ok, r.changed, r.code) for r in result.results] == [
            ("priority", "High", True, True, None),
            ("priority", "high", True, False, None),
            ("priority", "x", False, False, "INVALID_PRIORITY"),
        ]
        assert [r.text for r in result.results] == result.reply_text.split("\n")
        assert result.results[1].text == "✅ Priority unchanged: High"


class TestExecutionRules:
    async def test_e2_each_tag_sees_the_chat_as_earlier_tags_left_it(
        self, core: FlowraCore, team: Team
    ) -> None:
        assert await reply(core, team, "#task X #priority High", team.bob) == (
            "❌ #task: you are not allowed to do this in this chat\n"
            "❌ #priority: this chat is not a work item; start one with #task, #bug or #epic"
        )
        assert await reply(core, team, "#task X #priority High") == (
            "✅ Converted to task: X\n✅ Priority set to High"
        )

    async def test_e3_one_commit_per_tag_and_failures_stop_nothing(
        self, core: FlowraCore, tc: TestCore, team: Team
    ) -> None:
        journal = tc.adapters.event_store
        assert isinstance(journal, JournalWithRivals)
        before = len(journal.commits)
        text = await reply(core, team, "#task X #priority nope #priority Low #due 2026-02-01")
        assert text.count("✅") == 3
        assert [len(c.events) for c in journal.commits[before:]] == [1, 1, 1]
        chat = await core.chat_reads.get(team.alice, team.ws, team.chat_id)
        assert (chat.chat.priority, chat.chat.status) == (Priority.LOW, Status.TO_DO)

    async def test_e4_a_lasting_conflict_fails_only_that_tag(
        self, core: FlowraCore, tc: TestCore, team: Team
    ) -> None:
        await make_task(core, team)
        journal = tc.adapters.event_store
        assert isinstance(journal, JournalWithRivals)
        journal.rival_writes = 4  # the first try and all three retries lose
        assert await reply(core, team, "#status Done #priority High") == (
            "❌ #status: the chat was changed at the same time; please try again\n"
            "✅ Priority set to High"
        )
        journal.rival_writes = 3  # the last retry wins
        assert await reply(core, team, "#status Done") == "✅ Status changed to Done"

    async def test_e5_after_delete_every_later_tag_fails(
        self, core: FlowraCore, team: Team
    ) -> None:
        result = await run(core, team, team.alice, "#delete #status Done\n#title Again #delete")
        assert result.reply_text == (
            "✅ Chat deleted\n"
            "❌ #status: the chat has been deleted\n"
            "❌ #title: the chat has been deleted\n"
            "❌ #delete: the chat has been deleted"
        )
        assert [r.code for r in result.results][1:] == ["CHAT_DELETED"] * 3

    async def test_e6_tags_write_no_change_summary(
        self, core: FlowraCore, tc: TestCore, team: Team
    ) -> None:
        await reply(core, team, "#task X #priority High #invite @carol #close")
        messages = await tc.adapters.messages.top_level(team.chat_id, before=None, limit=10)
        assert [m for m in messages if m.type is MessageType.SYSTEM] == []

    async def test_e7_an_unexpected_failure_is_reported_not_raised(
        self, core: FlowraCore, tc: TestCore, team: Team
    ) -> None:
        await make_task(core, team)
        users = tc.adapters.users
        assert isinstance(users, FlakyUsers)
        users.down = True
        assert await reply(core, team, "#assignee @bob #priority Low") == (
            "❌ #assignee: unexpected error; this tag was not applied\n✅ Priority set to Low"
        )

    @pytest.mark.parametrize(
        ("is_task", "actor", "line", "expected"),
        [
            # VALUE_REQUIRED / VALUE_NOT_ALLOWED before anything else
            (False, "carol", "#status", "#status: a value is required"),
            (False, "carol", "#reopen now", "#reopen: this tag takes no value"),
            # FORBIDDEN before NOT_A_WORK_ITEM and before value checks
            (
                False,
                "carol",
                "#priority urgent",
                "#priority: you are not allowed to do this in this chat",
            ),
            (True, "bob", "#invite carol", "#invite: you are not allowed to do this in this chat"),
            # NOT_A_WORK_ITEM before SEVERITY_BUG_ONLY and value validity
            (
                False,
                "bob",
                "#severity fatal",
                "#severity: this chat is not a work item; start one with #task, #bug or #epic",
            ),
            (
                False,
                "bob",
                "#due tomorrow",
                "#due: this chat is not a work item; start one with #task, #bug or #epic",
            ),
            (
                False,
                "bob",
                "#assignee bob",
                "#assignee: this chat is not a work item; start one with #task, #bug or #epic",
            ),
            # SEVERITY_BUG_ONLY before value validity
            (True, "bob", "#severity fatal", "#severity: only bugs have a severity"),
            # value validity before referenced users
            (True, "bob", "#assignee bob", "#assignee: expected @username or @none"),
            # referenced users before state
            (True, "alice", "#invite @bob", "#invite: @bob is already in this chat"),
            # value validity before state
            (True, "alice", "#task " + "x" * 201, "#task: the title is longer than 200 characters"),
            (True, "alice", "#task Again", "#task: this chat is already a task"),
        ],
    )
    async def test_e8_the_first_failing_check_wins(
        self,
        core: FlowraCore,
        team: Team,
        is_task: bool,
        actor: str,
        line: str,
        expected: str,
    ) -> None:
        if is_task:
            await make_task(core, team)
        caller = {"alice": team.alice, "bob": team.bob, "carol": team.carol}[actor]
        assert await reply(core, team, line, caller) == f"❌ {expected}"
