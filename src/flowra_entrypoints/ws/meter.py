"""The WebSocket metrics of operations.md §8, with the labelled children cached per frame type
(a fan-out counts thousands of frames; a label look-up each time would dominate)."""

from __future__ import annotations

from prometheus_client import Counter

from flowra_entrypoints.metrics import Metrics


class WebSocketMeter:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._sent: dict[str, Counter] = {}
        self._received: dict[str, Counter] = {}

    def opened(self) -> None:
        self._metrics.websocket_connections.inc()

    def closed(self) -> None:
        self._metrics.websocket_connections.dec()

    def frame_sent(self, kind: str) -> None:
        child = self._sent.get(kind)
        if child is None:
            child = self._sent[kind] = self._metrics.websocket_frames_sent.labels(kind)
        child.inc()

    def frame_received(self, kind: str) -> None:
        child = self._received.get(kind)
        if child is None:
            child = self._received[kind] = self._metrics.websocket_frames_received.labels(kind)
        child.inc()

    def slow_consumer(self) -> None:
        self._metrics.websocket_slow_consumer_disconnects.inc()
