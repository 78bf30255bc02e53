"""Client frames that are not about chats (websocket.md §2, §7): ping, malformed frames, limits."""

from __future__ import annotations

import json

from flowra_entrypoints.ws.limits import GatewayLimits
from flowra_entrypoints.ws.testing import MemorySocket
from flowra_entrypoints.ws.testing_kit import GatewayKit, KitFactory


async def alice_connected(env: GatewayKit) -> MemorySocket:
    return await env.connect(await env.tc.user("alice"))


def received(env: GatewayKit, kind: str) -> float:
    value = env.metrics.registry.get_sample_value(
        "flowra_websocket_frames_received_total", {"type": kind}
    )
    return value or 0.0


class TestPing:
    async def test_is_answered_with_pong_echoing_the_id(self, env: GatewayKit) -> None:
        socket = await alice_connected(env)
        socket.send_json({"type": "ping", "id": "p-1"})
        pong = await socket.frame("pong")
        assert pong == {"type": "pong", "ref": "p-1", "server_time": "2026-01-28T10:30:00.000Z"}

    async def test_without_id_has_a_null_ref(self, env: GatewayKit) -> None:
        socket = await alice_connected(env)
        socket.send_json({"type": "ping"})
        assert (await socket.frame("pong"))["ref"] is None


class TestInvalidFrames:
    async def invalid(self, socket: MemorySocket, data: str | bytes) -> dict[str, object]:
        before = len(socket.of_type("error"))
        socket.send_raw(data)
        await socket.until(lambda: len(socket.of_type("error")) > before)
        error = socket.of_type("error")[-1]
        assert error["code"] == "INVALID_FRAME"
        assert error["message"]
        return error

    async def test_not_json(self, env: GatewayKit) -> None:
        socket = await alice_connected(env)
        assert (await self.invalid(socket, "{nope"))["ref"] is None

    async def test_not_an_object(self, env: GatewayKit) -> None:
        socket = await alice_connected(env)
        await self.invalid(socket, '["ping"]')

    async def test_unknown_type_echoes_the_id(self, env: GatewayKit) -> None:
        socket = await alice_connected(env)
        error = await self.invalid(socket, json.dumps({"type": "dance", "id": "d1"}))
        assert error["ref"] == "d1"

    async def test_missing_field(self, env: GatewayKit) -> None:
        socket = await alice_connected(env)
        error = await self.invalid(socket, json.dumps({"type": "subscribe", "id": "s1"}))
        assert error["ref"] == "s1"
        assert "chat_id" in str(error["message"])

    async def test_malformed_field(self, env: GatewayKit) -> None:
        socket = await alice_connected(env)
        await self.invalid(socket, json.dumps({"type": "typing", "chat_id": 42}))

    async def test_an_id_over_64_characters(self, env: GatewayKit) -> None:
        socket = await alice_connected(env)
        error = await self.invalid(socket, json.dumps({"type": "ping", "id": "x" * 65}))
        assert error["ref"] is None

    async def test_binary_frame(self, env: GatewayKit) -> None:
        socket = await alice_connected(env)
        await self.invalid(socket, b'{"type": "ping"}')

    async def test_the_connection_stays_open(self, env: GatewayKit) -> None:
        socket = await alice_connected(env)
        await self.invalid(socket, "{nope")
        await socket.roundtrip()
        assert socket.close_code is None
        assert received(env, "invalid") == 1
        assert received(env, "ping") == 1


class TestFrameSize:
    async def test_a_frame_over_the_limit_closes_with_1009(self, make_env: KitFactory) -> None:
        env = await make_env(limits=GatewayLimits(max_frame_size=64))
        socket = await alice_connected(env)
        socket.send_json({"type": "ping", "id": "é" * 40})  # 80 bytes of UTF-8
        await socket.closed()
        assert socket.close_code == 1009

    async def test_a_frame_at_the_limit_is_read(self, make_env: KitFactory) -> None:
        env = await make_env(limits=GatewayLimits(max_frame_size=64))
        socket = await alice_connected(env)
        frame = json.dumps({"type": "ping", "id": "x" * 20})
        socket.send_raw(frame + " " * (64 - len(frame)))
        await socket.frame("pong", ref="x" * 20)

    async def test_other_connections_carry_on(self, make_env: KitFactory) -> None:
        env = await make_env(limits=GatewayLimits(max_frame_size=64))
        careless = await alice_connected(env)
        careful = await env.connect(await env.tc.user("bob"))
        careless.send_raw("x" * 65)
        await careless.closed()
        await careful.roundtrip()
        assert careful.close_code is None


class TestRateLimit:
    async def test_frames_beyond_20_a_second_are_dropped_with_one_error(
        self, env: GatewayKit
    ) -> None:
        socket = await alice_connected(env)
        for n in range(25):
            socket.send_json({"type": "ping", "id": f"p{n}"})
        await socket.processed()
        env.monotonic.advance(1.0)
        await socket.roundtrip()
        pongs = [frame["ref"] for frame in socket.of_type("pong")]
        assert pongs == [*(f"p{n}" for n in range(20)), "sync-1"]
        [error] = socket.of_type("error")
        assert (error["code"], error["ref"]) == ("RATE_LIMITED", "p20")
        assert received(env, "dropped") == 5

    async def test_the_error_is_sent_at_most_once_a_second(self, env: GatewayKit) -> None:
        socket = await alice_connected(env)
        for batch, pause in enumerate((0.5, 1.0, 1.0)):
            for n in range(22):
                socket.send_json({"type": "ping", "id": f"b{batch}-{n}"})
            await socket.processed()
            env.monotonic.advance(pause)
        # Windows: batch 0 and batch 1 share the first second; batch 2 opens a new one.
        await socket.roundtrip()
        assert len(socket.of_type("pong")) == 41
        assert [frame["ref"] for frame in socket.of_type("error")] == ["b0-20", "b2-20"]
        assert socket.close_code is None
