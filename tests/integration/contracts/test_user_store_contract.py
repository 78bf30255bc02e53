"""UserStore contract: never-backwards saves, case-insensitive look-ups, and the search list
ordered by (lowercased username, id) with keyset pages, literal case-insensitive `q`, `among`,
and Flowra Bot left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.domain.user.bot import flowra_bot
from flowra_core.domain.user.state import User

from .backends import Ports

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)


def user(
    user_id: str,
    username: str,
    *,
    version: int = 1,
    display_name: str | None = None,
    email: str | None = None,
) -> User:
    return User(
        id=user_id,
        external_id=f"kc-{user_id}",
        username=username,
        email=email if email is not None else f"{username.lower()}@flowra.test",
        display_name=display_name if display_name is not None else username.title(),
        display_name_custom=False,
        is_active=True,
        is_system_admin=False,
        created_at=T0,
        updated_at=T0 + timedelta(minutes=version),
        version=version,
    )


async def save_all(ports: Ports, *users: User) -> None:
    for one in users:
        await ports.users.save(one)


async def search_ids(
    ports: Ports,
    *,
    q: str | None = None,
    among: set[str] | None = None,
    after: tuple[str, str] | None = None,
    limit: int = 50,
) -> list[str]:
    found = await ports.users.search(q=q, among=among, after=after, limit=limit)
    return [one.id for one in found]


class TestSave:
    async def test_a_saved_user_reads_back_equal(self, ports: Ports) -> None:
        alice = user("u1", "Alice")
        await ports.users.save(alice)

        assert await ports.users.get("u1") == alice

    async def test_an_unknown_id_is_none(self, ports: Ports) -> None:
        assert await ports.users.get("nobody") is None

    async def test_a_newer_version_replaces_the_stored_one(self, ports: Ports) -> None:
        await ports.users.save(user("u1", "Alice", version=1))
        await ports.users.save(user("u1", "Alicia", version=2))

        stored = await ports.users.get("u1")
        assert stored is not None
        assert (stored.username, stored.version) == ("Alicia", 2)

    async def test_an_older_version_never_overwrites_a_newer_one(self, ports: Ports) -> None:
        await ports.users.save(user("u1", "Alicia", version=3))
        await ports.users.save(user("u1", "Alice", version=2))

        stored = await ports.users.get("u1")
        assert stored is not None
        assert (stored.username, stored.version) == ("Alicia", 3)

    async def test_the_same_version_again_keeps_the_first(self, ports: Ports) -> None:
        await ports.users.save(user("u1", "Alice", version=2))
        await ports.users.save(user("u1", "Alice", version=2, display_name="Replayed"))

        stored = await ports.users.get("u1")
        assert stored is not None
        assert stored.display_name == "Alice"


class TestLookUps:
    async def test_by_external_id(self, ports: Ports) -> None:
        await save_all(ports, user("u1", "alice"), user("u2", "bob"))

        found = await ports.users.by_external_id("kc-u2")

        assert found is not None
        assert found.id == "u2"
        assert await ports.users.by_external_id("kc-nobody") is None

    async def test_by_username_ignores_case(self, ports: Ports) -> None:
        await save_all(ports, user("u1", "Alice"))

        for asked in ("alice", "ALICE", "Alice"):
            found = await ports.users.by_username(asked)
            assert found is not None
            assert found.id == "u1"
        assert await ports.users.by_username("alic") is None

    async def test_by_username_follows_a_rename(self, ports: Ports) -> None:
        await ports.users.save(user("u1", "Alice", version=1))
        await ports.users.save(user("u1", "Alicia", version=2))

        assert await ports.users.by_username("alice") is None
        assert await ports.users.by_username("ALICIA") is not None

    async def test_get_many_returns_the_known_ones_by_id(self, ports: Ports) -> None:
        await save_all(ports, user("u1", "alice"), user("u2", "bob"), user("u3", "carol"))

        found = await ports.users.get_many(["u3", "u1", "nobody", "u1"])

        assert {key: value.username for key, value in found.items()} == {
            "u1": "alice",
            "u3": "carol",
        }
        assert await ports.users.get_many([]) == {}


class TestSearch:
    async def test_ordered_by_lowercased_username_then_id(self, ports: Ports) -> None:
        await save_all(
            ports, user("u1", "dave"), user("u2", "Bob"), user("u3", "alice"), user("u4", "Carol")
        )

        assert await search_ids(ports) == ["u3", "u2", "u4", "u1"]

    async def test_pages_continue_after_the_last_key(self, ports: Ports) -> None:
        names = ["erin", "Alice", "dave", "Bob", "carol"]
        await save_all(ports, *(user(f"u{n}", name) for n, name in enumerate(names)))
        first = await ports.users.search(q=None, among=None, after=None, limit=2)
        last = first[-1]

        second = await search_ids(ports, after=(last.username.lower(), last.id), limit=2)
        third = await search_ids(ports, after=("dave", "u2"), limit=2)

        assert [one.username for one in first] == ["Alice", "Bob"]
        assert second == ["u4", "u2"]
        assert third == ["u0"]

    async def test_q_matches_username_display_name_or_email_ignoring_case(
        self, ports: Ports
    ) -> None:
        await save_all(
            ports,
            user("u1", "alice", display_name="Alice Martin"),
            user("u2", "bob", display_name="Bob Stone"),
            user("u3", "carol", email="carol@MARTINEZ.example"),
            user("u4", "martina"),
        )

        assert await search_ids(ports, q="MARTIN") == ["u1", "u3", "u4"]
        assert await search_ids(ports, q="oB") == ["u2"]
        assert await search_ids(ports, q="nobody") == []

    async def test_q_is_literal_text_not_a_pattern(self, ports: Ports) -> None:
        await save_all(
            ports,
            user("u1", "a.b", display_name="A dot B"),
            user("u2", "axb", display_name="A x B"),
            user("u3", "c(d", display_name="C paren"),
        )

        assert await search_ids(ports, q="a.b") == ["u1"]
        assert await search_ids(ports, q="(") == ["u3"]
        assert await search_ids(ports, q=".*") == []

    async def test_among_limits_the_candidates(self, ports: Ports) -> None:
        await save_all(ports, user("u1", "alice"), user("u2", "bob"), user("u3", "carol"))

        assert await search_ids(ports, among={"u3", "u1", "nobody"}) == ["u1", "u3"]
        assert await search_ids(ports, among=set()) == []

    async def test_flowra_bot_is_never_returned(self, ports: Ports) -> None:
        bot = flowra_bot(T0)
        await save_all(ports, bot, user("u1", "flowrafan"))

        assert await search_ids(ports, q="flowra") == ["u1"]
        assert await search_ids(ports, among={bot.id}) == []
        assert await ports.users.get(bot.id) == bot

    async def test_a_zero_limit_returns_nothing(self, ports: Ports) -> None:
        await save_all(ports, user("u1", "alice"))

        assert await search_ids(ports, limit=0) == []
