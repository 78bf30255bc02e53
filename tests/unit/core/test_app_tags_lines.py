"""Every ✅ text of the tag catalogue (tags.md §3), the unchanged lines, and every ❌ reason of
tags.md §5 with its failure code. Alice owns the workspace and administers the work item
"Fix Safari login" (a task, or a bug where the tag needs one); Bob takes part in it; Carol is
a member outside it; Oscar is a user outside the workspace."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.messages.service import TagResultView
from flowra_core.domain.chat import NewChat
from flowra_core.testing.builder import TestCore


@dataclass
class Team:
    ws: str
    alice: Actor
    bob: Actor
    carol: Actor
    chat_id: str


async def make_team(tc: TestCore, chat_type: str) -> Team:
    core = tc.core
    alice, bob, carol = await tc.user("alice"), await tc.user("Bob"), await tc.user("carol")
    await tc.user("oscar")
    ws = (await core.workspaces.create(alice, name="Team", description=None)).workspace.id
    for user in (bob, carol):
        await core.workspaces.add_member(alice, ws, user_id=user.user_id, username=None, role=None)
    draft = NewChat(type=chat_type, title="Fix Safari login", participant_ids=[bob.user_id])
    chat_id = (await core.chats.create(alice, ws, draft)).chat.id
    return Team(ws, alice, bob, carol, chat_id)


@pytest.fixture
async def team(tc: TestCore) -> Team:
    return await make_team(tc, "task")


async def results(core: FlowraCore, team: Team, content: str) -> list[TagResultView]:
    run = await core.tags.run(team.alice, team.ws, team.chat_id, content)
    assert run is not None
    return run.results


async def lines(core: FlowraCore, team: Team, content: str) -> list[str]:
    return [result.text for result in await results(core, team, content)]


class TestAppliedAndUnchanged:
    @pytest.mark.parametrize(
        ("content", "expected"),
        [
            (
                "#status done\n#status Done",
                ["✅ Status changed to Done", "✅ Status unchanged: Done"],
            ),
            (
                "#priority LOW #priority low",
                ["✅ Priority set to Low", "✅ Priority unchanged: Low"],
            ),
            (
                "#assignee @BOB #assignee @bob #assignee @none #assignee",
                [
                    "✅ Assigned to @Bob",
                    "✅ Assignee unchanged: @Bob",
                    "✅ Assignee removed",
                    "✅ Assignee unchanged: none",
                ],
            ),
            (
                "#due 2026-03-01T09:30 #due 2026-03-01T10:30:00+01:00 #due #due",
                [
                    "✅ Due date set to 2026-03-01 09:30 UTC",
                    "✅ Due date unchanged: 2026-03-01 09:30 UTC",
                    "✅ Due date removed",
                    "✅ Due date unchanged: none",
                ],
            ),
            (
                "#due 2026-03-01 #due 2026-03-01",
                ["✅ Due date set to 2026-03-01", "✅ Due date unchanged: 2026-03-01"],
            ),
            (
                "#title Fix login #title Fix login",
                ["✅ Title changed to: Fix login", "✅ Title unchanged: Fix login"],
            ),
            (
                "#description Steps: open #description Steps: open #description #description",
                [
                    "✅ Description updated",
                    "✅ Description unchanged",
                    "✅ Description cleared",
                    "✅ Description unchanged",
                ],
            ),
            (
                "#invite @Carol #remove @carol",
                ["✅ @carol added to the chat", "✅ @carol removed from the chat"],
            ),
            ("#close #reopen", ["✅ Closed", "✅ Reopened with status To Do"]),
            ("#epic Roadmap", ["✅ Converted to epic: Roadmap"]),
            ("#delete", ["✅ Chat deleted"]),
        ],
    )
    async def test_lines(
        self, core: FlowraCore, team: Team, content: str, expected: list[str]
    ) -> None:
        assert await lines(core, team, content) == expected

    async def test_severity_on_a_bug(self, core: FlowraCore, tc: TestCore) -> None:
        team = await make_team(tc, "bug")
        assert await lines(core, team, "#severity BLOCKER #severity blocker") == [
            "✅ Severity set to Blocker",
            "✅ Severity unchanged: Blocker",
        ]

    async def test_an_assignee_outside_the_chat_joins_it(
        self, core: FlowraCore, team: Team
    ) -> None:
        await lines(core, team, "#assignee @carol")
        view = await core.chat_reads.get(team.alice, team.ws, team.chat_id)
        assert sorted(p.user.username for p in view.participants) == ["Bob", "alice", "carol"]
        assert view.summary.assignee is not None
        assert view.summary.assignee.username == "carol"


class TestFailures:
    @pytest.mark.parametrize(
        ("content", "code", "line"),
        [
            ("#priority High #foo", "UNKNOWN_TAG", "❌ #foo: unknown tag"),
            ("#status", "VALUE_REQUIRED", "❌ #status: a value is required"),
            ("#close now", "VALUE_NOT_ALLOWED", "❌ #close: this tag takes no value"),
            (
                "#status Closed",
                "INVALID_STATUS",
                "❌ #status: 'Closed' is not a status of a task. Allowed: To Do, In Progress, Done",
            ),
            (
                "#priority " + "p" * 60,
                "INVALID_PRIORITY",
                f"❌ #priority: '{'p' * 50}…' is not a priority."
                " Allowed: Low, Medium, High, Critical",
            ),
            ("#severity Major", "SEVERITY_BUG_ONLY", "❌ #severity: only bugs have a severity"),
            (
                "#due 2026-02-30",
                "INVALID_DATE",
                "❌ #due: '2026-02-30' is not a valid date;"
                " use YYYY-MM-DD, YYYY-MM-DDTHH:MM or RFC 3339",
            ),
            ("#assignee bob", "INVALID_USERNAME", "❌ #assignee: expected @username or @none"),
            ("#invite @bob smith", "INVALID_USERNAME", "❌ #invite: expected @username"),
            ("#remove Bob", "INVALID_USERNAME", "❌ #remove: expected @username"),
            (
                "#assignee @ghost",
                "USER_NOT_FOUND",
                "❌ #assignee: @ghost is not a member of this workspace",
            ),
            (
                "#invite @oscar",
                "USER_NOT_FOUND",
                "❌ #invite: @oscar is not a member of this workspace",
            ),
            (
                "#remove @ghost",
                "USER_NOT_FOUND",
                "❌ #remove: @ghost is not a member of this workspace",
            ),
            ("#invite @bob", "ALREADY_PARTICIPANT", "❌ #invite: @bob is already in this chat"),
            ("#remove @Carol", "NOT_PARTICIPANT", "❌ #remove: @Carol is not in this chat"),
            (
                "#remove @alice",
                "LAST_CHAT_ADMIN",
                "❌ #remove: @alice is the last admin of this chat",
            ),
            (
                "#title " + "t" * 201,
                "TITLE_TOO_LONG",
                "❌ #title: the title is longer than 200 characters",
            ),
            (
                "#description " + "d" * 5001,
                "DESCRIPTION_TOO_LONG",
                "❌ #description: the description is longer than 5000 characters",
            ),
            ("#task Again", "ALREADY_THIS_TYPE", "❌ #task: this chat is already a task"),
            ("#close #close", "ALREADY_CLOSED", "❌ #close: this task is already closed"),
            ("#reopen", "NOT_CLOSED", "❌ #reopen: this task is not closed"),
            ("#delete #reopen", "CHAT_DELETED", "❌ #reopen: the chat has been deleted"),
        ],
    )
    async def test_reason_and_code(
        self, core: FlowraCore, team: Team, content: str, code: str, line: str
    ) -> None:
        last = (await results(core, team, content))[-1]
        assert (last.ok, last.changed, last.code, last.text) == (False, False, code, line)

    async def test_a_bugs_invalid_severity_lists_the_allowed_ones(
        self, core: FlowraCore, tc: TestCore
    ) -> None:
        team = await make_team(tc, "bug")
        [result] = await results(core, team, "#severity fatal")
        assert (result.code, result.text) == (
            "INVALID_SEVERITY",
            "❌ #severity: 'fatal' is not a severity. Allowed: Minor, Major, Critical, Blocker",
        )

    async def test_forbidden_for_a_participant_without_manage(
        self, core: FlowraCore, team: Team
    ) -> None:
        run = await core.tags.run(team.bob, team.ws, team.chat_id, "#delete")
        assert run is not None
        [result] = run.results
        assert (result.code, result.text) == (
            "FORBIDDEN",
            "❌ #delete: you are not allowed to do this in this chat",
        )

    async def test_only_twenty_tags_run(self, core: FlowraCore, team: Team) -> None:
        outcome = await results(core, team, " ".join(["#priority High"] * 21 + ["#nope"]))
        assert [r.code for r in outcome[:20]] == [None] * 20
        assert [r.text for r in outcome[20:]] == [
            "❌ #priority: too many tags in one message (max 20)",
            "❌ #nope: too many tags in one message (max 20)",
        ]
        assert {r.code for r in outcome[20:]} == {"TOO_MANY_TAGS"}
