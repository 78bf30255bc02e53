"""EphemeralStore contract (in-memory vs Redis): values live until their TTL, `take` hands a
single-use secret out once however many callers race for it, `delete` forgets."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from .redis_backends import EphemeralBackend

pytestmark = pytest.mark.integration


def key(kind: str = "wsticket") -> str:
    return f"flowra:{kind}:test-{uuid.uuid4().hex}"


async def test_a_value_is_read_back_until_taken(ephemeral: EphemeralBackend) -> None:
    ticket = key()
    await ephemeral.store.put(ticket, b'{"user_id":"u1"}', 30)

    assert await ephemeral.store.get(ticket) == b'{"user_id":"u1"}'
    assert await ephemeral.store.get(ticket) == b'{"user_id":"u1"}'
    assert await ephemeral.store.take(ticket) == b'{"user_id":"u1"}'
    assert await ephemeral.store.get(ticket) is None
    assert await ephemeral.store.take(ticket) is None


async def test_a_value_expires_after_its_ttl_while_a_longer_one_survives(
    ephemeral: EphemeralBackend,
) -> None:
    short, long = key(), key("session")
    await ephemeral.store.put(short, b"ticket", 0.2)
    await ephemeral.store.put(long, b"session", 60)

    await ephemeral.outlive(short, 0.2)

    assert await ephemeral.store.get(short) is None
    assert await ephemeral.store.take(short) is None
    assert await ephemeral.store.get(long) == b"session"


async def test_putting_again_replaces_the_value_and_its_ttl(ephemeral: EphemeralBackend) -> None:
    session = key("session")
    await ephemeral.store.put(session, b"first", 0.2)
    await ephemeral.store.put(session, b"second", 60)

    await ephemeral.outlive(key(), 0.2)

    assert await ephemeral.store.get(session) == b"second"


async def test_a_ttl_already_over_stores_nothing(ephemeral: EphemeralBackend) -> None:
    ticket = key()
    await ephemeral.store.put(ticket, b"old", 60)
    await ephemeral.store.put(ticket, b"new", 0)

    assert await ephemeral.store.get(ticket) is None


async def test_of_concurrent_takes_exactly_one_gets_the_value(ephemeral: EphemeralBackend) -> None:
    ticket = key()
    await ephemeral.store.put(ticket, b"once", 30)

    taken = await asyncio.gather(*(ephemeral.store.take(ticket) for _ in range(20)))

    assert taken.count(b"once") == 1
    assert taken.count(None) == 19


async def test_delete_forgets_and_tolerates_a_missing_key(ephemeral: EphemeralBackend) -> None:
    refresh = key("refresh")
    await ephemeral.store.put(refresh, b"token", 30)

    await ephemeral.store.delete(refresh)
    await ephemeral.store.delete(refresh)

    assert await ephemeral.store.get(refresh) is None
