"""Sending (websocket.md §5, §7): the per-connection dedupe window, the bounded send queue and
slow consumers, the metrics, and the `chat.read` push."""

from __future__ import annotations

from flowra_core.app.actor import Actor
from flowra_core.app.messages.read_markers import ReadState
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.ws.connection import RECENT_EVENT_IDS, Connection
from flowra_entrypoints.ws.frames import OutboundFrame
from flowra_entrypoints.ws.limits import GatewayLimits
from flowra_entrypoints.ws.meter import WebSocketMeter
from flowra_entrypoints.ws.testing_kit import GatewayKit, KitFactory


class RecordingSink:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, text: str) -> None:
        self.sent.append(text)


def connection(queue_size: int = 5000) -> tuple[Connection, list[int]]:
    closes: list[int] = []
    return (
        Connection(
            "c1",
            Actor("u1"),
            RecordingSink(),
            queue_size=queue_size,
            meter=WebSocketMeter(Metrics()),
            on_close=lambda _connection, code, _reason: closes.append(code),
        ),
        closes,
    )


def event(n: int) -> tuple[OutboundFrame, str]:
    return OutboundFrame("message.created", f'{{"n": {n}}}'), f"event-{n}"


class TestDedupeWindow:
    def test_suppresses_ids_among_the_last_1000(self) -> None:
        conn, _ = connection()
        for n in range(RECENT_EVENT_IDS):
            frame, event_id = event(n)
            conn.push(frame, event_id=event_id)
        frame, event_id = event(0)
        conn.push(frame, event_id=event_id)
        assert conn.has_seen("event-0")
        frame, event_id = event(RECENT_EVENT_IDS)
        conn.push(frame, event_id=event_id)  # the 1001st pushes event-0 out of the window
        assert not conn.has_seen("event-0")
        assert conn.has_seen(f"event-{RECENT_EVENT_IDS}")

    def test_frames_without_an_event_id_are_never_suppressed(self) -> None:
        conn, closes = connection(queue_size=2)
        pong = OutboundFrame("pong", '{"type": "pong"}')
        conn.push(pong)
        conn.push(pong)
        assert closes == []


class TestSlowConsumer:
    def test_a_full_queue_closes_with_4008_once(self) -> None:
        conn, closes = connection(queue_size=2)
        for n in range(5):
            frame, event_id = event(n)
            conn.push(frame, event_id=event_id)
        assert closes == [4008]
        assert conn.is_closing

    async def test_is_closed_without_holding_up_the_others(self, make_env: KitFactory) -> None:
        env = await make_env(limits=GatewayLimits(send_queue_size=4))
        olivia, mia = await env.tc.user("olivia"), await env.tc.user("mia")
        workspace_id = await env.workspace(olivia, mia)
        chat_id = await env.chat(olivia, workspace_id, mia)
        stalled, lively = await env.connect(mia), await env.connect(olivia)
        for socket in (stalled, lively):
            socket.send_json({"type": "subscribe", "chat_id": chat_id, "id": "s"})
            await socket.frame("ack", ref="s")
        stalled.reading.clear()  # the client stops reading: sends block
        for n in range(8):
            await env.post(olivia, workspace_id, chat_id, f"Update {n}")
        await stalled.closed()
        assert stalled.close_code == 4008
        await env.settle(lively)
        assert len(lively.of_type("message.created")) == 8
        assert lively.close_code is None
        disconnects = env.metrics.registry.get_sample_value(
            "flowra_websocket_slow_consumer_disconnects_total"
        )
        assert disconnects == 1


class TestMetrics:
    async def test_follow_connections_and_frames(self, env: GatewayKit) -> None:
        registry = env.metrics.registry
        alice = await env.tc.user("alice")
        first, second = await env.connect(alice), await env.connect(alice)
        assert registry.get_sample_value("flowra_websocket_connections") == 2
        await first.roundtrip()
        sent = registry.get_sample_value("flowra_websocket_frames_sent_total", {"type": "pong"})
        assert sent == 1
        await env.hang_up(first)
        await env.hang_up(second)
        assert registry.get_sample_value("flowra_websocket_connections") == 0


class TestChatRead:
    async def test_reaches_every_connection_of_the_reader_only(self, env: GatewayKit) -> None:
        alice, bob = await env.tc.user("alice"), await env.tc.user("bob")
        phone, laptop, other = (
            await env.connect(alice),
            await env.connect(alice),
            await env.connect(bob),
        )
        state = ReadState(chat_id="chat-1", last_read_message_id="msg-9", unread_count=0)
        await env.gateway.chat_read(alice.user_id, state)
        for socket in (phone, laptop):
            assert await socket.frame("chat.read") == {
                "type": "chat.read",
                "chat_id": "chat-1",
                "last_read_message_id": "msg-9",
                "unread_count": 0,
            }
        await env.settle(other)
        assert other.of_type("chat.read") == []
