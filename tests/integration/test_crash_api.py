"""An API killed between a commit and its reactions (design §2.6): the worker's sweep runs every
reaction the commit owed, once in effect.

A `flowra-api` on a private, then frozen `redis-server`: a message mentioning bob is committed,
its state and read models are written, and its `live` reaction hangs on the frozen bus. The API
is killed with SIGKILL right there, so the request is never answered and the mention's dispatch
never ran. Redis thaws, a `flowra-worker` starts: the work list empties, bob has exactly one
mention notification, the message is in the timeline once, and every read a client makes equals
what it makes after `flowra-migrator rebuild-projections` rebuilt all read models from the
journal. Waiting is always on a condition with a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from .fault_kit import (
    BIN,
    DELIVERY_DEADLINE,
    REQUEST_TIMEOUT,
    Client,
    PrivateRedis,
    environment,
    free_port,
    login,
    migrate,
    running,
    spawn,
    stop,
)

pytestmark = pytest.mark.integration

Database = Any
# uvicorn says so once it listens (after "Application startup complete").
API_UP = "Uvicorn running on"


async def test_a_killed_api_leaves_its_reactions_to_the_worker(
    mongodb_uri: str, tmp_path: Path
) -> None:
    redis = PrivateRedis(free_port())
    env = environment(mongodb_uri, redis.port, tmp_path, database_prefix="flowra_api_crash")
    # The rate limiter lives in Redis too: off, so only the reaction meets the frozen bus.
    env["FLOWRA_RATE_LIMIT_ENABLED"] = "false"
    redis.start()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongodb_uri, serverSelectionTimeoutMS=5000, tz_aware=True
    )
    try:
        migrate(env)
        database = mongo[env["FLOWRA_MONGODB_DATABASE"]]
        api_env = {**env, "FLOWRA_SERVER_PORT": str(free_port())}
        base = f"http://127.0.0.1:{api_env['FLOWRA_SERVER_PORT']}"
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as http:
            api = spawn([str(BIN / "flowra-api")], api_env, API_UP)
            try:
                alice, bob, chat_path = await _team(http, base)
                message_id = await _killed_mid_reactions(api, alice, chat_path, database, redis)
            finally:
                stop(api, kill=True)
            assert await database["reaction_work"].count_documents({}) >= 1

            worker_env = {**env, "FLOWRA_WORKER_METRICS_PORT": str(free_port())}
            with (
                running([str(BIN / "flowra-worker")], worker_env, "worker running"),
                running([str(BIN / "flowra-api")], api_env, API_UP),
            ):
                await _poll(lambda: _count(database, "reaction_work", {}, 0), "every reaction")
                assert await _mentions(bob) == 1
                timeline = await alice.call("GET", chat_path + "/messages?limit=100")
                assert [m["id"] for m in timeline["items"]].count(message_id) == 1
                before = await _reads(alice, bob, chat_path)

            subprocess.run(  # noqa: ASYNC221 - the rebuild runs while nothing else does
                [str(BIN / "flowra-migrator"), "rebuild-projections"],
                env=env,
                check=True,
                capture_output=True,
                timeout=120,
            )
            with running([str(BIN / "flowra-api")], api_env, API_UP):
                assert await _reads(alice, bob, chat_path) == before
    finally:
        redis.resume_if_paused()
        redis.kill()
        with contextlib.suppress(Exception):
            await mongo.drop_database(env["FLOWRA_MONGODB_DATABASE"])
        await mongo.close()


async def _team(http: httpx.AsyncClient, base: str) -> tuple[Client, Client, str]:
    alice = await login(http, base, "alice")
    bob = await login(http, base, "bob")
    workspace = await alice.call("POST", "/api/v1/workspaces", json={"name": "Crash"})
    ws_path = f"/api/v1/workspaces/{workspace['id']}"
    invite = await alice.call("POST", ws_path + "/invites", json={})
    await bob.call("POST", f"/api/v1/invites/{invite['token']}/accept")
    bob_me = await bob.call("GET", "/api/v1/users/me")
    chat = await alice.call(
        "POST",
        ws_path + "/chats",
        json={"type": "task", "title": "Ship", "participant_ids": [bob_me["id"]]},
    )
    return alice, bob, f"{ws_path}/chats/{chat['id']}"


async def _killed_mid_reactions(
    api: subprocess.Popen[str],
    alice: Client,
    chat_path: str,
    database: Database,
    redis: PrivateRedis,
) -> str:
    """Post a mention of bob with the bus frozen; kill the API once the message's read models
    are written and its `live` reaction is waiting on the bus. The message id."""
    redis.pause()
    post = asyncio.create_task(
        alice.http.post(
            alice.base + chat_path + "/messages",
            headers=alice.headers,
            json={"content": "@bob the release is yours"},
        )
    )
    query = {"content": "@bob the release is yours"}
    await _poll(lambda: _count(database, "messages", query, 1), "the message's state document")
    message = await database["messages"].find_one(query)
    assert message is not None
    marker = {"last_read_message_id": message["_id"]}
    await _poll(lambda: _count(database, "read_markers", marker, 1), "the author's read marker")
    api.send_signal(signal.SIGKILL)
    with contextlib.suppress(httpx.HTTPError):
        await post  # never answered: the connection dies with the process
    redis.resume()
    assert await _mentions_stored(database) == 0  # the dispatch never ran
    return str(message["_id"])


async def _reads(alice: Client, bob: Client, chat_path: str) -> list[Any]:
    """What clients see: the timeline, both chat lists (unread counts), bob's inbox, search."""
    ws_path = chat_path.rsplit("/chats/", 1)[0]
    return [
        await alice.call("GET", chat_path + "/messages?limit=100"),
        await alice.call("GET", ws_path + "/chats"),
        await bob.call("GET", ws_path + "/chats"),
        await bob.call("GET", "/api/v1/notifications"),
        await alice.call("GET", ws_path + "/search?q=release"),
    ]


async def _mentions(client: Client) -> int:
    listed = await client.call("GET", "/api/v1/notifications?type=chat.mention")
    return len(listed["items"])


async def _mentions_stored(database: Database) -> int:
    commits = await database["commits"].find({"aggregate_type": "notification"}).to_list()
    return sum(
        1
        for commit in commits
        for event in commit["events"]
        if event["type"] == "notification.created" and event["data"]["type"] == "chat.mention"
    )


async def _count(database: Database, collection: str, query: Any, expected: int) -> bool:
    found: int = await database[collection].count_documents(query)
    return found == expected


async def _poll(condition: Any, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + DELIVERY_DEADLINE
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {DELIVERY_DEADLINE}s waiting for {what}")
        await asyncio.sleep(0.05)
