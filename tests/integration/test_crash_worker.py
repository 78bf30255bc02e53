"""A worker killed mid-relay (operations.md §4): commits piled up unpublished while the bus was
away are relayed by the next worker exactly as if nothing happened.

A `flowra-api` on a private `redis-server` that is then stopped: posts still answer 201 because
the commit is stored, but stay unpublished. Redis comes back, a `flowra-worker` starts and is
killed with SIGKILL as soon as it relays, and a second worker finishes the job: every commit
gets `published_at`, a WebSocket subscriber sees every message, and the mention in the backlog
gives exactly one notification. Waiting is always on a condition with a deadline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from websockets.asyncio.client import ClientConnection, connect

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 20.0
DELIVERY_DEADLINE = 60.0
BACKLOG = 20
Frame = dict[str, Any]
log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_line(
    proc: subprocess.Popen[str], lines: queue.Queue[str | None], marker: str, name: str
) -> None:
    seen: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"{name} did not start: {''.join(seen)[-3000:]}")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            pytest.fail(f"{name} exited {proc.wait()}: {''.join(seen)[-3000:]}")
        seen.append(line)
        if marker in line:
            return


def _spawn(args: list[str], env: dict[str, str] | None, marker: str) -> subprocess.Popen[str]:
    """Start a process and wait until its output says `marker` (killed if it never does)."""
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        _wait_for_line(proc, lines, marker, args[0])
    except BaseException:
        _stop(proc, kill=True)
        raise
    return proc


def _stop(proc: subprocess.Popen[str], *, kill: bool = False) -> None:
    if proc.poll() is None:
        if kill:
            proc.kill()
        else:
            proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)
    if proc.stdout is not None:
        proc.stdout.close()


@contextmanager
def running(args: list[str], env: dict[str, str], marker: str) -> Iterator[subprocess.Popen[str]]:
    proc = _spawn(args, env, marker)
    try:
        yield proc
    finally:
        _stop(proc)


def _migrate(env: dict[str, str]) -> None:
    migrated = subprocess.run(
        [str(BIN / "flowra-migrator"), "up"], env=env, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr


class PrivateRedis:
    """A throw-away `redis-server` on a fixed port that can be killed and started again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        assert self._proc is None or self._proc.poll() is not None
        args = ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        args += ["--bind", "127.0.0.1"]
        self._proc = _spawn(args, None, "Ready to accept connections")

    def kill(self) -> None:
        if self._proc is not None:
            _stop(self._proc, kill=True)


def _environment(mongo_uri: str, redis_port: int, tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOWRA_")}
    env.update(
        {
            "FLOWRA_STORAGE_BACKEND": "mongo",
            "FLOWRA_MONGODB_URI": mongo_uri,
            "FLOWRA_MONGODB_DATABASE": f"flowra_crash_{uuid.uuid4().hex[:10]}",
            "FLOWRA_MONGODB_TIMEOUT": "5s",
            "FLOWRA_EVENTBUS_TYPE": "redis",
            "FLOWRA_REDIS_ADDR": f"127.0.0.1:{redis_port}",
            "FLOWRA_EVENTBUS_REDIS_CHANNEL_PREFIX": f"t{uuid.uuid4().hex[:8]}.",
            "FLOWRA_AUTH_JWT_SECRET": "fault-test-secret-0123456789abcdef",
            "FLOWRA_UPLOADS_DIR": str(tmp_path / "uploads"),
            "FLOWRA_SERVER_HOST": "127.0.0.1",
            "FLOWRA_LOG_LEVEL": "info",
            "FLOWRA_WORKER_RELAY_INTERVAL": "200ms",
        }
    )
    return env


@dataclass
class Client:
    http: httpx.AsyncClient
    base: str
    headers: dict[str, str]

    @property
    def ws_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/api/v1/ws"

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, self.base + path, headers=self.headers, **kwargs)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None


async def login(http: httpx.AsyncClient, base: str, username: str) -> Client:
    response = await http.post(f"{base}/api/v1/auth/dev/token", json={"username": username})
    assert response.status_code == 200, response.text
    return Client(http, base, {"Authorization": f"Bearer {response.json()['access_token']}"})


@dataclass
class Inbox:
    """What the WebSocket client received: message ids of `message.created`, last event id."""

    message_ids: set[str] = field(default_factory=set)
    last_event_id: str | None = None
    acks: int = 0
    frames: list[Frame] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


