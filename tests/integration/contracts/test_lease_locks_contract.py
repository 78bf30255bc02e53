"""LeaseLocks contract: one owner at a time per name, a re-acquire by the owner renews the
lease, an expired lease is free for anyone, and only the owner releases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .backends import Ports

pytestmark = pytest.mark.integration

TTL_S = 30.0


class TestAcquire:
    async def test_a_free_lock_is_taken_and_then_refused_to_others(self, ports: Ports) -> None:
        assert await ports.locks.acquire("relay", "worker-1", TTL_S) is True
        assert await ports.locks.acquire("relay", "worker-2", TTL_S) is False

    async def test_locks_of_different_names_are_independent(self, ports: Ports) -> None:
        assert await ports.locks.acquire("relay", "worker-1", TTL_S) is True
        assert await ports.locks.acquire("catchup", "worker-2", TTL_S) is True

    async def test_the_owner_renews_its_lease(self, ports: Ports) -> None:
        await ports.locks.acquire("relay", "worker-1", TTL_S)
        ports.clock.advance(timedelta(seconds=20))

        assert await ports.locks.acquire("relay", "worker-1", TTL_S) is True
        ports.clock.advance(timedelta(seconds=20))
        assert await ports.locks.acquire("relay", "worker-2", TTL_S) is False

    async def test_an_expired_lease_is_free_for_anyone(self, ports: Ports) -> None:
        await ports.locks.acquire("relay", "worker-1", TTL_S)
        ports.clock.advance(timedelta(seconds=TTL_S))

        assert await ports.locks.acquire("relay", "worker-2", TTL_S) is True
        assert await ports.locks.acquire("relay", "worker-1", TTL_S) is False


class TestRelease:
    async def test_the_owner_frees_the_lock(self, ports: Ports) -> None:
        await ports.locks.acquire("relay", "worker-1", TTL_S)

        await ports.locks.release("relay", "worker-1")

        assert await ports.locks.acquire("relay", "worker-2", TTL_S) is True

    async def test_someone_elses_lock_is_left_alone(self, ports: Ports) -> None:
        await ports.locks.acquire("relay", "worker-1", TTL_S)

        await ports.locks.release("relay", "worker-2")

        assert await ports.locks.acquire("relay", "worker-2", TTL_S) is False
