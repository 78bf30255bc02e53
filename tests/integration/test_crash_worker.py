"""A worker killed mid-sweep (design §2.6): commits whose reactions could not finish while the
bus was away are finished by the next worker exactly as if nothing happened.

A `flowra-api` on a private `redis-server` that is then stopped: posts still answer 201 because
the commit is stored, but their `live` reaction fails and stays in the work list (with the
mention's dispatch behind it). Redis comes back, a `flowra-worker` starts and is killed with
SIGKILL as soon as it sweeps, and a second worker finishes the job (only after the dead one's
`relay` lease expired): the work list empties, a WebSocket subscriber sees every message, and the
mention in the backlog gives exactly one notification. Waiting is always on a condition with a
deadline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from websockets.asyncio.client import connect

from .fault_kit import (
    BIN,
    DELIVERY_DEADLINE,
    REQUEST_TIMEOUT,
    Client,
    Inbox,
    PrivateRedis,
    environment,
    free_port,
    login,
    migrate,
    read_frames,
    running,
    spawn,
    stop,
    wait_for,
    wait_until_ready,
)

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)

BACKLOG = 20


async def test_a_killed_worker_loses_nothing_of_the_backlog(
    mongodb_uri: str, tmp_path: Path
) -> None:
    redis = PrivateRedis(free_port())
    redis.start()
    try:
        env = environment(mongodb_uri, redis.port, tmp_path, database_prefix="flowra_crash")
        migrate(env)
        api_port = free_port()
        api_env = {**env, "FLOWRA_SERVER_PORT": str(api_port)}
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            mongodb_uri, serverSelectionTimeoutMS=5000, tz_aware=True
        )
        try:
            with ExitStack() as stack:
                stack.enter_context(
                    running([str(BIN / "flowra-api")], api_env, "Application startup complete")
                )
                database = mongo[env["FLOWRA_MONGODB_DATABASE"]]
                await _exercise(
                    f"http://127.0.0.1:{api_port}",
                    redis,
                    env,
                    database["reaction_work"],
                    database["locks"],
                )
        finally:
            await mongo.close()
    finally:
        redis.kill()


async def _exercise(
    base: str, redis: PrivateRedis, env: dict[str, str], work: Any, locks: Any
) -> None:
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as http:
        alice = await login(http, base, "alice")
        bob = await login(http, base, "bob")
        workspace = await alice.call("POST", "/api/v1/workspaces", json={"name": "Crash"})
        ws_path = f"/api/v1/workspaces/{workspace['id']}"
        invite = await alice.call("POST", ws_path + "/invites", json={})
        await bob.call("POST", f"/api/v1/invites/{invite['token']}/accept")
        chat = await alice.call("POST", ws_path + "/chats", json={"type": "task", "title": "Ship"})
        chat_path = f"{ws_path}/chats/{chat['id']}"
        bob_me = await bob.call("GET", "/api/v1/users/me")
        await alice.call("POST", chat_path + "/participants", json={"user_id": bob_me["id"]})

        async with connect(bob.ws_url, additional_headers=bob.headers) as ws:
            inbox = Inbox()
            reader = asyncio.create_task(read_frames(ws, inbox))
            try:
                await ws.send(json.dumps({"type": "subscribe", "chat_id": chat["id"], "id": "s1"}))
                await wait_for(inbox, lambda: inbox.acks >= 1, "subscribe ack")
                first = await alice.call("POST", chat_path + "/messages", json={"content": "hi"})
                await wait_for(inbox, lambda: first["id"] in inbox.message_ids, "first message")
                resume_from = inbox.last_event_id
                assert resume_from is not None

                # The backlog: Redis is away, the `live` reaction fails, its tasks stay behind.
                redis.kill()
                backlog: list[str] = []
                for i in range(BACKLOG):
                    content = "ping @bob" if i == BACKLOG // 2 else f"backlog {i}"
                    try:
                        response = await http.post(
                            base + chat_path + "/messages",
                            headers=alice.headers,
                            json={"content": content},
                        )
                    except httpx.TimeoutException:
                        pytest.fail(f"post {i} hung for more than {REQUEST_TIMEOUT}s")
                    assert response.status_code == 201, (i, response.status_code, response.text)
                    backlog.append(response.json()["id"])
                owed = await work.count_documents({})
                assert owed >= BACKLOG, owed

                redis.start()
                worker_env = {**env, "FLOWRA_WORKER_METRICS_PORT": str(free_port())}
                crashed = spawn([str(BIN / "flowra-worker")], worker_env, "worker running")
                try:
                    # Kill it as soon as it sweeps (or right away if it finished already).
                    await _poll(
                        lambda: _sweeping_started(work, locks, owed),
                        "the first worker to sweep under its lease",
                        deadline=30.0,
                    )
                finally:
                    crashed.send_signal(signal.SIGKILL)
                    stop(crashed, kill=True)
                assert crashed.returncode == -signal.SIGKILL, crashed.returncode
                left = await work.count_documents({})
                lease = await locks.find_one({"_id": "relay"})
                log.info("tasks left when the first worker was killed: %d", left)

                with running([str(BIN / "flowra-worker")], worker_env, "worker running"):
                    if left:
                        # The dead worker's lease holds until it expires: nothing is swept
                        # before then (the API runs no sweep of its own).
                        assert lease is not None
                        await _poll(
                            lambda: _untouched_until(work, left, lease["expires_at"]),
                            "the dead worker's lease to expire",
                            deadline=40.0,
                        )
                    await _poll(lambda: _none_owed(work), "every reaction done")
                    await _poll(lambda: _mentions(bob, at_least=1), "the mention notification")
                    await wait_until_ready(http, base)
                    # The API's live pub/sub was cut with Redis and may have resubscribed only
                    # after the relay published: websocket.md §5 resume (subscribe again with
                    # the last event id seen) replays the rest from the journal.
                    log.info(
                        "missing live before resume: %d", len(set(backlog) - inbox.message_ids)
                    )
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
                        lambda: set(backlog) <= inbox.message_ids,
                        "every backlog message over WebSocket",
                    )
                    listed = await bob.call("GET", "/api/v1/notifications?type=chat.mention")
                    assert len(listed["items"]) == 1, listed
            finally:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
        # The API's live feed came back after a gap: its subscriptions are asked to resync
        # (websocket.md §5); the resume above is answered with a replay, never a resync.
        gap_call = {"type": "resync_required", "chat_id": chat["id"], "reason": "too_many"}
        resyncs = [f for f in inbox.frames if f["type"] == "resync_required"]
        assert all(f == gap_call for f in resyncs), resyncs
        timeline = await alice.call("GET", chat_path + "/messages?limit=100")
        assert set(backlog) <= {m["id"] for m in timeline["items"]}


async def _sweeping_started(work: Any, locks: Any, owed: int) -> bool:
    """Some backlog task is done and the `relay` lease that allowed it is visible."""
    left: int = await work.count_documents({})
    return left < owed and await locks.find_one({"_id": "relay"}) is not None


async def _untouched_until(work: Any, left: int, expires_at: datetime) -> bool:
    """True once the lease has expired; fails if a task was finished before that."""
    now = datetime.now(UTC)
    remaining: int = await work.count_documents({})
    if now < expires_at - timedelta(seconds=1):
        assert remaining == left, "a task was swept while the dead worker's lease held"
        return False
    return True


async def _none_owed(work: Any) -> bool:
    count: int = await work.count_documents({})
    return count == 0


async def _mentions(client: Client, *, at_least: int) -> bool:
    listed = await client.call("GET", "/api/v1/notifications?type=chat.mention")
    return len(listed["items"]) >= at_least


async def _poll(
    condition: Any, what: str, *, deadline: float = DELIVERY_DEADLINE, interval: float = 0.05
) -> None:
    until = time.monotonic() + deadline
    while not await condition():
        if time.monotonic() > until:
            pytest.fail(f"timed out after {deadline}s waiting for {what}")
        await asyncio.sleep(interval)
