"""Shared fixtures for the application-layer tests: a core on in-memory adapters and a team.

The team is one workspace, "Acme", with an owner, an admin and a plain member, plus two people
outside it: an ordinary user and a system admin. Each joined one second after the previous one,
so `joined_at` orders them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.testing.builder import TestCore, build_test_core

STEP = timedelta(seconds=1)


@pytest.fixture
async def tc() -> TestCore:
    return await build_test_core()


@pytest.fixture
def core(tc: TestCore) -> FlowraCore:
    return tc.core


@pytest.fixture
async def owner(tc: TestCore) -> Actor:
    return await tc.user("olivia")


@pytest.fixture
async def admin(tc: TestCore) -> Actor:
    return await tc.user("adam")


@pytest.fixture
async def member(tc: TestCore) -> Actor:
    return await tc.user("mia")


@pytest.fixture
async def outsider(tc: TestCore) -> Actor:
    return await tc.user("oscar")


@pytest.fixture
async def sysadmin(tc: TestCore) -> Actor:
    return await tc.user("sam", is_system_admin=True)


@pytest.fixture
async def workspace_id(
    tc: TestCore, owner: Actor, admin: Actor, member: Actor, outsider: Actor, sysadmin: Actor
) -> str:
    """Acme: olivia (owner), adam (admin), mia (member); oscar and sam stay outside."""
    workspaces = tc.core.workspaces
    view = await workspaces.create(owner, name="Acme", description="Rockets and anvils")
    tc.clock.advance(STEP)
    await workspaces.add_member(
        owner, view.workspace.id, user_id=admin.user_id, username=None, role="admin"
    )
    tc.clock.advance(STEP)
    await workspaces.add_member(
        owner, view.workspace.id, user_id=member.user_id, username=None, role=None
    )
    tc.clock.advance(STEP)
    return view.workspace.id


@pytest.fixture
def callers(
    owner: Actor, admin: Actor, member: Actor, outsider: Actor, sysadmin: Actor
) -> dict[str, Actor]:
    """The authorization matrix's callers, by the names the parametrised tests use."""
    return {
        "owner": owner,
        "admin": admin,
        "member": member,
        "non-member": outsider,
        "sysadmin": sysadmin,
    }
