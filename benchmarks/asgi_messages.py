"""Server CPU of `POST …/messages` in one process, with no sockets and no HTTP client.

Builds the real Flowra app on the embedded profile (as `flowra-api` does, logging at `error`)
and a bare Litestar app with one JSON endpoint, runs Flowra's lifespan, and calls both ASGI
apps directly with a hand-made scope: what remains is the server's own work per request minus
uvicorn's HTTP parsing (the same for both). Rounds alternate between the two apps; each round's
process CPU time per request is recorded and the medians are printed, with the ratio
bare / Flowra. `--tags` sends two applied tags to a task chat instead of plain text;
`--profile FILE` runs the Flowra rounds under cProfile (stats in FILE, read with
`python -m pstats FILE`; the profiler inflates the times, so compare profiles with profiles).

Not a test: it never fails on speed and is not run in CI. Run:
`.venv/bin/python benchmarks/asgi_messages.py [--requests N] [--rounds R] [--tags]
[--profile FILE]`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import msgspec
from litestar import Litestar, post
from litestar.params import JSONBody

Message = MutableMapping[str, Any]
App = Callable[[Message, Callable[[], Any], Callable[[Message], Any]], Any]

BARE_PATH = "/bare/messages"
WARM_UP = 300
TAG_ROTATION = ("#status Done #priority Low", "#status In Progress #priority High")


class NewNote(msgspec.Struct, forbid_unknown_fields=True):
    content: str


class Note(msgspec.Struct):
    id: str
    content: str
    created_at: str


@post(BARE_PATH)
async def create_note(data: JSONBody[NewNote]) -> Note:
    return Note(
        id=str(uuid.uuid4()), content=data.content, created_at=datetime.now(UTC).isoformat()
    )


@dataclass
class Answer:
    status: int = 0
    body: bytearray = field(default_factory=bytearray)

    def json(self) -> dict[str, Any]:
        decoded: dict[str, Any] = msgspec.json.decode(bytes(self.body))
        return decoded


async def call(
    app: App, method: str, path: str, body: object = None, token: str | None = None
) -> Answer:
    """One request through the ASGI app, as uvicorn would hand it over."""
    payload = msgspec.json.encode(body) if body is not None else b""
    headers = [(b"host", b"127.0.0.1:8080"), (b"user-agent", b"bench")]
    if body is not None:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope: Message = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }
    sent = False
    answer = Answer()
    disconnected = asyncio.Event()

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await app(scope, receive, send)
    disconnected.set()
    return answer


class Lifespan:
    """Runs the app's ASGI lifespan (startup on enter, shutdown on exit)."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[Any] | None = None

    async def __aenter__(self) -> Lifespan:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._task = asyncio.create_task(self._app(scope, self._to_app.get, self._from_app.put))
        await self._exchange("lifespan.startup")
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._exchange("lifespan.shutdown")
        assert self._task is not None
        await self._task

    async def _exchange(self, message_type: str) -> None:
        await self._to_app.put({"type": message_type})
        async with asyncio.timeout(60):
            answer = await self._from_app.get()
        if answer["type"] != f"{message_type}.complete":
            raise RuntimeError(f"lifespan: {answer}")


@dataclass
class Target:
    name: str
    app: App
    path: str
    token: str | None
    content: Callable[[int], str]
    sent: int = 0
    cpu_ms: list[float] = field(default_factory=list)

    async def send(self, count: int) -> None:
        for _ in range(count):
            answer = await call(
                self.app, "POST", self.path, {"content": self.content(self.sent)}, self.token
            )
            if answer.status != 201:
                raise RuntimeError(f"{self.name}: {answer.status} {answer.body.decode()}")
            self.sent += 1
            await asyncio.sleep(0)  # let the tasks the request woke run inside the round

    async def round(self, count: int, profiler: cProfile.Profile | None) -> None:
        started = time.process_time()
        if profiler is not None:
            profiler.enable()
        await self.send(count)
        if profiler is not None:
            profiler.disable()
        self.cpu_ms.append(1000 * (time.process_time() - started) / count)


def tag_content(number: int) -> str:
    return TAG_ROTATION[number % len(TAG_ROTATION)]


async def flowra_target(app: App, *, tags: bool) -> Target:
    async def ok(answer: Answer) -> dict[str, Any]:
        if answer.status >= 300:
            raise RuntimeError(f"setup failed: {answer.status} {answer.body.decode()}")
        return answer.json()

    tokens = await ok(await call(app, "POST", "/api/v1/auth/dev/token", {"username": "bench"}))
    token = str(tokens["access_token"])
    workspace = await ok(await call(app, "POST", "/api/v1/workspaces", {"name": "Bench"}, token))
    w = f"/api/v1/workspaces/{workspace['id']}"
    chat_body = {"title": "Load", "type": "task"} if tags else {"title": "Load"}
    chat = await ok(await call(app, "POST", f"{w}/chats", chat_body, token))
    path = f"{w}/chats/{chat['id']}/messages"
    if tags:
        return Target("Flowra POST …/messages #tags", app, path, token, tag_content)
    return Target("Flowra POST …/messages", app, path, token, "Load message {}".format)


def build_flowra() -> App:
    from flowra_entrypoints.cli import start_process
    from flowra_entrypoints.container import build_container
    from flowra_entrypoints.http.app import create_app

    for key in [key for key in os.environ if key.startswith("FLOWRA_")]:
        del os.environ[key]
    os.environ["FLOWRA_LOG_LEVEL"] = "error"
    loaded = start_process(None, "api")
    app: App = create_app(build_container(loaded.settings, loaded.explicit_keys))
    return app


async def main(requests: int, rounds: int, *, tags: bool, profile_path: str | None) -> None:
    flowra_app = build_flowra()
    bare_app = cast(App, Litestar(route_handlers=[create_note], openapi_config=None, debug=False))
    profiler = cProfile.Profile() if profile_path else None
    async with Lifespan(flowra_app):
        flowra = await flowra_target(flowra_app, tags=tags)
        bare = Target("bare Litestar POST", bare_app, BARE_PATH, None, "Load message {}".format)
        for target in (bare, flowra):
            await target.send(WARM_UP)
        for _ in range(rounds):
            await bare.round(requests, None)
            await flowra.round(requests, profiler)
    if profiler is not None and profile_path is not None:
        profiler.dump_stats(profile_path)
    print(f"{rounds} rounds × {requests} requests, in-process ASGI (no sockets):")
    for target in (bare, flowra):
        runs = ", ".join(f"{ms:.3f}" for ms in target.cpu_ms)
        median = statistics.median(target.cpu_ms)
        print(f"{target.name:<30} CPU {median:.3f} ms/request (median; rounds: {runs})")
    ratio = statistics.median(bare.cpu_ms) / statistics.median(flowra.cpu_ms)
    print(f"ratio bare / Flowra CPU per request: {ratio:.2f}")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=1000, help="per round and app")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tags", action="store_true", help="send two tags to a task chat")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the Flowra rounds into FILE")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])
    profile = os.path.abspath(arguments.profile) if arguments.profile else None
    with tempfile.TemporaryDirectory() as workdir:
        os.chdir(workdir)  # no ./config.yaml of the caller's is picked up
        asyncio.run(
            main(arguments.requests, arguments.rounds, tags=arguments.tags, profile_path=profile)
        )
