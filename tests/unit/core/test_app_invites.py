"""Invite use cases: create, list, revoke, preview, accept (domain.md §2 "Invite",
http-api.md "Workspaces, members, invites" and the invite rows of §3)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import msgspec
import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.workspaces.service import InviteView
from flowra_core.domain.errors import ErrorCode, FlowraError, ValidationFailed
from flowra_core.domain.events import EventEnvelope
from flowra_core.domain.workspace import (
    InviteCreated,
    InviteStatus,
    InviteUsed,
    MemberAdded,
    MemberRole,
    Workspace,
)
from flowra_core.testing.builder import TestCore

F = ErrorCode.FORBIDDEN
WNF = ErrorCode.WORKSPACE_NOT_FOUND
DAY = timedelta(days=1)
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


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


async def invite(
    core: FlowraCore,
    actor: Actor,
    workspace_id: str,
    *,
    role: str | None = None,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
) -> InviteView:
    return await core.workspaces.create_invite(
        actor, workspace_id, role=role, expires_at=expires_at, max_uses=max_uses
    )


def token_of(view: InviteView) -> str:
    assert view.token is not None
    return view.token


async def listed(
    core: FlowraCore, actor: Actor, workspace_id: str, status: str | None = None
) -> list[InviteView]:
    page = await core.workspaces.invites(
        actor, workspace_id, status=status, limit=None, cursor=None
    )
    return list(page.items)


class TestCreateInvite:
    @pytest.mark.parametrize("caller", ["owner", "admin"])
    async def test_defaults(
        self, tc: TestCore, callers: dict[str, Actor], workspace_id: str, caller: str
    ) -> None:
        creator = callers[caller]

        view = await invite(tc.core, creator, workspace_id)

        now = tc.clock.now()
        assert TOKEN.fullmatch(token_of(view))
        assert view.status is InviteStatus.ACTIVE
        created = view.invite
        assert (created.workspace_id, created.role) == (workspace_id, MemberRole.MEMBER)
        assert (created.created_by, created.created_at) == (creator.user_id, now)
        assert created.expires_at == now + 7 * DAY
        assert (created.max_uses, created.used_count, created.revoked_at) == (0, 0, None)
        assert (await stored(tc, workspace_id)).invite(created.id) == created

    async def test_with_role_expiry_and_uses(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        expires = tc.clock.now() + 30 * DAY

        view = await invite(
            tc.core, owner, workspace_id, role=" Admin ", expires_at=expires, max_uses=3
        )

        assert (view.invite.role, view.invite.expires_at, view.invite.max_uses) == (
            MemberRole.ADMIN,
            expires,
            3,
        )

    async def test_tokens_are_unique(
        self, core: FlowraCore, owner: Actor, workspace_id: str
    ) -> None:
        tokens = {token_of(await invite(core, owner, workspace_id)) for _ in range(5)}

        assert len(tokens) == 5

    async def test_the_token_never_reaches_the_journal(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        view = await invite(tc.core, owner, workspace_id)

        [created] = [e for e in journal(tc, workspace_id) if e.type == "invite.created"]
        assert isinstance(created.event, InviteCreated)
        assert created.event.invite_id == view.invite.id
        assert token_of(view).encode() not in msgspec.json.encode(
            tc.adapters.event_store.all_events()
        )

    @pytest.mark.parametrize(
        ("role", "expires_in", "max_uses", "fields"),
        [
            ("owner", None, None, ["role"]),
            ("guest", None, None, ["role"]),
            (None, timedelta(0), None, ["expires_at"]),
            (None, -DAY, None, ["expires_at"]),
            (None, 30 * DAY + timedelta(seconds=1), None, ["expires_at"]),
            (None, None, -1, ["max_uses"]),
            ("owner", -DAY, -1, ["role", "expires_at", "max_uses"]),
        ],
    )
    async def test_invalid_fields_are_refused(
        self,
        tc: TestCore,
        owner: Actor,
        workspace_id: str,
        role: str | None,
        expires_in: timedelta | None,
        max_uses: int | None,
        fields: list[str],
    ) -> None:
        expires_at = None if expires_in is None else tc.clock.now() + expires_in

        with pytest.raises(ValidationFailed) as failure:
            await invite(
                tc.core, owner, workspace_id, role=role, expires_at=expires_at, max_uses=max_uses
            )

        assert fields_of(failure) == fields
        assert (await stored(tc, workspace_id)).invites == ()


class TestListInvites:
    async def test_newest_first_with_tokens_and_status(
        self, tc: TestCore, owner: Actor, admin: Actor, workspace_id: str
    ) -> None:
        first = await invite(tc.core, owner, workspace_id)
        tc.clock.advance(timedelta(minutes=1))
        second = await invite(tc.core, admin, workspace_id, role="admin")

        views = await listed(tc.core, admin, workspace_id)

        assert [v.invite.id for v in views] == [second.invite.id, first.invite.id]
        assert [v.token for v in views] == [second.token, first.token]
        assert [v.status for v in views] == [InviteStatus.ACTIVE, InviteStatus.ACTIVE]

    async def test_status_is_derived_with_revoked_first(
        self, tc: TestCore, owner: Actor, member: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        soon = tc.clock.now() + DAY
        expired = await invite(tc.core, owner, workspace_id, expires_at=soon)
        revoked_and_expired = await invite(tc.core, owner, workspace_id, expires_at=soon)
        exhausted = await invite(tc.core, owner, workspace_id, max_uses=1)
        active = await invite(tc.core, owner, workspace_id, max_uses=2)
        await tc.core.workspaces.revoke_invite(owner, workspace_id, revoked_and_expired.invite.id)
        await tc.core.workspaces.accept_invite(outsider, token_of(exhausted))
        await tc.core.workspaces.accept_invite(outsider, token_of(active))  # a member: no use
        tc.clock.advance(DAY)

        statuses = {v.invite.id: v.status for v in await listed(tc.core, owner, workspace_id)}

        assert statuses == {
            expired.invite.id: InviteStatus.EXPIRED,
            revoked_and_expired.invite.id: InviteStatus.REVOKED,
            exhausted.invite.id: InviteStatus.EXHAUSTED,
            active.invite.id: InviteStatus.ACTIVE,
        }
        for status in InviteStatus:
            only = await listed(tc.core, owner, workspace_id, status=status.value.upper())
            assert [v.status for v in only] == [status]

    async def test_an_unknown_status_is_refused(
        self, core: FlowraCore, owner: Actor, workspace_id: str
    ) -> None:
        with pytest.raises(ValidationFailed) as failure:
            await listed(core, owner, workspace_id, status="pending")

        assert fields_of(failure) == ["status"]

    async def test_pages_newest_first(self, tc: TestCore, owner: Actor, workspace_id: str) -> None:
        ids = []
        for _ in range(5):
            ids.append((await invite(tc.core, owner, workspace_id)).invite.id)
            tc.clock.advance(timedelta(seconds=1))

        seen: list[str] = []
        cursor: str | None = None
        while True:
            page = await tc.core.workspaces.invites(
                owner, workspace_id, status=None, limit=2, cursor=cursor
            )
            seen.extend(v.invite.id for v in page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor

        assert seen == list(reversed(ids))


class TestRevokeInvite:
    @pytest.mark.parametrize("caller", ["owner", "admin"])
    async def test_a_workspace_admin_revokes(
        self, tc: TestCore, owner: Actor, callers: dict[str, Actor], workspace_id: str, caller: str
    ) -> None:
        view = await invite(tc.core, owner, workspace_id)
        tc.clock.advance(timedelta(minutes=1))

        await tc.core.workspaces.revoke_invite(callers[caller], workspace_id, view.invite.id)

        revoked = (await stored(tc, workspace_id)).invite(view.invite.id)
        assert revoked is not None
        assert revoked.revoked_at == tc.clock.now()
        assert revoked.status(tc.clock.now()) is InviteStatus.REVOKED
        preview = await tc.core.workspaces.preview_invite(token_of(view))
        assert preview.status is InviteStatus.REVOKED

    async def test_is_idempotent(self, tc: TestCore, owner: Actor, workspace_id: str) -> None:
        view = await invite(tc.core, owner, workspace_id)
        await tc.core.workspaces.revoke_invite(owner, workspace_id, view.invite.id)
        first = (await stored(tc, workspace_id)).invite(view.invite.id)
        tc.clock.advance(timedelta(minutes=1))

        await tc.core.workspaces.revoke_invite(owner, workspace_id, view.invite.id)

        assert (await stored(tc, workspace_id)).invite(view.invite.id) == first
        assert [e.type for e in journal(tc, workspace_id)].count("invite.revoked") == 1

    async def test_an_unknown_invite_is_not_found(
        self, core: FlowraCore, owner: Actor, workspace_id: str
    ) -> None:
        revoke = core.workspaces.revoke_invite(owner, workspace_id, "no-such-invite")

        assert await code_of(revoke) is ErrorCode.INVITE_NOT_FOUND

    async def test_an_invite_of_another_workspace_is_not_found(
        self, tc: TestCore, owner: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        other = await tc.core.workspaces.create(owner, name="Other", description=None)
        view = await invite(tc.core, owner, other.workspace.id)

        revoke = tc.core.workspaces.revoke_invite(owner, workspace_id, view.invite.id)

        assert await code_of(revoke) is ErrorCode.INVITE_NOT_FOUND
        assert (await tc.core.workspaces.preview_invite(token_of(view))).status is (
            InviteStatus.ACTIVE
        )


class TestPreviewInvite:
    async def test_shows_the_workspace_without_the_token(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        view = await invite(tc.core, owner, workspace_id, role="admin")

        preview = await tc.core.workspaces.preview_invite(token_of(view))

        assert (preview.workspace_id, preview.workspace_name) == (workspace_id, "Acme")
        assert (preview.role, preview.expires_at, preview.status) == (
            MemberRole.ADMIN,
            view.invite.expires_at,
            InviteStatus.ACTIVE,
        )
        assert not hasattr(preview, "token")
        assert token_of(view) not in repr(preview)

    async def test_any_status_is_previewed(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        view = await invite(tc.core, owner, workspace_id, expires_at=tc.clock.now() + DAY)
        tc.clock.advance(DAY)

        assert (await tc.core.workspaces.preview_invite(token_of(view))).status is (
            InviteStatus.EXPIRED
        )

    @pytest.mark.parametrize("token", ["", "x" * 43, "not a token"])
    async def test_an_unknown_token_is_not_found(
        self, core: FlowraCore, owner: Actor, workspace_id: str, token: str
    ) -> None:
        await invite(core, owner, workspace_id)

        assert await code_of(core.workspaces.preview_invite(token)) is ErrorCode.INVITE_NOT_FOUND

    async def test_a_deleted_workspace_hides_its_invites(
        self, core: FlowraCore, owner: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        view = await invite(core, owner, workspace_id)
        await core.workspaces.delete(owner, workspace_id)

        assert await code_of(core.workspaces.preview_invite(token_of(view))) is (
            ErrorCode.INVITE_NOT_FOUND
        )
        assert await code_of(core.workspaces.accept_invite(outsider, token_of(view))) is (
            ErrorCode.INVITE_NOT_FOUND
        )


class TestAcceptInvite:
    @pytest.mark.parametrize(("role", "expected"), [(None, "member"), ("admin", "admin")])
    async def test_a_non_member_joins_with_the_invites_role(
        self,
        tc: TestCore,
        owner: Actor,
        outsider: Actor,
        workspace_id: str,
        role: str | None,
        expected: str,
    ) -> None:
        view = await invite(tc.core, owner, workspace_id, role=role)
        tc.clock.advance(timedelta(minutes=1))

        joined = await tc.core.workspaces.accept_invite(outsider, token_of(view))

        assert (joined.workspace.id, joined.my_role) == (workspace_id, expected)
        workspace = await stored(tc, workspace_id)
        member = workspace.member(outsider.user_id)
        assert member is not None
        assert (member.role, member.joined_at) == (MemberRole(expected), tc.clock.now())
        used = workspace.invite(view.invite.id)
        assert used is not None
        assert used.used_count == 1
        added, counted = [e.event for e in journal(tc, workspace_id)[-2:]]
        assert isinstance(added, MemberAdded)
        assert (added.invite_id, added.added_by) == (view.invite.id, outsider.user_id)
        assert counted == InviteUsed(
            invite_id=view.invite.id, user_id=outsider.user_id, used_count=1
        )
        assert (await tc.core.workspaces.get(outsider, workspace_id)).my_role == expected

    @pytest.mark.parametrize("caller", ["owner", "admin", "member"])
    async def test_an_existing_member_succeeds_without_using_it(
        self, tc: TestCore, owner: Actor, callers: dict[str, Actor], workspace_id: str, caller: str
    ) -> None:
        view = await invite(tc.core, owner, workspace_id, role="admin", max_uses=1)
        before = await stored(tc, workspace_id)

        joined = await tc.core.workspaces.accept_invite(callers[caller], token_of(view))

        assert joined.my_role == caller
        assert await stored(tc, workspace_id) == before

    async def test_a_system_admin_becomes_a_real_member(
        self, tc: TestCore, owner: Actor, sysadmin: Actor, workspace_id: str
    ) -> None:
        view = await invite(tc.core, owner, workspace_id)

        joined = await tc.core.workspaces.accept_invite(sysadmin, token_of(view))

        assert joined.my_role == "member"

    async def test_uses_run_out(
        self, tc: TestCore, owner: Actor, outsider: Actor, sysadmin: Actor, workspace_id: str
    ) -> None:
        view = await invite(tc.core, owner, workspace_id, max_uses=2)
        third = await tc.user("trudy")
        await tc.core.workspaces.accept_invite(outsider, token_of(view))
        await tc.core.workspaces.accept_invite(sysadmin, token_of(view))

        assert await code_of(tc.core.workspaces.accept_invite(third, token_of(view))) is (
            ErrorCode.INVITE_EXHAUSTED
        )
        assert (await stored(tc, workspace_id)).member(third.user_id) is None

    async def test_unlimited_uses(self, tc: TestCore, owner: Actor, workspace_id: str) -> None:
        view = await invite(tc.core, owner, workspace_id, max_uses=0)

        for number in range(5):
            guest = await tc.user(f"guest{number}")
            await tc.core.workspaces.accept_invite(guest, token_of(view))

        used = (await stored(tc, workspace_id)).invite(view.invite.id)
        assert used is not None
        assert used.used_count == 5

    async def test_an_expired_invite_is_refused(
        self, tc: TestCore, owner: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        view = await invite(tc.core, owner, workspace_id, expires_at=tc.clock.now() + DAY)
        tc.clock.advance(DAY - timedelta(microseconds=1))
        almost = await tc.user("early")
        await tc.core.workspaces.accept_invite(almost, token_of(view))
        tc.clock.advance(timedelta(microseconds=1))

        accept = tc.core.workspaces.accept_invite(outsider, token_of(view))

        assert await code_of(accept) is ErrorCode.INVITE_EXPIRED
        assert (await stored(tc, workspace_id)).member(outsider.user_id) is None

    async def test_a_revoked_invite_is_refused_even_when_also_expired(
        self, tc: TestCore, owner: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        view = await invite(tc.core, owner, workspace_id, expires_at=tc.clock.now() + DAY)
        await tc.core.workspaces.revoke_invite(owner, workspace_id, view.invite.id)

        assert await code_of(tc.core.workspaces.accept_invite(outsider, token_of(view))) is (
            ErrorCode.INVITE_REVOKED
        )
        tc.clock.advance(2 * DAY)
        assert await code_of(tc.core.workspaces.accept_invite(outsider, token_of(view))) is (
            ErrorCode.INVITE_REVOKED
        )

    async def test_an_unknown_token_is_not_found(
        self, core: FlowraCore, outsider: Actor, workspace_id: str
    ) -> None:
        accept = core.workspaces.accept_invite(outsider, "A" * 43)

        assert await code_of(accept) is ErrorCode.INVITE_NOT_FOUND

    async def test_a_member_removed_after_joining_can_rejoin(
        self, tc: TestCore, owner: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        view = await invite(tc.core, owner, workspace_id)
        await tc.core.workspaces.accept_invite(outsider, token_of(view))
        await tc.core.workspaces.remove_member(owner, workspace_id, outsider.user_id)

        await tc.core.workspaces.accept_invite(outsider, token_of(view))

        used = (await stored(tc, workspace_id)).invite(view.invite.id)
        assert used is not None
        assert used.used_count == 2


# -- authorization matrix (http-api.md §3 "manage invites"; accept/preview: authenticated) ----

Action = Callable[[FlowraCore, Actor, str, InviteView], Awaitable[object]]

ACTIONS: dict[str, Action] = {
    "create invite": lambda core, me, ws, existing: invite(core, me, ws),
    "list invites": lambda core, me, ws, existing: listed(core, me, ws),
    "revoke invite": lambda core, me, ws, existing: core.workspaces.revoke_invite(
        me, ws, existing.invite.id
    ),
    "preview invite": lambda core, me, ws, existing: core.workspaces.preview_invite(
        token_of(existing)
    ),
    "accept invite": lambda core, me, ws, existing: core.workspaces.accept_invite(
        me, token_of(existing)
    ),
}
CALLERS = ["owner", "admin", "member", "non-member", "sysadmin"]
MATRIX: dict[str, tuple[ErrorCode | None, ...]] = {
    "create invite": (None, None, F, WNF, F),
    "list invites": (None, None, F, WNF, F),
    "revoke invite": (None, None, F, WNF, F),
    "preview invite": (None, None, None, None, None),
    "accept invite": (None, None, None, None, None),
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
        owner: Actor,
        callers: dict[str, Actor],
        workspace_id: str,
        action: str,
        caller: str,
        expected: ErrorCode | None,
    ) -> None:
        existing = await invite(tc.core, owner, workspace_id)
        before = await stored(tc, workspace_id)

        outcome = await code_of(ACTIONS[action](tc.core, callers[caller], workspace_id, existing))

        assert outcome is expected
        if expected is not None:
            assert await stored(tc, workspace_id) == before

    def test_every_action_has_a_row_for_every_caller(self) -> None:
        assert set(MATRIX) == set(ACTIONS)
        assert all(len(row) == len(CALLERS) for row in MATRIX.values())

    @pytest.mark.parametrize("caller", ["member", "sysadmin"])
    async def test_forbidden_comes_before_validation(
        self, core: FlowraCore, callers: dict[str, Actor], workspace_id: str, caller: str
    ) -> None:
        create = invite(core, callers[caller], workspace_id, role="owner", max_uses=-1)
        listing = listed(core, callers[caller], workspace_id, status="pending")

        assert await code_of(create) is F
        assert await code_of(listing) is F
