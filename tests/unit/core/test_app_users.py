"""Users use cases: just-in-time provisioning, profile, visibility and search (domain.md §1,
http-api.md "Users" and §3 "Read a user")."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.users.service import user_kind
from flowra_core.domain.errors import DomainError, ErrorCode, FlowraError, ValidationFailed
from flowra_core.domain.user import (
    FLOWRA_BOT_ID,
    DeactivationReason,
    User,
    UserCreated,
    UserSource,
    UserUpdated,
    deactivate_user,
)
from flowra_core.ports.identity import IdentityClaims
from flowra_core.testing.builder import TestCore


def claims(
    external_id: str = "kc-1",
    username: str = "alice",
    *,
    email: str | None = "alice@example.com",
    display_name: str | None = "Alice Liddell",
    is_system_admin: bool = False,
) -> IdentityClaims:
    return IdentityClaims(
        external_id=external_id,
        username=username,
        email=email,
        display_name=display_name,
        is_system_admin=is_system_admin,
        source=UserSource.LOGIN,
    )


async def code_of(call: Awaitable[object]) -> ErrorCode | None:
    """The error code the call failed with, or None when it succeeded."""
    try:
        await call
    except FlowraError as error:
        return error.code
    return None


def fields_of(failure: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in failure.value.errors]


async def deactivate(tc: TestCore, user_id: str) -> None:
    """What the user sync does when the identity provider disables an account."""
    await tc.core.write.execute(
        user_kind(tc.adapters.users),
        user_id,
        lambda state: (
            deactivate_user(state, reason=DeactivationReason.IDP_DISABLED)
            if state is not None
            else []
        ),
        actor_id=None,
    )


def user_events(tc: TestCore, user_id: str) -> list[str]:
    return [e.type for e in tc.adapters.event_store.all_events() if e.aggregate_id == user_id]


class TestProvision:
    async def test_first_sight_creates_the_user_from_the_claims(self, tc: TestCore) -> None:
        user = await tc.core.users.provision(claims(is_system_admin=True))

        assert (user.username, user.email, user.display_name) == (
            "alice",
            "alice@example.com",
            "Alice Liddell",
        )
        assert user.external_id == "kc-1"
        assert user.is_active
        assert user.is_system_admin
        assert user.created_at == user.updated_at == tc.clock.now()
        assert await tc.adapters.users.get(user.id) == user
        [created] = [e for e in tc.adapters.event_store.all_events() if e.aggregate_id == user.id]
        assert isinstance(created.event, UserCreated)
        assert created.event.source is UserSource.LOGIN
        assert created.workspace_id is None

    async def test_later_requests_map_to_the_same_user_without_writing(self, tc: TestCore) -> None:
        first = await tc.core.users.provision(claims())
        again = await tc.core.users.provision(claims())

        assert again == first
        assert user_events(tc, first.id) == ["user.created"]

    async def test_display_name_defaults_to_the_username(self, tc: TestCore) -> None:
        user = await tc.core.users.provision(claims(display_name=None))
        blank = await tc.core.users.provision(claims("kc-2", "bob", display_name="   "))

        assert user.display_name == "alice"
        assert blank.display_name == "bob"

    @pytest.mark.parametrize(
        ("taken", "wanted", "expected"),
        [
            (["alice"], "alice", "alice_2"),
            (["alice"], "ALICE", "ALICE_2"),
            (["alice", "alice_2"], "alice", "alice_3"),
            (["alice", "Alice_2", "alice_3"], "Alice", "Alice_4"),
        ],
    )
    async def test_a_taken_username_gets_the_first_free_suffix(
        self, tc: TestCore, taken: list[str], wanted: str, expected: str
    ) -> None:
        for number, name in enumerate(taken):
            await tc.core.users.provision(claims(f"other-{number}", name))

        user = await tc.core.users.provision(claims("newcomer", wanted))

        assert user.username == expected

    async def test_a_suffixed_user_keeps_the_suffix_on_the_next_login(self, tc: TestCore) -> None:
        await tc.core.users.provision(claims("first", "alice"))
        second = await tc.core.users.provision(claims("second", "alice"))

        again = await tc.core.users.provision(claims("second", "alice"))

        assert second.username == again.username == "alice_2"
        assert user_events(tc, second.id) == ["user.created"]

    async def test_usernames_from_the_provider_are_made_valid(self, tc: TestCore) -> None:
        spaced = await tc.core.users.provision(claims("kc-1", " john doe! "))
        nothing_usable = await tc.core.users.provision(claims("kc-2", "@@@"))
        too_long = await tc.core.users.provision(claims("kc-3", "x" * 80))

        assert spaced.username == "john_doe"
        assert nothing_usable.username == "user"
        assert too_long.username == "x" * 64

    async def test_a_missing_or_invalid_email_gets_a_placeholder(self, tc: TestCore) -> None:
        missing = await tc.core.users.provision(claims("kc-1", "Alice", email=None))
        invalid = await tc.core.users.provision(claims("kc-2", "bob", email="bob-at-home"))

        assert missing.email == "alice@users.flowra.invalid"
        assert invalid.email == "bob@users.flowra.invalid"

    async def test_changed_claims_update_username_email_and_admin_flag(self, tc: TestCore) -> None:
        user = await tc.core.users.provision(claims())
        tc.clock.advance(timedelta(minutes=5))

        synced = await tc.core.users.provision(
            claims(username="alice.l", email="al@example.org", is_system_admin=True)
        )

        assert synced.id == user.id
        assert synced.updated_at == tc.clock.now() > user.updated_at
        assert (synced.username, synced.email, synced.is_system_admin) == (
            "alice.l",
            "al@example.org",
            True,
        )
        assert user_events(tc, user.id) == [
            "user.created",
            "user.updated",
            "user.admin_rights_changed",
        ]

    async def test_the_sync_follows_the_provider_name_until_the_user_edits_it(
        self, tc: TestCore
    ) -> None:
        user = await tc.core.users.provision(claims())
        followed = await tc.core.users.provision(claims(display_name="Alice Pleasance"))
        await tc.core.users.update_display_name(Actor(user.id), "Ali")

        kept = await tc.core.users.provision(claims(display_name="Alice P. Liddell"))

        assert followed.display_name == "Alice Pleasance"
        assert kept.display_name == "Ali"

    async def test_an_inactive_user_is_refused(self, tc: TestCore) -> None:
        user = await tc.core.users.provision(claims())
        await deactivate(tc, user.id)

        with pytest.raises(DomainError) as failure:
            await tc.core.users.provision(claims())

        assert failure.value.code is ErrorCode.USER_INACTIVE

    async def test_the_bot_exists_from_the_start_and_is_created_once(self, tc: TestCore) -> None:
        await tc.core.users.ensure_bot()

        bot = await tc.adapters.users.get(FLOWRA_BOT_ID)
        assert bot is not None
        assert (bot.username, bot.display_name, bot.email) == (
            "FlowraBot",
            "Flowra Bot",
            "bot@flowra.internal",
        )

    async def test_the_bot_username_is_taken_like_any_other(self, tc: TestCore) -> None:
        user = await tc.core.users.provision(claims("kc-1", "flowrabot"))

        assert user.username == "flowrabot_2"


class TestMe:
    async def test_returns_the_callers_profile(self, tc: TestCore) -> None:
        user = await tc.core.users.provision(claims())

        assert await tc.core.users.me(Actor(user.id)) == user

    async def test_an_unknown_caller_is_not_found(self, core: FlowraCore) -> None:
        with pytest.raises(DomainError) as failure:
            await core.users.me(Actor("00000000-0000-4000-8000-000000000000"))

        assert failure.value.code is ErrorCode.USER_NOT_FOUND


class TestUpdateDisplayName:
    async def test_trims_and_stores_the_new_name(self, tc: TestCore, member: Actor) -> None:
        updated = await tc.core.users.update_display_name(member, "  Mia Wallace  ")

        assert updated.display_name == "Mia Wallace"
        assert (await tc.core.users.me(member)).display_name == "Mia Wallace"
        [event] = [
            e.event
            for e in tc.adapters.event_store.all_events()
            if e.aggregate_id == member.user_id and e.type == "user.updated"
        ]
        assert isinstance(event, UserUpdated)
        assert event.changes.display_name is not None
        assert (event.changes.display_name.old, event.changes.display_name.new) == (
            "Mia",
            "Mia Wallace",
        )

    async def test_username_and_email_stay_with_the_provider(
        self, tc: TestCore, member: Actor
    ) -> None:
        before = await tc.core.users.me(member)

        after = await tc.core.users.update_display_name(member, "M")

        assert (after.username, after.email) == (before.username, before.email)

    async def test_the_same_name_changes_nothing(self, tc: TestCore, member: Actor) -> None:
        before = await tc.core.users.me(member)

        after = await tc.core.users.update_display_name(member, " Mia ")

        assert after == before
        assert user_events(tc, member.user_id) == ["user.created"]

    @pytest.mark.parametrize("name", ["", "   ", "x" * 101])
    async def test_an_empty_or_too_long_name_is_refused(
        self, tc: TestCore, member: Actor, name: str
    ) -> None:
        with pytest.raises(ValidationFailed) as failure:
            await tc.core.users.update_display_name(member, name)

        assert fields_of(failure) == ["display_name"]
        assert (await tc.core.users.me(member)).display_name == "Mia"

    async def test_one_hundred_characters_are_allowed(
        self, core: FlowraCore, member: Actor
    ) -> None:
        assert (await core.users.update_display_name(member, "x" * 100)).display_name == "x" * 100


class TestGetUser:
    @pytest.mark.parametrize(
        ("caller", "target", "expected"),
        [
            ("member", "member", None),
            ("member", "owner", None),
            ("owner", "member", None),
            ("non-member", "non-member", None),
            ("non-member", "member", ErrorCode.USER_NOT_FOUND),
            ("member", "non-member", ErrorCode.USER_NOT_FOUND),
            ("sysadmin", "member", None),
            ("sysadmin", "non-member", None),
            ("member", "sysadmin", ErrorCode.USER_NOT_FOUND),
        ],
    )
    async def test_visibility(
        self,
        core: FlowraCore,
        callers: dict[str, Actor],
        workspace_id: str,
        caller: str,
        target: str,
        expected: ErrorCode | None,
    ) -> None:
        target_id = callers[target].user_id

        assert await code_of(core.users.get(callers[caller], target_id)) is expected

    @pytest.mark.parametrize("caller", ["owner", "member", "non-member", "sysadmin"])
    async def test_flowra_bot_is_readable_by_all(
        self, core: FlowraCore, callers: dict[str, Actor], workspace_id: str, caller: str
    ) -> None:
        bot = await core.users.get(callers[caller], FLOWRA_BOT_ID)

        assert bot.display_name == "Flowra Bot"

    async def test_returns_the_full_user(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        seen = await tc.core.users.get(owner, member.user_id)

        assert seen == await tc.adapters.users.get(member.user_id)

    @pytest.mark.parametrize("caller", ["member", "sysadmin"])
    async def test_an_unknown_id_is_not_found(
        self, core: FlowraCore, callers: dict[str, Actor], workspace_id: str, caller: str
    ) -> None:
        code = await code_of(core.users.get(callers[caller], "no-such-user"))

        assert code is ErrorCode.USER_NOT_FOUND

    async def test_leaving_the_shared_workspace_hides_the_others(
        self, core: FlowraCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        await core.workspaces.leave(member, workspace_id)

        assert await code_of(core.users.get(member, owner.user_id)) is ErrorCode.USER_NOT_FOUND
        assert await code_of(core.users.get(owner, member.user_id)) is ErrorCode.USER_NOT_FOUND

    async def test_a_deleted_workspace_is_no_longer_shared(
        self, core: FlowraCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        await core.workspaces.delete(owner, workspace_id)

        assert await code_of(core.users.get(member, owner.user_id)) is ErrorCode.USER_NOT_FOUND


def names(users: list[User]) -> list[str]:
    return [user.username for user in users]


class TestSearchUsers:
    async def test_lists_co_members_by_username_without_the_caller_seeing_strangers(
        self, core: FlowraCore, member: Actor, workspace_id: str
    ) -> None:
        page = await core.users.search(member, q=None, workspace_id=None, limit=None, cursor=None)

        assert names(list(page.items)) == ["adam", "mia", "olivia"]
        assert page.next_cursor is None

    async def test_order_ignores_case(self, tc: TestCore, owner: Actor, workspace_id: str) -> None:
        for username in ["Zoe", "bea", "Carl"]:
            added = await tc.user(username)
            await tc.core.workspaces.add_member(
                owner, workspace_id, user_id=added.user_id, username=None, role=None
            )

        page = await tc.core.users.search(owner, q=None, workspace_id=None, limit=None, cursor=None)

        assert names(list(page.items)) == ["adam", "bea", "Carl", "mia", "olivia", "Zoe"]

    async def test_spans_every_workspace_the_caller_shares(
        self, core: FlowraCore, member: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        other = await core.workspaces.create(outsider, name="Side project", description=None)
        await core.workspaces.add_member(
            outsider, other.workspace.id, user_id=member.user_id, username=None, role=None
        )

        page = await core.users.search(member, q=None, workspace_id=None, limit=None, cursor=None)

        assert names(list(page.items)) == ["adam", "mia", "olivia", "oscar"]

    @pytest.mark.parametrize(
        ("q", "expected"),
        [
            ("AD", ["adam"]),  # username, any case
            ("liv", ["olivia"]),  # display name "Olivia"
            ("mia@flowra", ["mia"]),  # email
            ("a", ["adam", "mia", "olivia"]),
            (".local", ["adam", "mia", "olivia"]),  # literal, not a pattern
            ("m.a", []),
            ("zzz", []),
        ],
    )
    async def test_q_is_a_case_insensitive_literal_substring(
        self, core: FlowraCore, member: Actor, workspace_id: str, q: str, expected: list[str]
    ) -> None:
        page = await core.users.search(member, q=q, workspace_id=None, limit=None, cursor=None)

        assert names(list(page.items)) == expected

    async def test_workspace_id_narrows_to_that_workspace(
        self, core: FlowraCore, member: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        other = await core.workspaces.create(outsider, name="Side project", description=None)
        await core.workspaces.add_member(
            outsider, other.workspace.id, user_id=member.user_id, username=None, role=None
        )

        page = await core.users.search(
            member, q=None, workspace_id=other.workspace.id, limit=None, cursor=None
        )

        assert names(list(page.items)) == ["mia", "oscar"]

    async def test_a_non_member_cannot_narrow_to_a_workspace(
        self, core: FlowraCore, outsider: Actor, workspace_id: str
    ) -> None:
        search = core.users.search(
            outsider, q=None, workspace_id=workspace_id, limit=None, cursor=None
        )

        assert await code_of(search) is ErrorCode.WORKSPACE_NOT_FOUND

    @pytest.mark.parametrize("caller", ["member", "sysadmin"])
    async def test_an_unknown_or_deleted_workspace_is_not_found(
        self,
        core: FlowraCore,
        owner: Actor,
        callers: dict[str, Actor],
        workspace_id: str,
        caller: str,
    ) -> None:
        unknown = core.users.search(
            callers[caller], q=None, workspace_id="no-such-workspace", limit=None, cursor=None
        )
        assert await code_of(unknown) is ErrorCode.WORKSPACE_NOT_FOUND

        await core.workspaces.delete(owner, workspace_id)
        deleted = core.users.search(
            callers[caller], q=None, workspace_id=workspace_id, limit=None, cursor=None
        )
        assert await code_of(deleted) is ErrorCode.WORKSPACE_NOT_FOUND

    async def test_a_system_admin_sees_everyone_but_the_bot(
        self, core: FlowraCore, sysadmin: Actor, workspace_id: str
    ) -> None:
        page = await core.users.search(sysadmin, q=None, workspace_id=None, limit=None, cursor=None)

        assert names(list(page.items)) == ["adam", "mia", "olivia", "oscar", "sam"]

    async def test_a_system_admin_may_narrow_to_any_workspace(
        self, core: FlowraCore, sysadmin: Actor, workspace_id: str
    ) -> None:
        page = await core.users.search(
            sysadmin, q=None, workspace_id=workspace_id, limit=None, cursor=None
        )

        assert names(list(page.items)) == ["adam", "mia", "olivia"]

    @pytest.mark.parametrize("q", [None, "bot", "flowra"])
    async def test_flowra_bot_is_never_listed(
        self, core: FlowraCore, sysadmin: Actor, workspace_id: str, q: str | None
    ) -> None:
        page = await core.users.search(sysadmin, q=q, workspace_id=None, limit=None, cursor=None)

        assert FLOWRA_BOT_ID not in {user.id for user in page.items}

    async def test_a_user_without_workspaces_shares_them_with_nobody(
        self, core: FlowraCore, outsider: Actor, workspace_id: str
    ) -> None:
        page = await core.users.search(outsider, q=None, workspace_id=None, limit=None, cursor=None)

        assert names(list(page.items)) == []

    async def test_pages_follow_the_username_order(
        self, core: FlowraCore, member: Actor, workspace_id: str
    ) -> None:
        first = await core.users.search(member, q=None, workspace_id=None, limit=2, cursor=None)
        assert first.next_cursor is not None
        second = await core.users.search(
            member, q=None, workspace_id=None, limit=2, cursor=first.next_cursor
        )

        assert names(list(first.items)) == ["adam", "mia"]
        assert names(list(second.items)) == ["olivia"]
        assert second.next_cursor is None

    async def test_a_cursor_only_fits_the_same_filters(
        self, core: FlowraCore, member: Actor, workspace_id: str
    ) -> None:
        first = await core.users.search(member, q="a", workspace_id=None, limit=1, cursor=None)

        with pytest.raises(ValidationFailed) as failure:
            await core.users.search(
                member, q="m", workspace_id=None, limit=1, cursor=first.next_cursor
            )

        assert fields_of(failure) == ["cursor"]
