"""The write path under contention (domain.md §3 "Concurrency"): optimistic appends, reload
and retry with 10/20/40 ms back-off, CONCURRENT_MODIFICATION after the third retry.

Everything runs in one event loop, so commands only interleave at await points. The plain
in-memory journal never suspends, which would make every command run from load to append in
one go. The journal here hands control to the loop on every stream read, as a database round
trip does, so concurrent commands really load the same version and race for the append.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.delivery.reactions import Reaction, ReactionRunner, ReactionTable
from flowra_core.app.delivery.table import EVERY_AGGREGATE
from flowra_core.app.telemetry import TagOutcome
from flowra_core.app.users.service import UserService
from flowra_core.app.workspaces.service import WorkspaceService
from flowra_core.app.write_path import RETRY_DELAYS, STATE_REACTION, WritePath
from flowra_core.domain.errors import ConcurrencyConflict, DomainError, ErrorCode
from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.domain.user import UserSource
from flowra_core.domain.workspace import (
    MemberRole,
    Workspace,
    WorkspaceUpdated,
    replay,
)
from flowra_core.memory.event_store import InMemoryEventStore
from flowra_core.memory.presence import InMemoryPresence
from flowra_core.memory.reaction_work import InMemoryReactionWork
from flowra_core.memory.users import InMemoryUserStore
from flowra_core.memory.workspaces import InMemoryInviteTokenStore, InMemoryWorkspaceStore
from flowra_core.ports.event_store import Commit
from flowra_core.ports.identity import IdentityClaims
from flowra_core.testing.clock import FixedClock, SeededIds, SeededTokens

WRITERS = 50
BeforeAppend = Callable[[Commit], Awaitable[None]]


@dataclass
class InterleavingEventStore(InMemoryEventStore):
    """The in-memory journal with a yield point in every stream read and append, a count of
    refused appends, and an optional hook that runs just before an append (to stage a rival
    write)."""

    conflicts: int = 0
    before_append: BeforeAppend | None = None
    _in_hook: bool = field(default=False, repr=False)

    async def read_stream(
        self, aggregate_id: str, *, after_version: int = 0
    ) -> list[EventEnvelope]:
        # A round trip: other commands run while the request travels and, above all, while
        # the answer travels back, so what was read may be stale by the time it is used.
        await asyncio.sleep(0)
        events = list(await super().read_stream(aggregate_id, after_version=after_version))
        await asyncio.sleep(0)
        return events

    async def append(self, commit: Commit) -> None:
        # The insert's round trip: rivals that read the same state decide meanwhile.
        await asyncio.sleep(0)
        if self.before_append is not None and not self._in_hook:
            self._in_hook = True
            try:
                await self.before_append(commit)
            finally:
                self._in_hook = False
        try:
            await super().append(commit)
        except ConcurrencyConflict:
            self.conflicts += 1
            raise


@dataclass
class RecordingTelemetry:
    """What the write path reported: commits (by their event types) and lost races."""

    commits: list[tuple[str, ...]] = field(default_factory=list)
    conflicts: list[AggregateType] = field(default_factory=list)

    def committed(self, commit: Commit) -> None:
        self.commits.append(tuple(envelope.type for envelope in commit.events))

    def conflicted(self, aggregate_type: AggregateType) -> None:
        self.conflicts.append(aggregate_type)

    def tag_executed(self, tag: str, outcome: TagOutcome) -> None:
        raise AssertionError("the write path runs no tags")

    def reacted(self, reaction: str, commit: Commit, *, inline: bool) -> None:
        """The state save, inline: not what these tests watch."""

    def reaction_failed(self, reaction: str, commit: Commit) -> None:
        raise AssertionError("the state save does not fail here")


@dataclass
class Harness:
    journal: InterleavingEventStore
    workspace_store: InMemoryWorkspaceStore
    users: UserService
    workspaces: WorkspaceService
    delays: list[float]
    telemetry: RecordingTelemetry

    async def user(self, username: str) -> Actor:
        user = await self.users.provision(
            IdentityClaims(
                external_id=f"local:{username}",
                username=username,
                email=f"{username}@flowra.local",
                display_name=None,
                is_system_admin=False,
                source=UserSource.DEV,
            )
        )
        return Actor(user.id)

    async def stored(self, workspace_id: str) -> Workspace:
        workspace = await self.workspace_store.get(workspace_id)
        assert workspace is not None
        return workspace

    def stream(self, aggregate_id: str) -> list[EventEnvelope]:
        return [e for e in self.journal.all_events() if e.aggregate_id == aggregate_id]


def _state_saved_inline() -> Reaction:
    """The one reaction the write path needs here: the state save, which it runs inline with
    the state in hand (the sweep's way of doing it is never reached in these tests)."""

    async def unreachable(commit: Commit) -> None:
        raise AssertionError("no sweep runs here")

    return Reaction(STATE_REACTION, "state", EVERY_AGGREGATE, None, unreachable)


@pytest.fixture
def harness() -> Harness:
    journal = InterleavingEventStore()
    delays: list[float] = []
    telemetry = RecordingTelemetry()

    async def recorded_sleep(delay: float) -> None:
        delays.append(delay)
        await asyncio.sleep(0)  # back off without real time passing

    clock = FixedClock()
    write = WritePath(
        journal=journal,
        clock=clock,
        ids=SeededIds(7),
        reactions=ReactionRunner(
            ReactionTable([_state_saved_inline()]), InMemoryReactionWork(), journal, clock
        ),
        telemetry=telemetry,
        sleep=recorded_sleep,
    )
    user_store = InMemoryUserStore()
    workspace_store = InMemoryWorkspaceStore()
    return Harness(
        journal=journal,
        workspace_store=workspace_store,
        users=UserService(write, user_store, workspace_store),
        workspaces=WorkspaceService(
            write,
            workspace_store,
            user_store,
            InMemoryInviteTokenStore(),
            SeededTokens(7),
            InMemoryPresence(),
        ),
        delays=delays,
        telemetry=telemetry,
    )


def assert_journal_is_the_state(harness: Harness, stored: Workspace) -> None:
    """Versions 1…n without gaps or repeats, and replaying them gives the stored state."""
    stream = harness.stream(stored.id)
    assert [e.version for e in stream] == list(range(1, len(stream) + 1))
    assert stored.version == len(stream)
    assert replay(e.event for e in stream) == stored


def conflict_code(outcome: object) -> ErrorCode:
    assert isinstance(outcome, DomainError), f"unexpected outcome {outcome!r}"
    return outcome.code


class TestConcurrentWriters:
    async def test_members_added_at_once_are_all_kept_or_cleanly_refused(
        self, harness: Harness
    ) -> None:
        owner = await harness.user("owner")
        created = await harness.workspaces.create(owner, name="Busy", description=None)
        workspace_id = created.workspace.id
        newcomers = [await harness.user(f"user{n:02}") for n in range(WRITERS)]

        outcomes = await asyncio.gather(
            *(
                harness.workspaces.add_member(
                    owner, workspace_id, user_id=who.user_id, username=None, role=None
                )
                for who in newcomers
            ),
            return_exceptions=True,
        )

        stored = await harness.stored(workspace_id)
        added = {who.user_id for who, outcome in zip(newcomers, outcomes, strict=True)}
        succeeded = {
            who.user_id
            for who, outcome in zip(newcomers, outcomes, strict=True)
            if not isinstance(outcome, BaseException)
        }
        failed = added - succeeded
        assert {conflict_code(o) for o in outcomes if isinstance(o, BaseException)} <= {
            ErrorCode.CONCURRENT_MODIFICATION
        }
        assert {m.user_id for m in stored.members} == succeeded | {owner.user_id}
        assert all(stored.member(user_id) is None for user_id in failed)
        assert_journal_is_the_state(harness, stored)
        assert [e.type for e in harness.stream(workspace_id)].count("member.added") == (
            len(succeeded) + 1
        )
        # The race was real: writers collided and backed off, and some still got through.
        assert harness.journal.conflicts > 0
        assert set(harness.delays) <= set(RETRY_DELAYS)
        assert succeeded

    async def test_description_edits_at_once_form_one_serial_history(
        self, harness: Harness
    ) -> None:
        owner = await harness.user("owner")
        created = await harness.workspaces.create(owner, name="Busy", description="start")
        workspace_id = created.workspace.id
        wanted = [f"description {n:02}" for n in range(WRITERS)]

        outcomes = await asyncio.gather(
            *(
                harness.workspaces.update(owner, workspace_id, name=None, description=text)
                for text in wanted
            ),
            return_exceptions=True,
        )

        succeeded = {
            text
            for text, outcome in zip(wanted, outcomes, strict=True)
            if not isinstance(outcome, BaseException)
        }
        assert {conflict_code(o) for o in outcomes if isinstance(o, BaseException)} <= {
            ErrorCode.CONCURRENT_MODIFICATION
        }
        for text, outcome in zip(wanted, outcomes, strict=True):
            if not isinstance(outcome, BaseException):
                assert outcome.workspace.description == text
        stored = await harness.stored(workspace_id)
        assert_journal_is_the_state(harness, stored)
        updates = [
            e.event for e in harness.stream(workspace_id) if isinstance(e.event, WorkspaceUpdated)
        ]
        history = ["start"]
        for update in updates:
            change = update.changes.description
            assert change is not None
            assert change.old == history[-1]  # each writer saw the previous one's result
            history.append(change.new)
        assert set(history[1:]) == succeeded
        assert len(history[1:]) == len(succeeded)
        assert stored.description == history[-1]
        assert harness.journal.conflicts > 0
        assert succeeded

    async def test_no_more_writers_than_attempts_all_get_through(self, harness: Harness) -> None:
        owner = await harness.user("owner")
        created = await harness.workspaces.create(owner, name="Busy", description=None)
        workspace_id = created.workspace.id
        newcomers = [await harness.user(f"user{n}") for n in range(1 + len(RETRY_DELAYS))]

        await asyncio.gather(
            *(
                harness.workspaces.add_member(
                    owner, workspace_id, user_id=who.user_id, username=None, role=None
                )
                for who in newcomers
            )
        )

        stored = await harness.stored(workspace_id)
        assert {m.user_id for m in stored.members} == {w.user_id for w in newcomers} | {
            owner.user_id
        }
        assert harness.journal.conflicts > 0
        assert_journal_is_the_state(harness, stored)

    async def test_an_invite_is_never_used_beyond_its_limit(self, harness: Harness) -> None:
        owner = await harness.user("owner")
        created = await harness.workspaces.create(owner, name="Busy", description=None)
        workspace_id = created.workspace.id
        view = await harness.workspaces.create_invite(
            owner, workspace_id, role=None, expires_at=None, max_uses=3
        )
        assert view.token is not None
        guests = [await harness.user(f"guest{n:02}") for n in range(20)]

        outcomes = await asyncio.gather(
            *(harness.workspaces.accept_invite(guest, view.token) for guest in guests),
            return_exceptions=True,
        )

        joined = {
            guest.user_id
            for guest, outcome in zip(guests, outcomes, strict=True)
            if not isinstance(outcome, BaseException)
        }
        assert {conflict_code(o) for o in outcomes if isinstance(o, BaseException)} <= {
            ErrorCode.CONCURRENT_MODIFICATION,
            ErrorCode.INVITE_EXHAUSTED,
        }
        stored = await harness.stored(workspace_id)
        invite = stored.invite(view.invite.id)
        assert invite is not None
        assert 1 <= len(joined) <= 3
        assert invite.used_count == len(joined)
        assert {m.user_id for m in stored.members} == joined | {owner.user_id}
        assert_journal_is_the_state(harness, stored)


class TestRetry:
    async def test_a_conflict_on_the_first_attempt_is_retried_on_the_fresh_state(
        self, harness: Harness
    ) -> None:
        owner = await harness.user("owner")
        newcomer = await harness.user("newcomer")
        created = await harness.workspaces.create(owner, name="Busy", description=None)
        workspace_id = created.workspace.id
        attempts: list[int] = []

        async def rival_writes_first(commit: Commit) -> None:
            attempts.append(commit.base_version)
            if len(attempts) == 1:
                await harness.workspaces.update(
                    owner, workspace_id, name=None, description="rival was here"
                )

        harness.journal.before_append = rival_writes_first

        view = await harness.workspaces.add_member(
            owner, workspace_id, user_id=newcomer.user_id, username=None, role="admin"
        )

        assert view.member.role is MemberRole.ADMIN
        stored = await harness.stored(workspace_id)
        assert stored.description == "rival was here"
        assert stored.member(newcomer.user_id) is not None
        assert attempts == [2, 3]  # read version 2, lost to the rival, reloaded version 3
        assert harness.delays == [0.01]
        assert harness.journal.conflicts == 1
        assert harness.telemetry.conflicts == [AggregateType.WORKSPACE]
        # The lost attempt is not a commit: the rival's and the retry's are.
        assert harness.telemetry.commits[-2:] == [("workspace.updated",), ("member.added",)]
        assert sum(len(types) for types in harness.telemetry.commits) == len(
            harness.journal.all_events()
        )
        assert [e.type for e in harness.stream(workspace_id)] == [
            "workspace.created",
            "member.added",
            "workspace.updated",
            "member.added",
        ]
        assert_journal_is_the_state(harness, stored)

    async def test_the_retry_decides_again_and_may_now_refuse(self, harness: Harness) -> None:
        owner = await harness.user("owner")
        admin = await harness.user("admin")
        newcomer = await harness.user("newcomer")
        created = await harness.workspaces.create(owner, name="Busy", description=None)
        workspace_id = created.workspace.id
        await harness.workspaces.add_member(
            owner, workspace_id, user_id=admin.user_id, username=None, role="admin"
        )

        async def owner_demotes_the_admin(commit: Commit) -> None:
            harness.journal.before_append = None
            await harness.workspaces.change_role(owner, workspace_id, admin.user_id, role="member")

        harness.journal.before_append = owner_demotes_the_admin

        with pytest.raises(DomainError) as failure:
            await harness.workspaces.add_member(
                admin, workspace_id, user_id=newcomer.user_id, username=None, role=None
            )

        assert failure.value.code is ErrorCode.FORBIDDEN
        stored = await harness.stored(workspace_id)
        assert stored.member(newcomer.user_id) is None
        assert_journal_is_the_state(harness, stored)

    async def test_after_three_retries_the_command_fails(self, harness: Harness) -> None:
        owner = await harness.user("owner")
        newcomer = await harness.user("newcomer")
        created = await harness.workspaces.create(owner, name="Busy", description=None)
        workspace_id = created.workspace.id
        rival_edits: list[str] = []

        async def rival_always_wins(commit: Commit) -> None:
            rival_edits.append(f"rival edit {len(rival_edits) + 1}")
            await harness.workspaces.update(
                owner, workspace_id, name=None, description=rival_edits[-1]
            )

        harness.journal.before_append = rival_always_wins

        with pytest.raises(DomainError) as failure:
            await harness.workspaces.add_member(
                owner, workspace_id, user_id=newcomer.user_id, username=None, role=None
            )

        assert failure.value.code is ErrorCode.CONCURRENT_MODIFICATION
        assert harness.delays == [0.01, 0.02, 0.04]
        assert len(rival_edits) == 4  # the first attempt and three retries
        assert harness.journal.conflicts == 4
        stored = await harness.stored(workspace_id)
        assert stored.member(newcomer.user_id) is None
        assert stored.description == "rival edit 4"
        assert [e.type for e in harness.stream(workspace_id)].count("workspace.updated") == 4
        assert_journal_is_the_state(harness, stored)

    async def test_a_no_op_never_reaches_the_journal(self, harness: Harness) -> None:
        owner = await harness.user("owner")
        created = await harness.workspaces.create(owner, name="Busy", description="same")
        appends: list[Commit] = []

        async def record(commit: Commit) -> None:
            appends.append(commit)

        harness.journal.before_append = record

        await harness.workspaces.update(owner, created.workspace.id, name="Busy", description=None)

        assert appends == []
        assert harness.delays == []

    def test_the_back_off_is_ten_twenty_forty_milliseconds(self) -> None:
        assert RETRY_DELAYS == (0.01, 0.02, 0.04)
