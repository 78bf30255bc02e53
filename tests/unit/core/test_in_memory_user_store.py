"""What only the in-memory user store shows (the rest is the UserStore contract in
tests/integration/contracts): its look-up indexes follow every write, and a key two users share
(which Mongo's unique index refuses) finds the first one stored, as a scan would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flowra_core.domain.user.state import User
from flowra_core.memory.users import InMemoryUserStore

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)


def user(user_id: str, username: str, *, version: int = 1, external_id: str | None = None) -> User:
    return User(
        id=user_id,
        external_id=external_id if external_id is not None else f"kc-{user_id}",
        username=username,
        email=f"{user_id}@flowra.test",
        display_name=username,
        display_name_custom=False,
        is_active=True,
        is_system_admin=False,
        created_at=T0,
        updated_at=T0 + timedelta(minutes=version),
        version=version,
    )


async def found_id(store: InMemoryUserStore, username: str) -> str | None:
    found = await store.by_username(username)
    return None if found is None else found.id


async def test_an_older_version_leaves_the_indexes_on_the_newer_one() -> None:
    store = InMemoryUserStore()
    await store.save(user("u1", "Alicia", version=3, external_id="kc-new"))
    await store.save(user("u1", "Alice", version=2, external_id="kc-old"))

    assert await found_id(store, "alice") is None
    assert await found_id(store, "alicia") == "u1"
    assert await store.by_external_id("kc-old") is None
    found = await store.by_external_id("kc-new")
    assert found is not None
    assert found.version == 3


async def test_a_changed_external_id_is_found_under_the_new_one_only() -> None:
    store = InMemoryUserStore()
    await store.save(user("u1", "alice", version=1, external_id="kc-old"))
    await store.save(user("u1", "alice", version=2, external_id="kc-new"))

    assert await store.by_external_id("kc-old") is None
    assert await store.by_external_id("kc-new") is not None


async def test_a_shared_username_finds_the_first_user_stored() -> None:
    store = InMemoryUserStore()
    await store.save(user("u2", "Alice"))
    await store.save(user("u1", "ALICE"))

    assert await found_id(store, "alice") == "u2"


async def test_a_rename_hands_a_shared_username_to_the_other_holder() -> None:
    store = InMemoryUserStore()
    await store.save(user("u2", "alice"))
    await store.save(user("u1", "alice"))
    await store.save(user("u2", "alicia", version=2))

    assert await found_id(store, "alice") == "u1"
    assert await found_id(store, "alicia") == "u2"


async def test_the_first_stored_keeps_its_place_after_a_rename_back() -> None:
    store = InMemoryUserStore()
    await store.save(user("u1", "bob"))
    await store.save(user("u2", "alice"))
    await store.save(user("u1", "alice", version=2))

    assert await found_id(store, "alice") == "u1"
