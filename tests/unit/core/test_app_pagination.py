"""Cursor pagination (http-api.md §1 "Lists"): limit bounds, cursors that belong to one list
and one set of filters, and pages that stay stable while the list grows."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PageRequest,
    encode_cursor,
    fingerprint,
    make_page,
    page_request,
)
from flowra_core.domain.errors import ValidationFailed
from flowra_core.testing.builder import TestCore

STEP = timedelta(seconds=1)
T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
SCOPE = fingerprint("things", colour="red")


def fields_of(failure: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in failure.value.errors]


def raw_cursor(document: object) -> str:
    """A cursor as a client could forge one: base64url of any JSON."""
    return base64.urlsafe_b64encode(msgspec.json.encode(document)).rstrip(b"=").decode()


class TestLimit:
    def test_defaults_to_fifty(self) -> None:
        assert page_request(None, None, SCOPE) == PageRequest(DEFAULT_LIMIT, None)
        assert DEFAULT_LIMIT == 50

    @pytest.mark.parametrize("limit", [1, 2, 99, MAX_LIMIT])
    def test_one_to_one_hundred_is_accepted(self, limit: int) -> None:
        assert page_request(limit, None, SCOPE).limit == limit

    @pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1, 10_000])
    def test_outside_the_bounds_is_refused(self, limit: int) -> None:
        with pytest.raises(ValidationFailed) as failure:
            page_request(limit, None, SCOPE)

        assert fields_of(failure) == ["limit"]


class TestCursorDecoding:
    def test_round_trips_a_typed_key(self) -> None:
        cursor = encode_cursor(SCOPE, (T0, "id-1"))

        request = page_request(10, cursor, SCOPE, key_type=tuple[datetime, str])

        assert request.after == (T0, "id-1")

    def test_an_empty_cursor_is_the_first_page(self) -> None:
        assert page_request(10, "", SCOPE).after is None

    def test_is_opaque_url_safe_text(self) -> None:
        cursor = encode_cursor(SCOPE, ("a/b+c?", "x" * 40))

        assert set(cursor) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )

    def test_belongs_to_its_scope_and_filters(self) -> None:
        cursor = encode_cursor(SCOPE, ("a", "b"))

        for other in (fingerprint("things", colour="blue"), fingerprint("stuff", colour="red")):
            with pytest.raises(ValidationFailed) as failure:
                page_request(10, cursor, other, key_type=tuple[str, str])
            assert fields_of(failure) == ["cursor"]

    def test_fingerprints_ignore_filter_order_but_not_values(self) -> None:
        assert fingerprint("x", a=1, b=None) == fingerprint("x", b=None, a=1)
        assert fingerprint("x", a=1, b=None) != fingerprint("x", a=1, b="")

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage",
            "!!!!",
            "a",
            "\u00e9t\u00e9",
            "\ud800",
            raw_cursor([1, 2]),
            raw_cursor({"f": SCOPE}),
            raw_cursor({"f": SCOPE, "k": "ab"}),
            raw_cursor({"f": 7, "k": []}),
            encode_cursor(SCOPE, ("a", "b"))[:-3],
        ],
    )
    def test_garbage_is_refused(self, cursor: str) -> None:
        with pytest.raises(ValidationFailed) as failure:
            page_request(10, cursor, SCOPE, key_type=tuple[str, str])

        assert fields_of(failure) == ["cursor"]

    @pytest.mark.parametrize(
        "key",
        [
            ["a"],
            ["a", "b", "c"],
            [1, "b"],
            ["not a time", "b"],
            ["2026-01-28T10:30:00", "b"],  # naive: would not compare with stored UTC times
        ],
    )
    def test_a_forged_key_of_the_wrong_shape_is_refused(self, key: list[object]) -> None:
        cursor = raw_cursor({"f": SCOPE, "k": key})

        with pytest.raises(ValidationFailed) as failure:
            page_request(10, cursor, SCOPE, key_type=tuple[datetime, str])

        assert fields_of(failure) == ["cursor"]

    @given(st.text())
    def test_any_text_is_a_cursor_or_a_cursor_error(self, cursor: str) -> None:
        fields: list[str] = []
        try:
            page_request(10, cursor, SCOPE, key_type=tuple[datetime, str])
        except ValidationFailed as error:
            fields = [e.field for e in error.errors]

        assert fields in ([], ["cursor"])


class TestMakePage:
    def test_the_last_page_has_no_cursor(self) -> None:
        page = make_page([1, 2], PageRequest(2, None), SCOPE, lambda n: (n,))

        assert (list(page.items), page.next_cursor) == ([1, 2], None)

    def test_a_fuller_fetch_points_at_the_last_item(self) -> None:
        page = make_page([1, 2, 3], PageRequest(2, None), SCOPE, lambda n: (n,))

        assert list(page.items) == [1, 2]
        assert page.next_cursor is not None
        assert page_request(2, page.next_cursor, SCOPE).after == (2,)

    @given(st.lists(st.integers(), unique=True), st.integers(min_value=1, max_value=MAX_LIMIT))
    def test_walking_the_pages_yields_every_row_once_in_order(
        self, values: list[int], limit: int
    ) -> None:
        rows = sorted(values)
        seen: list[int] = []
        cursor: str | None = None
        for _ in range(len(rows) + 1):
            request = page_request(limit, cursor, SCOPE, key_type=tuple[int])
            after = request.after
            remaining = [n for n in rows if after is None or (n,) > after]
            page = make_page(remaining[: limit + 1], request, SCOPE, lambda n: (n,))
            assert len(page.items) <= limit
            seen.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break

        assert seen == rows


# -- the lists of the users, workspaces, members and invites routes ------------------------

Listing = Callable[[FlowraCore, Actor, str, int | None, str | None], Awaitable[object]]

LISTS: dict[str, Listing] = {
    "users": lambda core, me, ws, limit, cursor: core.users.search(
        me, q=None, workspace_id=None, limit=limit, cursor=cursor
    ),
    "workspaces": lambda core, me, ws, limit, cursor: core.workspaces.list_workspaces(
        me, all_workspaces=False, limit=limit, cursor=cursor
    ),
    "members": lambda core, me, ws, limit, cursor: core.workspaces.members(
        me, ws, role=None, q=None, limit=limit, cursor=cursor
    ),
    "invites": lambda core, me, ws, limit, cursor: core.workspaces.invites(
        me, ws, status=None, limit=limit, cursor=cursor
    ),
}


async def members_page(
    core: FlowraCore, actor: Actor, workspace_id: str, limit: int, cursor: str | None
) -> tuple[list[str], str | None]:
    page = await core.workspaces.members(
        actor, workspace_id, role=None, q=None, limit=limit, cursor=cursor
    )
    return [view.user.username for view in page.items], page.next_cursor


async def join(tc: TestCore, owner: Actor, workspace_id: str, username: str) -> Actor:
    actor = await tc.user(username)
    await tc.core.workspaces.add_member(
        owner, workspace_id, user_id=actor.user_id, username=None, role=None
    )
    tc.clock.advance(STEP)
    return actor


class TestListBounds:
    @pytest.mark.parametrize("name", LISTS)
    @pytest.mark.parametrize("limit", [0, 101])
    async def test_limit_out_of_bounds(
        self, core: FlowraCore, owner: Actor, workspace_id: str, name: str, limit: int
    ) -> None:
        with pytest.raises(ValidationFailed) as failure:
            await LISTS[name](core, owner, workspace_id, limit, None)

        assert fields_of(failure) == ["limit"]

    @pytest.mark.parametrize("name", LISTS)
    @pytest.mark.parametrize("cursor", ["garbage", raw_cursor({"f": "0" * 16, "k": []})])
    async def test_garbage_cursor(
        self, core: FlowraCore, owner: Actor, workspace_id: str, name: str, cursor: str
    ) -> None:
        with pytest.raises(ValidationFailed) as failure:
            await LISTS[name](core, owner, workspace_id, 10, cursor)

        assert fields_of(failure) == ["cursor"]

    @pytest.mark.parametrize(
        ("source", "target"),
        [(a, b) for a in LISTS for b in LISTS if a != b],
    )
    async def test_a_cursor_from_another_list(
        self, tc: TestCore, owner: Actor, workspace_id: str, source: str, target: str
    ) -> None:
        for number in range(2):  # every list has at least two rows
            await tc.core.workspaces.create(owner, name=f"Extra {number}", description=None)
            await tc.core.workspaces.create_invite(
                owner, workspace_id, role=None, expires_at=None, max_uses=None
            )
        page = await LISTS[source](tc.core, owner, workspace_id, 1, None)
        cursor = getattr(page, "next_cursor", None)
        assert isinstance(cursor, str)

        with pytest.raises(ValidationFailed) as failure:
            await LISTS[target](tc.core, owner, workspace_id, 1, cursor)

        assert fields_of(failure) == ["cursor"]

    async def test_a_members_cursor_from_other_filters_or_another_workspace(
        self, tc: TestCore, owner: Actor, admin: Actor, workspace_id: str
    ) -> None:
        _, cursor = await members_page(tc.core, owner, workspace_id, 1, None)
        other = await tc.core.workspaces.create(owner, name="Other", description=None)
        await tc.core.workspaces.add_member(
            owner, other.workspace.id, user_id=admin.user_id, username=None, role=None
        )
        attempts: list[Awaitable[object]] = [
            tc.core.workspaces.members(
                owner, workspace_id, role="member", q=None, limit=1, cursor=cursor
            ),
            tc.core.workspaces.members(
                owner, workspace_id, role=None, q="a", limit=1, cursor=cursor
            ),
            tc.core.workspaces.members(
                owner, other.workspace.id, role=None, q=None, limit=1, cursor=cursor
            ),
        ]

        for attempt in attempts:
            with pytest.raises(ValidationFailed) as failure:
                await attempt
            assert fields_of(failure) == ["cursor"]

    async def test_a_workspaces_cursor_is_not_valid_for_all(
        self, core: FlowraCore, sysadmin: Actor, workspace_id: str
    ) -> None:
        for name in ["B", "C"]:
            await core.workspaces.create(sysadmin, name=name, description=None)
        mine = await core.workspaces.list_workspaces(
            sysadmin, all_workspaces=False, limit=1, cursor=None
        )

        with pytest.raises(ValidationFailed) as failure:
            await core.workspaces.list_workspaces(
                sysadmin, all_workspaces=True, limit=1, cursor=mine.next_cursor
            )

        assert fields_of(failure) == ["cursor"]

    async def test_default_and_maximum_page_sizes(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        for number in range(98):  # 3 + 98 = 101 members
            await join(tc, owner, workspace_id, f"user{number:03}")

        default = await tc.core.workspaces.members(
            owner, workspace_id, role=None, q=None, limit=None, cursor=None
        )
        widest = await tc.core.workspaces.members(
            owner, workspace_id, role=None, q=None, limit=100, cursor=None
        )
        rest = await tc.core.workspaces.members(
            owner, workspace_id, role=None, q=None, limit=100, cursor=widest.next_cursor
        )

        assert len(default.items) == 50
        assert default.next_cursor is not None
        assert len(widest.items) == 100
        assert [view.user.username for view in rest.items] == ["user097"]
        assert rest.next_cursor is None


class TestStability:
    async def test_members_joining_after_page_one_do_not_shift_page_two(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        await join(tc, owner, workspace_id, "dora")
        first, cursor = await members_page(tc.core, owner, workspace_id, 2, None)

        await join(tc, owner, workspace_id, "eve")
        await join(tc, owner, workspace_id, "finn")
        second, cursor = await members_page(tc.core, owner, workspace_id, 2, cursor)
        third, end = await members_page(tc.core, owner, workspace_id, 2, cursor)

        assert first == ["olivia", "adam"]
        assert second == ["mia", "dora"]
        assert third == ["eve", "finn"]
        assert end is None

    async def test_members_leaving_after_page_one_do_not_shift_page_two(
        self, tc: TestCore, owner: Actor, admin: Actor, workspace_id: str
    ) -> None:
        await join(tc, owner, workspace_id, "dora")
        first, cursor = await members_page(tc.core, owner, workspace_id, 2, None)

        await tc.core.workspaces.leave(admin, workspace_id)  # the cursor's own row goes
        second, end = await members_page(tc.core, owner, workspace_id, 2, cursor)

        assert first == ["olivia", "adam"]
        assert second == ["mia", "dora"]
        assert end is None

    async def test_new_invites_do_not_reach_later_pages(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        created = []
        for _ in range(4):
            view = await tc.core.workspaces.create_invite(
                owner, workspace_id, role=None, expires_at=None, max_uses=None
            )
            created.append(view.invite.id)
            tc.clock.advance(STEP)
        first = await tc.core.workspaces.invites(
            owner, workspace_id, status=None, limit=2, cursor=None
        )

        await tc.core.workspaces.create_invite(
            owner, workspace_id, role=None, expires_at=None, max_uses=None
        )
        second = await tc.core.workspaces.invites(
            owner, workspace_id, status=None, limit=2, cursor=first.next_cursor
        )

        assert [v.invite.id for v in first.items] == [created[3], created[2]]
        assert [v.invite.id for v in second.items] == [created[1], created[0]]
        assert second.next_cursor is None

    async def test_users_added_after_page_one_land_in_order(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        first = await tc.core.users.search(owner, q=None, workspace_id=None, limit=2, cursor=None)

        await join(tc, owner, workspace_id, "aaron")  # sorts before the cursor: not repeated
        await join(tc, owner, workspace_id, "zack")  # sorts after it: shows up
        second = await tc.core.users.search(
            owner, q=None, workspace_id=None, limit=5, cursor=first.next_cursor
        )

        assert [u.username for u in first.items] == ["adam", "mia"]
        assert [u.username for u in second.items] == ["olivia", "zack"]
