"""Redis restarts under load (operations.md §4): one `flowra-api` and one `flowra-worker` on a
private `redis-server` that is killed and started again on the same port in the middle of a
stream of posts.

Every post either succeeds (201) or answers a clear 503 problem within a bound, nothing
acknowledged is lost, and once Redis is back the WebSocket subscriber is told to resync without
asking and, resuming from the last event it saw, gets every acknowledged message. Waiting is
always on a condition with a deadline.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from .fault_kit import (
    BIN,
    REQUEST_TIMEOUT,
    Inbox,
    PrivateRedis,
    environment,
    free_port,
    last_event_before,
    login,
    migrate,
    read_frames,
    running,
    wait_for,
    wait_until_ready,
)

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)

POSTS_BEFORE_OUTAGE = 8
POSTS_DURING_OUTAGE = 8
POSTS_AFTER_OUTAGE = 8


async def test_posts_survive_a_redis_restart(mongodb_uri: str, tmp_path: Path) -> None:
    redis = PrivateRedis(free_port())
    redis.start()
    try:
        env = environment(mongodb_uri, redis.port, tmp_path, database_prefix="flowra_fault")
        migrate(env)
        api_port = free_port()
        worker_env = {**env, "FLOWRA_WORKER_METRICS_PORT": str(free_port())}
        api_env = {**env, "FLOWRA_SERVER_PORT": str(api_port)}
        with ExitStack() as stack:
            stack.enter_context(running([str(BIN / "flowra-worker")], worker_env, "worker running"))
            stack.enter_context(
                running([str(BIN / "flowra-api")], api_env, "Application startup complete")
            )
            await _exercise(f"http://127.0.0.1:{api_port}", redis)
    finally:
        redis.kill()


async def _exercise(base: str, redis: PrivateRedis) -> None:
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as http:
        alice = await login(http, base, "alice")
        workspace = await alice.call("POST", "/api/v1/workspaces", json={"name": "Fault"})
        ws_path = f"/api/v1/workspaces/{workspace['id']}"
        chat = await alice.call("POST", ws_path + "/chats", json={"type": "task", "title": "Ship"})
        chat_path = f"{ws_path}/chats/{chat['id']}"

        async with connect(alice.ws_url, additional_headers=alice.headers) as ws:
            inbox = Inbox()
            reader = asyncio.create_task(read_frames(ws, inbox))
            try:
                await ws.send(json.dumps({"type": "subscribe", "chat_id": chat["id"], "id": "s1"}))
                await wait_for(inbox, lambda: inbox.acks >= 1, "subscribe ack")

                acknowledged: list[str] = []
                unavailable = 0
                total = POSTS_BEFORE_OUTAGE + POSTS_DURING_OUTAGE + POSTS_AFTER_OUTAGE
                for i in range(total):
                    if i == POSTS_BEFORE_OUTAGE:
                        # Everything posted so far was published directly: wait for it so the
                        # resume point below is well defined, then take Redis away.
                        await wait_for(
                            inbox,
                            lambda: set(acknowledged) <= inbox.message_ids,
                            "messages before the outage",
                        )
                        redis.kill()
                    if i == POSTS_BEFORE_OUTAGE + POSTS_DURING_OUTAGE:
                        redis.start()
                    try:
                        response = await http.post(
                            base + chat_path + "/messages",
                            headers=alice.headers,
                            json={"content": f"message {i}"},
                        )
                    except httpx.TimeoutException:
                        pytest.fail(f"post {i} hung for more than {REQUEST_TIMEOUT}s")
                    if response.status_code == 201:
                        acknowledged.append(response.json()["id"])
                        continue
                    assert response.status_code == 503, (i, response.status_code, response.text)
                    assert response.headers["content-type"].startswith("application/problem+json")
                    assert response.json()["code"] == "SERVICE_UNAVAILABLE", response.text
                    unavailable += 1

                await wait_until_ready(http, base)
                # The live pub/sub of the API was cut while Redis was away: events published
                # in that gap (or by the relay before the feed resubscribed) never reach this
                # connection live. The server says so without being asked: once its feed is
                # back, every subscription gets `resync_required`.
                await wait_for(inbox, lambda: inbox.resync_at is not None, "resync_required")
                assert inbox.resync_at is not None
                resume_from = last_event_before(inbox.frames, inbox.resync_at)
                assert resume_from is not None
                log.info(
                    "missing live before resume: %d", len(set(acknowledged) - inbox.message_ids)
                )
                # The protocol's answer (websocket.md §5): subscribe again with the last event
                # id seen before that frame; the server replays the chat's later events from
                # the journal, and duplicates are allowed.
                await ws.send(
                    json.dumps(
                        {
                            "type": "subscribe",
                            "chat_id": chat["id"],
                            "id": "s2",
                            "last_event_id": resume_from,
                        }
                    )
                )
                await wait_for(
                    inbox,
                    lambda: set(acknowledged) <= inbox.message_ids,
                    "every acknowledged message over WebSocket",
                )
            finally:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)

        assert acknowledged, "no post succeeded"
        resyncs = [f for f in inbox.frames if f["type"] == "resync_required"]
        # The gap's call only: the resume itself was answered with a replay.
        assert resyncs == [{"type": "resync_required", "chat_id": chat["id"], "reason": "too_many"}]
        timeline = await alice.call("GET", chat_path + "/messages?limit=100")
        stored = {m["id"] for m in timeline["items"]}
        missing = set(acknowledged) - stored
        assert not missing, f"acknowledged but lost: {missing}"
        log.info("201: %d, 503: %d", len(acknowledged), unavailable)
