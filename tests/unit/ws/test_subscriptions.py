"""subscribe, unsubscribe and typing (websocket.md §2) with the core's access rules."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowra_core.app.actor import Actor
from flowra_entrypoints.ws.testing import MemorySocket
from flowra_entrypoints.ws.testing_kit import GatewayKit


@dataclass
class Team:
    """Acme: olivia owns it, mia is a member; oscar is outside; sam is a system admin."""

    olivia: Actor
    mia: Actor
    oscar: Actor
    sam: Actor
    workspace_id: str


@pytest.fixture
async def team(env: GatewayKit) -> Team:
    olivia, mia = await env.tc.user("olivia"), await env.tc.user("mia")
    oscar, sam = await env.tc.user("oscar"), await env.tc.user("sam", is_system_admin=True)
    return Team(olivia, mia, oscar, sam, await env.workspace(olivia, mia))


async def subscribe(socket: MemorySocket, chat_id: str, ref: str = "s1") -> dict[str, object]:
    socket.send_json({"type": "subscribe", "chat_id": chat_id, "id": ref})
    await socket.until(
        lambda: any(f.get("ref") == ref for f in socket.frames if f["type"] in ("ack", "error"))
    )
    return next(f for f in socket.frames if f.get("ref") == ref)


class TestSubscribe:
    async def test_a_readable_chat_is_acked(self, env: GatewayKit, team: Team) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id)
        socket = await env.connect(team.mia)
        ack = await subscribe(socket, chat_id)
        assert ack == {
            "type": "ack",
            "ref": "s1",
            "action": "subscribed",
            "chat_id": chat_id,
            "replayed": 0,
        }

    async def test_an_existing_subscription_is_acked_again(
        self, env: GatewayKit, team: Team
    ) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id)
        socket = await env.connect(team.mia)
        await subscribe(socket, chat_id, "first")
        assert (await subscribe(socket, chat_id, "again"))["action"] == "subscribed"

    @pytest.mark.parametrize("who", ["mia", "oscar"])
    async def test_a_private_chat_of_others_is_not_found(
        self, env: GatewayKit, team: Team, who: str
    ) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id, is_public=False)
        socket = await env.connect(getattr(team, who))
        error = await subscribe(socket, chat_id)
        assert error == {
            "type": "error",
            "ref": "s1",
            "code": "CHAT_NOT_FOUND",
            "message": error["message"],
            "chat_id": chat_id,
        }

    async def test_a_public_chat_of_another_workspace_is_not_found(
        self, env: GatewayKit, team: Team
    ) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id)
        socket = await env.connect(team.oscar)
        assert (await subscribe(socket, chat_id))["code"] == "CHAT_NOT_FOUND"

    async def test_unknown_and_deleted_chats_are_not_found(
        self, env: GatewayKit, team: Team
    ) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id)
        await env.tc.core.chats.delete(team.olivia, team.workspace_id, chat_id)
        socket = await env.connect(team.olivia)
        assert (await subscribe(socket, chat_id, "deleted"))["code"] == "CHAT_NOT_FOUND"
        assert (await subscribe(socket, "no-such-chat", "unknown"))["code"] == "CHAT_NOT_FOUND"

    async def test_a_system_admin_may_subscribe_to_any_chat(
        self, env: GatewayKit, team: Team
    ) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id, is_public=False)
        socket = await env.connect(team.sam)
        assert (await subscribe(socket, chat_id))["type"] == "ack"

    async def test_more_than_500_subscriptions_are_refused(
        self, env: GatewayKit, team: Team
    ) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id)
        socket = await env.connect(team.mia)
        [connection] = env.gateway.hub.of_user(team.mia.user_id)
        for n in range(500):
            env.gateway.hub.join(connection, f"chat-{n}", team.workspace_id)
        error = await subscribe(socket, chat_id)
        assert (error["code"], error["chat_id"]) == ("TOO_MANY_SUBSCRIPTIONS", chat_id)
        env.gateway.hub.leave(connection, "chat-0")
        assert (await subscribe(socket, chat_id, "s2"))["type"] == "ack"


class TestUnsubscribe:
    async def test_stops_the_chats_events(self, env: GatewayKit, team: Team) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id)
        socket = await env.connect(team.mia)
        await subscribe(socket, chat_id)
        socket.send_json({"type": "unsubscribe", "chat_id": chat_id, "id": "u1"})
        ack = await socket.frame("ack", ref="u1")
        assert ack == {
            "type": "ack",
            "ref": "u1",
            "action": "unsubscribed",
            "chat_id": chat_id,
            "replayed": 0,
        }
        await env.post(team.olivia, team.workspace_id, chat_id, "Anyone?")
        await env.settle(socket)
        assert socket.of_type("message.created") == []

    async def test_is_acked_when_not_subscribed(self, env: GatewayKit, team: Team) -> None:
        socket = await env.connect(team.mia)
        socket.send_json({"type": "unsubscribe", "chat_id": "never-followed", "id": "u1"})
        assert (await socket.frame("ack", ref="u1"))["action"] == "unsubscribed"


class TestTyping:
    async def test_reaches_the_rooms_other_users_only(self, env: GatewayKit, team: Team) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id, team.mia)
        typer = await env.connect(team.mia)
        typer_other_device = await env.connect(team.mia)
        watcher = await env.connect(team.olivia)
        bystander = await env.connect(team.olivia)  # not subscribed
        for socket in (typer, typer_other_device, watcher):
            await subscribe(socket, chat_id)
        typer.send_json({"type": "typing", "chat_id": chat_id})
        typing = await watcher.frame("typing")
        assert typing == {
            "type": "typing",
            "chat_id": chat_id,
            "user_id": team.mia.user_id,
            "expires_in": 5,
        }
        await env.settle(typer, typer_other_device, bystander)
        for socket in (typer, typer_other_device, bystander):
            assert socket.of_type("typing") == []

    async def test_is_throttled_to_one_broadcast_per_two_seconds(
        self, env: GatewayKit, team: Team
    ) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id, team.mia)
        typer, watcher = await env.connect(team.mia), await env.connect(team.olivia)
        await subscribe(watcher, chat_id)
        for _ in range(3):
            typer.send_json({"type": "typing", "chat_id": chat_id})
        await typer.processed()
        env.monotonic.advance(1.9)
        typer.send_json({"type": "typing", "chat_id": chat_id})
        await typer.processed()
        await env.settle(watcher)
        assert len(watcher.of_type("typing")) == 1
        env.monotonic.advance(0.1)
        typer.send_json({"type": "typing", "chat_id": chat_id})
        await typer.processed()
        await env.settle(watcher)
        assert len(watcher.of_type("typing")) == 2
        assert typer.of_type("error") == []  # extra frames are dropped silently

    async def test_needs_participation(self, env: GatewayKit, team: Team) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id)
        socket = await env.connect(team.mia)
        socket.send_json({"type": "typing", "chat_id": chat_id, "id": "t1"})
        error = await socket.frame("error", ref="t1")
        assert (error["code"], error["chat_id"]) == ("NOT_PARTICIPANT", chat_id)

    async def test_in_an_unreadable_chat_is_not_found(self, env: GatewayKit, team: Team) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id, is_public=False)
        socket = await env.connect(team.mia)
        socket.send_json({"type": "typing", "chat_id": chat_id, "id": "t1"})
        assert (await socket.frame("error", ref="t1"))["code"] == "CHAT_NOT_FOUND"
