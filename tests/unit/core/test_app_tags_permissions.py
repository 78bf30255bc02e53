"""D13: a tag needs the same permission as the equivalent REST call (tags.md §3).

For each tag and each kind of caller, the tag runs on one chat and the REST call on an
identical twin; both must succeed, or both fail, and a REST refusal for lack of rights
(FORBIDDEN / NOT_PARTICIPANT) must be the tag's FORBIDDEN."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.domain.chat import ChatChanges, NewChat
from flowra_core.domain.errors import ErrorCode, FlowraError
from flowra_core.testing.builder import TestCore


@dataclass
class People:
    """Workspace: olivia (owner), adam and wade (admins); carl, pat, tess, ivan, nina
    (members). Each chat is Carl's (its admin) with olivia, adam, pat and tess as members."""

    ws: str
    by_name: dict[str, Actor]

    def __getitem__(self, name: str) -> Actor:
        return self.by_name[name]


CALLERS = {
    "chat admin": "carl",
    "ws owner": "olivia",
    "ws admin": "adam",
    "participant": "pat",
    "non-participant": "nina",
    "ws admin, non-participant": "wade",
}


@pytest.fixture
async def people(tc: TestCore) -> People:
    names = ["olivia", "adam", "wade", "carl", "pat", "tess", "ivan", "nina"]
    actors = {name: await tc.user(name) for name in names}
    core = tc.core
    ws = (await core.workspaces.create(actors["olivia"], name="Acme", description=None)).workspace
    for name in names[1:]:
        role = "admin" if name in ("adam", "wade") else None
        user_id = actors[name].user_id
        await core.workspaces.add_member(
            actors["olivia"], ws.id, user_id=user_id, username=None, role=role
        )
    return People(ws.id, actors)


RestCall = Callable[[FlowraCore, Actor, People, str], Awaitable[object]]


# http-api.md §3: write = participant; manage = chat admin, or ws admin who can read the chat.
RIGHTS = {
    "chat admin": {"write", "manage"},
    "ws owner": {"write", "manage"},
    "ws admin": {"write", "manage"},
    "participant": {"write"},
    "non-participant": set(),
    "ws admin, non-participant": {"manage"},
}


@dataclass(frozen=True)
class Case:
    tag: str
    chat_type: str  # the chat the tag runs on
    rest: RestCall
    closed: bool = False
    needs: str = "write"  # the permission tags.md §3 lists


def _patch(**changes: str) -> RestCall:
    def call(core: FlowraCore, actor: Actor, people: People, chat_id: str) -> Awaitable[object]:
        return core.chats.patch(actor, people.ws, chat_id, ChatChanges(**changes))

    return call


CASES = {
    "#task": Case(
        "#task New",
        "discussion",
        lambda core, a, p, c: core.chats.convert(a, p.ws, c, chat_type="task", title="New"),
        needs="manage",
    ),
    "#bug": Case(
        "#bug New",
        "task",
        lambda core, a, p, c: core.chats.convert(a, p.ws, c, chat_type="bug", title="New"),
        needs="manage",
    ),
    "#epic": Case(
        "#epic New",
        "bug",
        lambda core, a, p, c: core.chats.convert(a, p.ws, c, chat_type="epic", title="New"),
        needs="manage",
    ),
    "#status": Case("#status Done", "task", _patch(status="Done")),
    "#priority": Case("#priority High", "task", _patch(priority="High")),
    "#due": Case("#due 2026-03-01", "task", _patch(due_date="2026-03-01")),
    "#severity": Case("#severity Major", "bug", _patch(severity="Major")),
    "#description": Case("#description Notes", "task", _patch(description="Notes")),
    "#title on a work item": Case("#title New", "task", _patch(title="New")),
    "#title on a discussion": Case("#title New", "discussion", _patch(title="New"), needs="manage"),
    "#assignee": Case(
        "#assignee @ivan",
        "task",
        lambda core, a, p, c: core.chats.patch(
            a, p.ws, c, ChatChanges(assignee_id=p["ivan"].user_id)
        ),
    ),
    "#invite": Case(
        "#invite @ivan",
        "discussion",
        lambda core, a, p, c: core.chats.add_participant(
            a, p.ws, c, user_id=p["ivan"].user_id, role=None
        ),
        needs="manage",
    ),
    "#remove another": Case(
        "#remove @tess",
        "discussion",
        lambda core, a, p, c: core.chats.remove_participant(a, p.ws, c, p["tess"].user_id),
        needs="manage",
    ),
    "#close": Case("#close", "task", lambda core, a, p, c: core.chats.close(a, p.ws, c)),
    "#reopen": Case(
        "#reopen", "task", lambda core, a, p, c: core.chats.reopen(a, p.ws, c), closed=True
    ),
    "#delete": Case(
        "#delete",
        "discussion",
        lambda core, a, p, c: core.chats.delete(a, p.ws, c),
        needs="manage",
    ),
}


async def twin_chat(core: FlowraCore, people: People, case: Case) -> str:
    members = [people[name].user_id for name in ("olivia", "adam", "pat", "tess")]
    draft = NewChat(type=case.chat_type, title="Work", participant_ids=members)
    chat_id = (await core.chats.create(people["carl"], people.ws, draft)).chat.id
    if case.closed:
        await core.chats.close(people["carl"], people.ws, chat_id)
    return chat_id


async def rest_code(call: Awaitable[object]) -> ErrorCode | None:
    try:
        await call
    except FlowraError as error:
        return error.code
    return None


def _expected_tag_code(rest: ErrorCode | None) -> str | None:
    if rest in (ErrorCode.FORBIDDEN, ErrorCode.NOT_PARTICIPANT):
        return "FORBIDDEN"
    return None if rest is None else "other"


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("tag", list(CASES))
async def test_a_tag_needs_the_permission_of_its_rest_call(
    core: FlowraCore, people: People, tag: str, caller: str
) -> None:
    case = CASES[tag]
    actor = people[CALLERS[caller]]
    rest_chat = await twin_chat(core, people, case)
    tag_chat = await twin_chat(core, people, case)

    rest = await rest_code(case.rest(core, actor, people, rest_chat))
    run = await core.tags.run(actor, people.ws, tag_chat, case.tag)

    assert run is not None
    [result] = run.results
    code = None if result.ok else ("FORBIDDEN" if result.code == "FORBIDDEN" else "other")
    assert code == _expected_tag_code(rest), (rest, result.text)
    assert result.ok is (case.needs in RIGHTS[caller]), result.text


@pytest.mark.parametrize(
    ("caller", "allowed"),
    [("participant", True), ("chat admin", False), ("non-participant", False)],
)
async def test_removing_oneself_needs_only_participation(
    core: FlowraCore, people: People, caller: str, allowed: bool
) -> None:
    """`#remove @me` is leaving: any participant, except the last chat admin."""
    case = Case("", "discussion", lambda core, a, p, c: core.chats.leave(a, p.ws, c))
    actor = people[CALLERS[caller]]
    chat_id = await twin_chat(core, people, case)
    run = await core.tags.run(actor, people.ws, chat_id, f"#remove @{CALLERS[caller]}")
    assert run is not None
    [result] = run.results
    assert result.ok is allowed
    expected = {
        "participant": None,
        "chat admin": "LAST_CHAT_ADMIN",
        "non-participant": "FORBIDDEN",
    }[caller]
    assert result.code == expected
