"""Who consumes the bus's `dispatch` group (operations.md §5): the worker; an API process only
where no worker can (an in-process bus, or unified mode)."""

from __future__ import annotations

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.domain.chat import NewChat
from flowra_core.domain.user import UserSource
from flowra_core.ports.identity import IdentityClaims
from flowra_entrypoints.container import api_dispatches, build_container
from flowra_entrypoints.settings import load_settings


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, True),  # the embedded default: memory storage, in-process bus, unified mode
        ({"FLOWRA_STORAGE_BACKEND": "mongo"}, True),  # in-process bus: no worker can see it
        ({"FLOWRA_STORAGE_BACKEND": "mongo", "FLOWRA_EVENTBUS_TYPE": "redis"}, False),
        (
            {
                "FLOWRA_STORAGE_BACKEND": "mongo",
                "FLOWRA_EVENTBUS_TYPE": "redis",
                "FLOWRA_WORKER_EMBEDDED": "true",
            },
            True,
        ),
    ],
)
def test_an_api_dispatches_only_where_no_worker_can(
    environ: dict[str, str], expected: bool
) -> None:
    settings = load_settings(None, environ=environ).settings

    assert api_dispatches(settings) is expected


async def _added_notifications(core: FlowraCore) -> int:
    async def user(name: str) -> Actor:
        claims = IdentityClaims(f"local:{name}", name, None, None, False, UserSource.DEV)
        return Actor((await core.users.provision(claims)).id)

    alice, bob = await user("alice"), await user("bob")
    workspace = (await core.workspaces.create(alice, name="Team", description=None)).workspace
    await core.workspaces.add_member(
        alice, workspace.id, user_id=bob.user_id, username=None, role=None
    )
    draft = NewChat(title="Plans", participant_ids=[bob.user_id])
    await core.chats.create(alice, workspace.id, draft)
    return len((await core.notifications.list(bob)).items)


@pytest.mark.parametrize(("dispatches", "notified"), [(True, 1), (False, 0)])
async def test_a_core_without_the_consumer_leaves_notifications_to_the_worker(
    dispatches: bool, notified: int
) -> None:
    container = build_container(load_settings(None, environ={}).settings, dispatches=dispatches)
    core: FlowraCore = container.core()

    assert await _added_notifications(core) == notified
