"""Workspace and member use cases (domain.md §2, http-api.md "Workspaces, members, invites"
and the workspace rows of §3 Authorization)."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.delivery.reactions import ReactionTable
from flowra_core.app.users.service import user_kind
from flowra_core.app.workspaces.service import MemberView, WorkspaceView
from flowra_core.domain.errors import DomainError, ErrorCode, FlowraError, ValidationFailed
from flowra_core.domain.events import DomainEvent, EventEnvelope
from flowra_core.domain.user import FLOWRA_BOT_ID, DeactivationReason, User, deactivate_user
from flowra_core.domain.workspace import (
    MemberAdded,
    MemberRemoved,
    MemberRole,
    MemberRoleChanged,
    RemovalReason,
    Workspace,
    WorkspaceUpdated,
)
from flowra_core.ports.event_store import Commit
from flowra_core.testing.builder import TestCore

F = ErrorCode.FORBIDDEN
WNF = ErrorCode.WORKSPACE_NOT_FOUND


async def code_of(call: Awaitable[object]) -> ErrorCode | None:
    """The error code the call failed with, or None when it succeeded."""
    try:
        await call
    except FlowraError as error:
        return error.code
    return None


def fields_of(failure: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in failure.value.errors]


async def stored(tc: TestCore, workspace_id: str) -> Workspace:
    workspace = await tc.adapters.workspaces.get(workspace_id)
    assert workspace is not None
    return workspace


def journal(tc: TestCore, workspace_id: str) -> list[EventEnvelope]:
    return [e for e in tc.adapters.event_store.all_events() if e.aggregate_id == workspace_id]


async def deactivate(tc: TestCore, user_id: str) -> None:
    """What the user sync does when the identity provider deletes an account."""

    def decide(state: User | None) -> list[DomainEvent]:
        assert state is not None
        return deactivate_user(state, reason=DeactivationReason.IDP_DELETED)

    await tc.core.write.execute(user_kind(tc.adapters.users), user_id, decide, actor_id=None)


def roles(workspace: Workspace) -> dict[str, MemberRole]:
    return {m.user_id: m.role for m in workspace.members}


async def member_names(
    core: FlowraCore, actor: Actor, workspace_id: str, **filters: str
) -> list[str]:
    page = await core.workspaces.members(
        actor,
        workspace_id,
        role=filters.get("role"),
        q=filters.get("q"),
        limit=None,
        cursor=None,
    )
    return [view.user.username for view in page.items]


@pytest.fixture
async def target(tc: TestCore, owner: Actor, workspace_id: str) -> Actor:
    """Tara, a plain member the matrix acts on (removed, promoted, made owner)."""
    tara = await tc.user("tara")
    await tc.core.workspaces.add_member(
        owner, workspace_id, user_id=tara.user_id, username=None, role=None
    )
    tc.clock.advance(timedelta(seconds=1))
    return tara


@pytest.fixture
async def newcomer(tc: TestCore) -> Actor:
    """Nina, a user in no workspace, for adding."""
    return await tc.user("nina")


class TestCreateWorkspace:
    async def test_the_creator_becomes_the_only_owner(self, tc: TestCore, member: Actor) -> None:
        view = await tc.core.workspaces.create(member, name="  Moon base ", description=" Cheese ")

        workspace = view.workspace
        assert (workspace.name, workspace.description) == ("Moon base", "Cheese")
        assert (workspace.created_by, workspace.created_at) == (member.user_id, tc.clock.now())
        assert workspace.updated_at == tc.clock.now()
        assert roles(workspace) == {member.user_id: MemberRole.OWNER}
        assert view.my_role == "owner"
        assert workspace.member_count == 1
        assert await stored(tc, workspace.id) == workspace
        assert [e.type for e in journal(tc, workspace.id)] == ["workspace.created", "member.added"]
        assert all(e.workspace_id == workspace.id for e in journal(tc, workspace.id))

    async def test_description_defaults_to_empty(self, core: FlowraCore, member: Actor) -> None:
        view = await core.workspaces.create(member, name="Moon base", description=None)

        assert view.workspace.description == ""

    async def test_names_are_not_unique(self, core: FlowraCore, member: Actor) -> None:
        first = await core.workspaces.create(member, name="Moon base", description=None)
        second = await core.workspaces.create(member, name="Moon base", description=None)

        assert first.workspace.id != second.workspace.id

    @pytest.mark.parametrize(
        ("name", "description", "fields"),
        [
            ("", None, ["name"]),
            ("   ", None, ["name"]),
            ("x" * 101, None, ["name"]),
            ("Moon", "d" * 501, ["description"]),
            ("", "d" * 501, ["name", "description"]),
        ],
    )
    async def test_invalid_fields_are_refused(
        self,
        tc: TestCore,
        member: Actor,
        name: str,
        description: str | None,
        fields: list[str],
    ) -> None:
        with pytest.raises(ValidationFailed) as failure:
            await tc.core.workspaces.create(member, name=name, description=description)

        assert fields_of(failure) == fields
        assert tc.adapters.event_store.all_events() == [
            e for e in tc.adapters.event_store.all_events() if e.aggregate_type == "user"
        ]

    async def test_limits_are_inclusive(self, core: FlowraCore, member: Actor) -> None:
        view = await core.workspaces.create(member, name="x" * 100, description="d" * 500)

        assert (len(view.workspace.name), len(view.workspace.description)) == (100, 500)


class TestGetWorkspace:
    @pytest.mark.parametrize(
        ("caller", "my_role"),
        [
            ("owner", "owner"),
            ("admin", "admin"),
            ("member", "member"),
            ("sysadmin", "system_admin"),
        ],
    )
    async def test_members_and_system_admins_see_it_with_their_role(
        self,
        core: FlowraCore,
        callers: dict[str, Actor],
        workspace_id: str,
        caller: str,
        my_role: str,
    ) -> None:
        view = await core.workspaces.get(callers[caller], workspace_id)

        assert (view.workspace.name, view.workspace.member_count) == ("Acme", 3)
        assert view.my_role == my_role

    async def test_others_and_unknown_ids_get_not_found(
        self, core: FlowraCore, outsider: Actor, sysadmin: Actor, workspace_id: str
    ) -> None:
        assert await code_of(core.workspaces.get(outsider, workspace_id)) is WNF
        assert await code_of(core.workspaces.get(sysadmin, "no-such-workspace")) is WNF

    @pytest.mark.parametrize("caller", ["owner", "member", "sysadmin"])
    async def test_a_deleted_workspace_is_not_found_by_anyone(
        self,
        core: FlowraCore,
        owner: Actor,
        callers: dict[str, Actor],
        workspace_id: str,
        caller: str,
    ) -> None:
        await core.workspaces.delete(owner, workspace_id)

        assert await code_of(core.workspaces.get(callers[caller], workspace_id)) is WNF


def workspace_names(views: list[WorkspaceView]) -> list[str]:
    return [view.workspace.name for view in views]


class TestListWorkspaces:
    async def test_lists_the_callers_workspaces_by_name_ignoring_case(
        self, core: FlowraCore, member: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        await core.workspaces.create(member, name="zeta", description=None)
        await core.workspaces.create(member, name="Beta", description=None)
        await core.workspaces.create(outsider, name="Alpha", description=None)

        page = await core.workspaces.list_workspaces(
            member, all_workspaces=False, limit=None, cursor=None
        )

        assert workspace_names(list(page.items)) == ["Acme", "Beta", "zeta"]
        assert [view.my_role for view in page.items] == ["member", "owner", "owner"]
        assert page.next_cursor is None

    async def test_deleted_workspaces_are_left_out(
        self, core: FlowraCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        await core.workspaces.delete(owner, workspace_id)

        page = await core.workspaces.list_workspaces(
            member, all_workspaces=False, limit=None, cursor=None
        )

        assert list(page.items) == []

    async def test_a_system_admin_lists_only_their_own_unless_asking_for_all(
        self, core: FlowraCore, sysadmin: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        await core.workspaces.create(outsider, name="Side project", description=None)
        await core.workspaces.create(sysadmin, name="Admin corner", description=None)

        own = await core.workspaces.list_workspaces(
            sysadmin, all_workspaces=False, limit=None, cursor=None
        )
        every = await core.workspaces.list_workspaces(
            sysadmin, all_workspaces=True, limit=None, cursor=None
        )

        assert workspace_names(list(own.items)) == ["Admin corner"]
        assert workspace_names(list(every.items)) == ["Acme", "Admin corner", "Side project"]
        assert [view.my_role for view in every.items] == ["system_admin", "owner", "system_admin"]

    async def test_all_is_for_system_admins_only(
        self, core: FlowraCore, owner: Actor, workspace_id: str
    ) -> None:
        listing = core.workspaces.list_workspaces(
            owner, all_workspaces=True, limit=None, cursor=None
        )

        assert await code_of(listing) is F

    async def test_pages(self, core: FlowraCore, member: Actor, workspace_id: str) -> None:
        for name in ["B", "C", "D"]:
            await core.workspaces.create(member, name=name, description=None)

        first = await core.workspaces.list_workspaces(
            member, all_workspaces=False, limit=3, cursor=None
        )
        second = await core.workspaces.list_workspaces(
            member, all_workspaces=False, limit=3, cursor=first.next_cursor
        )

        assert workspace_names(list(first.items)) == ["Acme", "B", "C"]
        assert workspace_names(list(second.items)) == ["D"]
        assert second.next_cursor is None


class TestUpdateWorkspace:
    @pytest.mark.parametrize("caller", ["owner", "admin"])
    async def test_workspace_admins_rename_and_describe(
        self, tc: TestCore, callers: dict[str, Actor], workspace_id: str, caller: str
    ) -> None:
        view = await tc.core.workspaces.update(
            callers[caller], workspace_id, name=" Acme Corp ", description=" Anvils "
        )

        assert (view.workspace.name, view.workspace.description) == ("Acme Corp", "Anvils")
        assert view.workspace.updated_at == tc.clock.now()
        assert view.my_role == caller
        assert await stored(tc, workspace_id) == view.workspace
        last = journal(tc, workspace_id)[-1]
        assert isinstance(last.event, WorkspaceUpdated)
        assert last.event.updated_by == callers[caller].user_id
        assert last.event.changes.name is not None
        assert (last.event.changes.name.old, last.event.changes.name.new) == ("Acme", "Acme Corp")

    async def test_an_absent_field_is_unchanged(
        self, core: FlowraCore, owner: Actor, workspace_id: str
    ) -> None:
        view = await core.workspaces.update(owner, workspace_id, name=None, description="")

        assert (view.workspace.name, view.workspace.description) == ("Acme", "")

    async def test_the_same_values_change_nothing(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        before = await stored(tc, workspace_id)

        view = await tc.core.workspaces.update(
            owner, workspace_id, name="Acme ", description="Rockets and anvils"
        )

        assert view.workspace == before
        assert journal(tc, workspace_id)[-1].type == "member.added"

    @pytest.mark.parametrize(
        ("name", "description", "fields"),
        [("", None, ["name"]), ("x" * 101, None, ["name"]), (None, "d" * 501, ["description"])],
    )
    async def test_invalid_fields_are_refused(
        self,
        tc: TestCore,
        owner: Actor,
        workspace_id: str,
        name: str | None,
        description: str | None,
        fields: list[str],
    ) -> None:
        with pytest.raises(ValidationFailed) as failure:
            await tc.core.workspaces.update(owner, workspace_id, name=name, description=description)

        assert fields_of(failure) == fields
        assert (await stored(tc, workspace_id)).name == "Acme"


class TestDeleteWorkspace:
    async def test_the_owner_soft_deletes_it(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        await tc.core.workspaces.delete(owner, workspace_id)

        workspace = await stored(tc, workspace_id)
        assert workspace.deleted_at == tc.clock.now()
        assert journal(tc, workspace_id)[-1].type == "workspace.deleted"
        for actor in (owner, member):
            assert await code_of(tc.core.workspaces.get(actor, workspace_id)) is WNF

    async def test_everything_inside_is_gone(
        self, core: FlowraCore, owner: Actor, workspace_id: str
    ) -> None:
        await core.workspaces.delete(owner, workspace_id)

        members = core.workspaces.members(
            owner, workspace_id, role=None, q=None, limit=None, cursor=None
        )
        assert await code_of(members) is WNF
        assert await code_of(core.workspaces.delete(owner, workspace_id)) is WNF
        update = core.workspaces.update(owner, workspace_id, name="Back", description=None)
        assert await code_of(update) is WNF


class TestListMembers:
    async def test_lists_members_by_joined_at_with_their_profiles(
        self, tc: TestCore, owner: Actor, admin: Actor, member: Actor, workspace_id: str
    ) -> None:
        page = await tc.core.workspaces.members(
            member, workspace_id, role=None, q=None, limit=None, cursor=None
        )

        assert [(v.user.username, v.member.role) for v in page.items] == [
            ("olivia", MemberRole.OWNER),
            ("adam", MemberRole.ADMIN),
            ("mia", MemberRole.MEMBER),
        ]
        joined = [view.member.joined_at for view in page.items]
        assert joined == sorted(joined)
        assert len(set(joined)) == 3
        mia = page.items[2]
        assert (mia.user.display_name, mia.user.email) == ("Mia", "mia@flowra.local")
        assert page.next_cursor is None

    async def test_is_online_follows_presence(
        self, tc: TestCore, admin: Actor, member: Actor, workspace_id: str
    ) -> None:
        tc.adapters.presence.connected(admin.user_id)

        page = await tc.core.workspaces.members(
            member, workspace_id, role=None, q=None, limit=None, cursor=None
        )

        assert [(v.user.username, v.is_online) for v in page.items] == [
            ("olivia", False),
            ("adam", True),
            ("mia", False),
        ]

    @pytest.mark.parametrize(
        ("role", "expected"),
        [("owner", ["olivia"]), (" ADMIN ", ["adam"]), ("Member", ["mia"])],
    )
    async def test_role_filter(
        self, core: FlowraCore, member: Actor, workspace_id: str, role: str, expected: list[str]
    ) -> None:
        assert await member_names(core, member, workspace_id, role=role) == expected

    async def test_an_unknown_role_is_refused(
        self, core: FlowraCore, member: Actor, workspace_id: str
    ) -> None:
        with pytest.raises(ValidationFailed) as failure:
            await member_names(core, member, workspace_id, role="guest")

        assert fields_of(failure) == ["role"]

    @pytest.mark.parametrize(
        ("q", "expected"),
        [
            ("ADA", ["adam"]),
            ("livi", ["olivia"]),
            ("@flowra.local", ["olivia", "adam", "mia"]),
            ("m.a", []),
            ("", ["olivia", "adam", "mia"]),
        ],
    )
    async def test_q_filter(
        self, core: FlowraCore, member: Actor, workspace_id: str, q: str, expected: list[str]
    ) -> None:
        assert await member_names(core, member, workspace_id, q=q) == expected

    async def test_role_and_q_combine(
        self, core: FlowraCore, member: Actor, workspace_id: str
    ) -> None:
        assert await member_names(core, member, workspace_id, role="admin", q="liv") == []
        assert await member_names(core, member, workspace_id, role="member", q="i") == ["mia"]


class TestAddMember:
    @pytest.mark.parametrize("caller", ["owner", "admin"])
    async def test_a_workspace_admin_adds_a_user_by_id_as_member(
        self,
        tc: TestCore,
        callers: dict[str, Actor],
        newcomer: Actor,
        workspace_id: str,
        caller: str,
    ) -> None:
        view = await tc.core.workspaces.add_member(
            callers[caller], workspace_id, user_id=newcomer.user_id, username=None, role=None
        )

        assert isinstance(view, MemberView)
        assert (view.user.username, view.member.role) == ("nina", MemberRole.MEMBER)
        assert view.member.joined_at == tc.clock.now()
        assert view.is_online is False
        assert roles(await stored(tc, workspace_id))[newcomer.user_id] is MemberRole.MEMBER
        last = journal(tc, workspace_id)[-1]
        assert isinstance(last.event, MemberAdded)
        assert (last.event.added_by, last.event.invite_id) == (callers[caller].user_id, None)
        assert (await tc.core.workspaces.get(newcomer, workspace_id)).my_role == "member"

    @pytest.mark.parametrize("username", ["nina", "NINA", " @Nina "])
    async def test_by_username_case_insensitively(
        self, core: FlowraCore, owner: Actor, newcomer: Actor, workspace_id: str, username: str
    ) -> None:
        view = await core.workspaces.add_member(
            owner, workspace_id, user_id=None, username=username, role=None
        )

        assert view.member.user_id == newcomer.user_id

    @pytest.mark.parametrize(
        ("role", "expected"), [("admin", MemberRole.ADMIN), (" Member ", MemberRole.MEMBER)]
    )
    async def test_with_a_role(
        self,
        core: FlowraCore,
        owner: Actor,
        newcomer: Actor,
        workspace_id: str,
        role: str,
        expected: MemberRole,
    ) -> None:
        view = await core.workspaces.add_member(
            owner, workspace_id, user_id=newcomer.user_id, username=None, role=role
        )

        assert view.member.role is expected

    @pytest.mark.parametrize("role", ["owner", "guest", ""])
    async def test_owner_or_unknown_roles_are_refused(
        self, tc: TestCore, owner: Actor, newcomer: Actor, workspace_id: str, role: str
    ) -> None:
        with pytest.raises(ValidationFailed) as failure:
            await tc.core.workspaces.add_member(
                owner, workspace_id, user_id=newcomer.user_id, username=None, role=role
            )

        assert fields_of(failure) == ["role"]
        assert newcomer.user_id not in roles(await stored(tc, workspace_id))

    @pytest.mark.parametrize(("user_id", "username"), [(None, None), ("some-id", "somebody")])
    async def test_exactly_one_of_user_id_and_username(
        self,
        core: FlowraCore,
        owner: Actor,
        workspace_id: str,
        user_id: str | None,
        username: str | None,
    ) -> None:
        with pytest.raises(ValidationFailed) as failure:
            await core.workspaces.add_member(
                owner, workspace_id, user_id=user_id, username=username, role=None
            )

        assert fields_of(failure) == ["user_id"]

    async def test_unknown_users_are_not_found(
        self, core: FlowraCore, owner: Actor, workspace_id: str
    ) -> None:
        by_id = core.workspaces.add_member(
            owner, workspace_id, user_id="no-such-user", username=None, role=None
        )
        by_name = core.workspaces.add_member(
            owner, workspace_id, user_id=None, username="nobody", role=None
        )

        assert await code_of(by_id) is ErrorCode.USER_NOT_FOUND
        assert await code_of(by_name) is ErrorCode.USER_NOT_FOUND

    async def test_an_inactive_user_is_not_found(
        self, tc: TestCore, owner: Actor, newcomer: Actor, workspace_id: str
    ) -> None:
        await tc.core.write.execute(
            user_kind(tc.adapters.users),
            newcomer.user_id,
            lambda s: (
                [] if s is None else deactivate_user(s, reason=DeactivationReason.IDP_DELETED)
            ),
            actor_id=None,
        )

        add = tc.core.workspaces.add_member(
            owner, workspace_id, user_id=newcomer.user_id, username=None, role=None
        )

        assert await code_of(add) is ErrorCode.USER_NOT_FOUND
        assert newcomer.user_id not in roles(await stored(tc, workspace_id))

    @pytest.mark.parametrize(("user_id", "username"), [(FLOWRA_BOT_ID, None), (None, "FlowraBot")])
    async def test_flowra_bot_is_never_a_member(
        self,
        core: FlowraCore,
        owner: Actor,
        workspace_id: str,
        user_id: str | None,
        username: str | None,
    ) -> None:
        add = core.workspaces.add_member(
            owner, workspace_id, user_id=user_id, username=username, role=None
        )

        assert await code_of(add) is ErrorCode.USER_NOT_FOUND

    @pytest.mark.parametrize("existing", ["owner", "admin", "member"])
    async def test_an_existing_member_is_refused(
        self, tc: TestCore, callers: dict[str, Actor], workspace_id: str, existing: str
    ) -> None:
        before = await stored(tc, workspace_id)

        add = tc.core.workspaces.add_member(
            callers["owner"],
            workspace_id,
            user_id=callers[existing].user_id,
            username=None,
            role="admin",
        )

        assert await code_of(add) is ErrorCode.ALREADY_MEMBER
        assert await stored(tc, workspace_id) == before


class TestChangeRole:
    async def test_the_owner_promotes_and_demotes(
        self, tc: TestCore, owner: Actor, admin: Actor, member: Actor, workspace_id: str
    ) -> None:
        promoted = await tc.core.workspaces.change_role(
            owner, workspace_id, member.user_id, role="ADMIN"
        )
        demoted = await tc.core.workspaces.change_role(
            owner, workspace_id, admin.user_id, role="member"
        )

        assert (promoted.user.username, promoted.member.role) == ("mia", MemberRole.ADMIN)
        assert demoted.member.role is MemberRole.MEMBER
        assert roles(await stored(tc, workspace_id)) == {
            owner.user_id: MemberRole.OWNER,
            admin.user_id: MemberRole.MEMBER,
            member.user_id: MemberRole.ADMIN,
        }
        last = journal(tc, workspace_id)[-1].event
        assert last == MemberRoleChanged(
            user_id=admin.user_id,
            old_role=MemberRole.ADMIN,
            new_role=MemberRole.MEMBER,
            changed_by=owner.user_id,
        )

    async def test_the_current_role_changes_nothing(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        version = (await stored(tc, workspace_id)).version

        view = await tc.core.workspaces.change_role(
            owner, workspace_id, member.user_id, role="member"
        )

        assert view.member.role is MemberRole.MEMBER
        assert (await stored(tc, workspace_id)).version == version

    async def test_the_owner_role_only_moves_by_transfer(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        change = tc.core.workspaces.change_role(owner, workspace_id, owner.user_id, role="admin")

        assert await code_of(change) is ErrorCode.CANNOT_CHANGE_OWNER_ROLE
        assert roles(await stored(tc, workspace_id))[owner.user_id] is MemberRole.OWNER

    @pytest.mark.parametrize("role", ["owner", "guest"])
    async def test_only_admin_or_member_can_be_given(
        self, core: FlowraCore, owner: Actor, member: Actor, workspace_id: str, role: str
    ) -> None:
        with pytest.raises(ValidationFailed) as failure:
            await core.workspaces.change_role(owner, workspace_id, member.user_id, role=role)

        assert fields_of(failure) == ["role"]

    async def test_a_non_member_target_is_not_found(
        self, core: FlowraCore, owner: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        change = core.workspaces.change_role(owner, workspace_id, outsider.user_id, role="admin")

        assert await code_of(change) is ErrorCode.MEMBER_NOT_FOUND


Departures = list[tuple[str, str, str]]


@pytest.fixture
def departures(core: FlowraCore) -> Departures:
    """Records the chat cascade the departure reaction runs when someone departs (instead of
    running it)."""
    seen: Departures = []

    async def record(commit: Commit) -> None:
        for envelope in commit.events:
            if isinstance(envelope.event, MemberRemoved):
                seen.append((commit.aggregate_id, envelope.event.user_id, envelope.actor_id or ""))

    table = core.reactions.table
    core.reactions.table = ReactionTable(
        [
            dataclasses.replace(reaction, handle=record)
            if reaction.name == "workspace.member_departure"
            else reaction
            for reaction in table
        ]
    )
    return seen


class TestRemoveMember:
    @pytest.mark.parametrize("caller", ["owner", "admin"])
    async def test_a_workspace_admin_removes_a_member(
        self,
        tc: TestCore,
        callers: dict[str, Actor],
        member: Actor,
        workspace_id: str,
        departures: Departures,
        caller: str,
    ) -> None:
        remover = callers[caller]

        await tc.core.workspaces.remove_member(remover, workspace_id, member.user_id)

        assert member.user_id not in roles(await stored(tc, workspace_id))
        assert journal(tc, workspace_id)[-1].event == MemberRemoved(
            user_id=member.user_id, removed_by=remover.user_id, reason=RemovalReason.REMOVED
        )
        assert departures == [(workspace_id, member.user_id, remover.user_id)]
        assert await code_of(tc.core.workspaces.get(member, workspace_id)) is WNF

    async def test_an_admin_may_remove_another_admin(
        self, tc: TestCore, owner: Actor, admin: Actor, member: Actor, workspace_id: str
    ) -> None:
        await tc.core.workspaces.change_role(owner, workspace_id, member.user_id, role="admin")

        await tc.core.workspaces.remove_member(admin, workspace_id, member.user_id)

        assert member.user_id not in roles(await stored(tc, workspace_id))

    async def test_the_owner_cannot_be_removed(
        self, tc: TestCore, owner: Actor, admin: Actor, workspace_id: str, departures: Departures
    ) -> None:
        remove = tc.core.workspaces.remove_member(admin, workspace_id, owner.user_id)

        assert await code_of(remove) is ErrorCode.CANNOT_REMOVE_OWNER
        assert owner.user_id in roles(await stored(tc, workspace_id))
        assert departures == []

    async def test_a_non_member_is_not_found(
        self, core: FlowraCore, admin: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        remove = core.workspaces.remove_member(admin, workspace_id, outsider.user_id)

        assert await code_of(remove) is ErrorCode.MEMBER_NOT_FOUND

    @pytest.mark.parametrize("caller", ["admin", "member"])
    async def test_removing_oneself_is_leaving(
        self,
        tc: TestCore,
        callers: dict[str, Actor],
        workspace_id: str,
        departures: Departures,
        caller: str,
    ) -> None:
        me = callers[caller]

        await tc.core.workspaces.remove_member(me, workspace_id, me.user_id)

        assert me.user_id not in roles(await stored(tc, workspace_id))
        assert journal(tc, workspace_id)[-1].event == MemberRemoved(
            user_id=me.user_id, removed_by=me.user_id, reason=RemovalReason.LEFT
        )
        assert departures == [(workspace_id, me.user_id, me.user_id)]

    async def test_the_owner_removing_themselves_is_refused(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        remove = tc.core.workspaces.remove_member(owner, workspace_id, owner.user_id)

        assert await code_of(remove) is ErrorCode.OWNER_CANNOT_LEAVE
        assert owner.user_id in roles(await stored(tc, workspace_id))


class TestLeave:
    @pytest.mark.parametrize("caller", ["admin", "member"])
    async def test_a_member_leaves(
        self,
        tc: TestCore,
        callers: dict[str, Actor],
        workspace_id: str,
        departures: Departures,
        caller: str,
    ) -> None:
        me = callers[caller]

        await tc.core.workspaces.leave(me, workspace_id)

        assert me.user_id not in roles(await stored(tc, workspace_id))
        assert journal(tc, workspace_id)[-1].event == MemberRemoved(
            user_id=me.user_id, removed_by=me.user_id, reason=RemovalReason.LEFT
        )
        assert departures == [(workspace_id, me.user_id, me.user_id)]
        assert await code_of(tc.core.workspaces.get(me, workspace_id)) is WNF

    async def test_the_owner_cannot_leave(
        self, tc: TestCore, owner: Actor, workspace_id: str, departures: Departures
    ) -> None:
        assert await code_of(tc.core.workspaces.leave(owner, workspace_id)) is (
            ErrorCode.OWNER_CANNOT_LEAVE
        )
        assert roles(await stored(tc, workspace_id))[owner.user_id] is MemberRole.OWNER
        assert departures == []

    async def test_after_a_transfer_the_previous_owner_can_leave(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        await tc.core.workspaces.transfer_ownership(owner, workspace_id, user_id=member.user_id)

        await tc.core.workspaces.leave(owner, workspace_id)

        assert roles(await stored(tc, workspace_id))[member.user_id] is MemberRole.OWNER
        assert owner.user_id not in roles(await stored(tc, workspace_id))

    async def test_a_member_who_left_can_be_added_again(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        await tc.core.workspaces.leave(member, workspace_id)
        tc.clock.advance(timedelta(minutes=1))

        view = await tc.core.workspaces.add_member(
            owner, workspace_id, user_id=member.user_id, username=None, role="admin"
        )

        assert view.member.role is MemberRole.ADMIN
        assert view.member.joined_at == tc.clock.now()


class TestTransferOwnership:
    @pytest.mark.parametrize("target_role", ["admin", "member"])
    async def test_the_target_becomes_owner_and_the_owner_admin(
        self,
        tc: TestCore,
        owner: Actor,
        callers: dict[str, Actor],
        workspace_id: str,
        target_role: str,
    ) -> None:
        new_owner = callers[target_role]

        view = await tc.core.workspaces.transfer_ownership(
            owner, workspace_id, user_id=new_owner.user_id
        )

        assert view.my_role == "admin"
        workspace = await stored(tc, workspace_id)
        assert workspace.owner_id == new_owner.user_id
        assert roles(workspace)[owner.user_id] is MemberRole.ADMIN
        assert [r for r in roles(workspace).values() if r is MemberRole.OWNER] == [MemberRole.OWNER]
        assert [e.event for e in journal(tc, workspace_id)[-2:]] == [
            MemberRoleChanged(
                user_id=new_owner.user_id,
                old_role=MemberRole(target_role),
                new_role=MemberRole.OWNER,
                changed_by=owner.user_id,
            ),
            MemberRoleChanged(
                user_id=owner.user_id,
                old_role=MemberRole.OWNER,
                new_role=MemberRole.ADMIN,
                changed_by=owner.user_id,
            ),
        ]
        # The new owner now holds the owner-only rights, the previous one no longer does.
        assert await code_of(tc.core.workspaces.delete(owner, workspace_id)) is F
        assert (await tc.core.workspaces.get(new_owner, workspace_id)).my_role == "owner"

    async def test_to_oneself_is_refused(
        self, core: FlowraCore, owner: Actor, workspace_id: str
    ) -> None:
        with pytest.raises(ValidationFailed) as failure:
            await core.workspaces.transfer_ownership(owner, workspace_id, user_id=owner.user_id)

        assert fields_of(failure) == ["user_id"]

    async def test_a_non_member_target_is_not_found(
        self, tc: TestCore, owner: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        transfer = tc.core.workspaces.transfer_ownership(
            owner, workspace_id, user_id=outsider.user_id
        )

        assert await code_of(transfer) is ErrorCode.MEMBER_NOT_FOUND
        assert (await stored(tc, workspace_id)).owner_id == owner.user_id


# -- authorization matrix (http-api.md §3) ---------------------------------------------------

Action = Callable[[FlowraCore, Actor, str, Actor, Actor], Awaitable[object]]

ACTIONS: dict[str, Action] = {
    "read workspace": lambda core, me, ws, target, new: core.workspaces.get(me, ws),
    "list members": lambda core, me, ws, target, new: core.workspaces.members(
        me, ws, role=None, q=None, limit=None, cursor=None
    ),
    "update workspace": lambda core, me, ws, target, new: core.workspaces.update(
        me, ws, name="Acme Corp", description=None
    ),
    "delete workspace": lambda core, me, ws, target, new: core.workspaces.delete(me, ws),
    "add member": lambda core, me, ws, target, new: core.workspaces.add_member(
        me, ws, user_id=new.user_id, username=None, role=None
    ),
    "remove member": lambda core, me, ws, target, new: core.workspaces.remove_member(
        me, ws, target.user_id
    ),
    "remove self": lambda core, me, ws, target, new: core.workspaces.remove_member(
        me, ws, me.user_id
    ),
    "leave": lambda core, me, ws, target, new: core.workspaces.leave(me, ws),
    "change role": lambda core, me, ws, target, new: core.workspaces.change_role(
        me, ws, target.user_id, role="admin"
    ),
    "transfer ownership": lambda core, me, ws, target, new: core.workspaces.transfer_ownership(
        me, ws, user_id=target.user_id
    ),
}

CALLERS = ["owner", "admin", "member", "non-member", "sysadmin"]
# One row per action: the outcome for each caller, in CALLERS order (None = success).
MATRIX: dict[str, tuple[ErrorCode | None, ...]] = {
    "read workspace": (None, None, None, WNF, None),
    "list members": (None, None, None, WNF, None),
    "update workspace": (None, None, F, WNF, F),
    "delete workspace": (None, F, F, WNF, F),
    "add member": (None, None, F, WNF, F),
    "remove member": (None, None, F, WNF, F),
    "remove self": (ErrorCode.OWNER_CANNOT_LEAVE, None, None, WNF, F),
    "leave": (ErrorCode.OWNER_CANNOT_LEAVE, None, None, WNF, F),
    "change role": (None, F, F, WNF, F),
    "transfer ownership": (None, F, F, WNF, F),
}
CASES = [
    pytest.param(action, caller, outcomes[index], id=f"{action}-{caller}")
    for action, outcomes in MATRIX.items()
    for index, caller in enumerate(CALLERS)
]


class TestAuthorizationMatrix:
    @pytest.mark.parametrize(("action", "caller", "expected"), CASES)
    async def test_outcome(
        self,
        tc: TestCore,
        callers: dict[str, Actor],
        workspace_id: str,
        target: Actor,
        newcomer: Actor,
        action: str,
        caller: str,
        expected: ErrorCode | None,
    ) -> None:
        before = await stored(tc, workspace_id)
        events_before = len(tc.adapters.event_store.all_events())

        outcome = await code_of(
            ACTIONS[action](tc.core, callers[caller], workspace_id, target, newcomer)
        )

        assert outcome is expected
        if expected is not None:  # a refused call changes nothing
            assert await stored(tc, workspace_id) == before
            assert len(tc.adapters.event_store.all_events()) == events_before

    def test_every_action_has_a_row_for_every_caller(self) -> None:
        assert set(MATRIX) == set(ACTIONS)
        assert all(len(row) == len(CALLERS) for row in MATRIX.values())


class TestCheckOrder:
    """401 → 404 (visibility) → 403 → 422 (input) → 409/410 (state)."""

    async def test_not_found_comes_before_validation(
        self, core: FlowraCore, outsider: Actor, workspace_id: str
    ) -> None:
        update = core.workspaces.update(outsider, workspace_id, name="", description=None)

        assert await code_of(update) is WNF

    @pytest.mark.parametrize("caller", ["member", "sysadmin"])
    async def test_forbidden_comes_before_validation(
        self, core: FlowraCore, callers: dict[str, Actor], workspace_id: str, caller: str
    ) -> None:
        me = callers[caller]
        calls: list[Awaitable[object]] = [
            core.workspaces.update(me, workspace_id, name="", description=None),
            core.workspaces.add_member(me, workspace_id, user_id=None, username=None, role=None),
            core.workspaces.add_member(
                me, workspace_id, user_id=me.user_id, username=None, role="owner"
            ),
            core.workspaces.change_role(me, workspace_id, me.user_id, role="owner"),
            core.workspaces.transfer_ownership(me, workspace_id, user_id=me.user_id),
        ]

        assert [await code_of(call) for call in calls] == [F] * len(calls)

    async def test_forbidden_comes_before_state_conflicts(
        self, core: FlowraCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        add = core.workspaces.add_member(
            member, workspace_id, user_id=owner.user_id, username=None, role=None
        )
        remove_owner = core.workspaces.remove_member(member, workspace_id, owner.user_id)

        assert await code_of(add) is F
        assert await code_of(remove_owner) is F

    async def test_refusals_are_domain_errors_with_a_message(
        self, core: FlowraCore, member: Actor, workspace_id: str
    ) -> None:
        with pytest.raises(DomainError) as failure:
            await core.workspaces.delete(member, workspace_id)

        assert failure.value.code is F
        assert failure.value.message
