"""Fixtures: a started gateway on a fresh in-memory core per test (see `ws/testing.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from flowra_entrypoints.ws.testing_kit import GatewayKit, KitFactory, build_gateway_kit


@pytest.fixture
async def make_env() -> AsyncIterator[KitFactory]:
    kits: list[GatewayKit] = []

    async def make(**options: Any) -> GatewayKit:
        kit = await build_gateway_kit(**options)
        kits.append(kit)
        return kit

    yield make
    for kit in kits:
        await kit.close()


@pytest.fixture
async def env(make_env: KitFactory) -> GatewayKit:
    return await make_env()