async def read_frames(ws: ClientConnection, inbox: Inbox) -> None:
    async for raw in ws:
        frame: Frame = json.loads(raw)
        inbox.frames.append(frame)
        if frame["type"] == "ack":
            inbox.acks += 1
        elif frame["type"] == "message.created":
            inbox.message_ids.add(frame["data"]["message_id"])
            inbox.last_event_id = frame["event_id"]
        inbox.changed.set()


async def wait_until_ready(http: httpx.AsyncClient, base: str) -> None:
    """/ready is 200 once Redis answers and the live feed is subscribed again."""
    deadline = time.monotonic() + DELIVERY_DEADLINE
    while True:
        try:
            response = await http.get(base + "/ready")
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as error:
            last = repr(error)
        if time.monotonic() > deadline:
            pytest.fail(f"API not ready again after Redis restart: {last}")
        await asyncio.sleep(0.1)


async def test_a_killed_worker_loses_nothing_of_the_backlog(
    mongodb_uri: str, tmp_path: Path
) -> None:
    redis = PrivateRedis(free_port())
    redis.start()
    try:
        env = _environment(mongodb_uri, redis.port, tmp_path)
        _migrate(env)
        api_port = free_port()
        api_env = {**env, "FLOWRA_SERVER_PORT": str(api_port)}
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            mongodb_uri, serverSelectionTimeoutMS=5000
        )
        try:
            with ExitStack() as stack:
                stack.enter_context(
                    running([str(BIN / "flowra-api")], api_env, "Application startup complete")
                )
                await _exercise(
                    f"http://127.0.0.1:{api_port}",
                    redis,
                    env,
                    mongo[env["FLOWRA_MONGODB_DATABASE"]]["commits"],
                )
        finally:
            await mongo.close()
    finally:
        redis.kill()


async def _exercise(base: str, redis: PrivateRedis, env: dict[str, str], commits: Any) -> None:
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
                await _wait_for(inbox, lambda: inbox.acks >= 1, "subscribe ack")
                first = await alice.call("POST", chat_path + "/messages", json={"content": "hi"})
                await _wait_for(inbox, lambda: first["id"] in inbox.message_ids, "first message")
                resume_from = inbox.last_event_id
                assert resume_from is not None

                # The backlog: Redis is away, direct publication fails, commits stay unpublished.
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
                unpublished = await commits.count_documents({"published_at": None})
                assert unpublished >= BACKLOG, unpublished

                redis.start()
                worker_env = {**env, "FLOWRA_WORKER_METRICS_PORT": str(free_port())}
                crashed = _spawn([str(BIN / "flowra-worker")], worker_env, "worker running")
                try:
                    # Kill it as soon as it is relaying (or right away if it finished already).
                    await _poll(
                        lambda: _relaying_started(commits),
                        "the first worker to relay",
                        deadline=30.0,
                    )
                finally:
                    crashed.send_signal(signal.SIGKILL)
                    _stop(crashed, kill=True)
                assert crashed.returncode == -signal.SIGKILL, crashed.returncode
                left = await commits.count_documents({"published_at": None})
                log.info("unpublished when the first worker was killed: %d", left)

                with running([str(BIN / "flowra-worker")], worker_env, "worker running"):
                    await _poll(
                        lambda: _none_left(commits, "published_at"), "every commit published"
                    )
                    # Not waiting on `dispatched_at`: nothing in src sets it (operations.md §4 gap).
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
                    await _wait_for(
                        inbox,
                        lambda: set(backlog) <= inbox.message_ids,
                        "every backlog message over WebSocket",
                    )
                    listed = await bob.call("GET", "/api/v1/notifications?type=chat.mention")
                    assert len(listed["items"]) == 1, listed
            finally:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
        assert not any(f["type"] == "resync_required" for f in inbox.frames), inbox.frames
        timeline = await alice.call("GET", chat_path + "/messages?limit=100")
        assert set(backlog) <= {m["id"] for m in timeline["items"]}


async def _relaying_started(commits: Any) -> bool:
    """A backlog message is published: more than the one sent before the outage."""
    count: int = await commits.count_documents(
        {"published_at": {"$ne": None}, "events.type": "message.created"}
    )
    return count > 1


async def _none_left(commits: Any, field_name: str) -> bool:
    count: int = await commits.count_documents({field_name: None})
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


async def _wait_for(inbox: Inbox, condition: Any, what: str) -> None:
    deadline = time.monotonic() + DELIVERY_DEADLINE
    while not condition():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"timed out waiting for {what}; got {len(inbox.frames)} frames")
        inbox.changed.clear()
        try:
            async with asyncio.timeout(min(remaining, 1.0)):
                await inbox.changed.wait()
        except TimeoutError:
            pass
