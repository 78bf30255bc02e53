"""Server time of the web client's chat page with 50 messages against the JSON API for the
same page, in one process with no sockets (as `asgi_messages.py` measures).

Builds the real app on the embedded profile, signs one person in both ways (the web form's
session cookie, the dev token's Bearer), fills a chat with 50 messages (markdown, tags,
mentions), then alternates rounds of:

- `GET /workspaces/{w}/chats/{c}`: the whole page (sidebar, 50 rendered messages, panel);
- `GET /api/v1/…/messages?limit=50`: the JSON of the same 50 messages;
- the four JSON reads that page's data needs (chat, messages, chat list, members).

Prints the median process CPU per request of each and the ratios. Not a test: it never fails
on speed and is not run in CI. Run: `.venv/bin/python -m benchmarks.web_chat_page
[--requests N] [--rounds R]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import msgspec
from benchmarks.asgi_messages import App, Lifespan, Message, build_flowra

MESSAGES = 50
WARM_UP = 50
ORIGIN = "http://localhost:8080"  # server.public_url by default


@dataclass
class Answer:
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)

    def json(self) -> Any:
        return msgspec.json.decode(bytes(self.body))


async def request(
    app: App,
    method: str,
    path: str,
    *,
    headers: Sequence[tuple[bytes, bytes]] = (),
    body: bytes = b"",
    query: str = "",
) -> Answer:
    scope: Message = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8080"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }
    sent = False
    answer = Answer()

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await app(scope, receive, send)
    return answer


def json_body(data: object) -> tuple[list[tuple[bytes, bytes]], bytes]:
    payload = msgspec.json.encode(data)
    return [(b"content-type", b"application/json")], payload


@dataclass
class Person:
    bearer: list[tuple[bytes, bytes]]
    cookie: list[tuple[bytes, bytes]]


async def sign_in(app: App, username: str) -> Person:
    form = urlencode({"username": username}).encode()
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", str(len(form)).encode()),
        (b"origin", ORIGIN.encode()),
    ]
    login = await request(app, "POST", "/login", headers=headers, body=form)
    cookie = next(v for k, v in login.headers if k == b"set-cookie").split(b";")[0]
    kind, payload = json_body({"username": username})
    token = await request(app, "POST", "/api/v1/auth/dev/token", headers=kind, body=payload)
    bearer = f"Bearer {token.json()['access_token']}".encode()
    return Person(bearer=[(b"authorization", bearer)], cookie=[(b"cookie", cookie)])


async def api(app: App, person: Person, method: str, path: str, data: object) -> Any:
    kind, payload = json_body(data)
    answer = await request(
        app, method, "/api/v1" + path, headers=[*kind, *person.bearer], body=payload
    )
    if answer.status >= 300:
        raise RuntimeError(f"{path}: {answer.status} {answer.body.decode()}")
    return answer.json()


@dataclass
class Target:
    name: str
    calls: Callable[[], Awaitable[int]]
    cpu_ms: list[float] = field(default_factory=list)

    async def round(self, count: int) -> None:
        started = time.process_time()
        for _ in range(count):
            await self.calls()
        self.cpu_ms.append(1000 * (time.process_time() - started) / count)


def getter(
    app: App, headers: list[tuple[bytes, bytes]], *paths: str
) -> Callable[[], Awaitable[int]]:
    async def run() -> int:
        size = 0
        for path in paths:
            target, _, query = path.partition("?")
            answer = await request(app, "GET", target, headers=headers, query=query)
            if answer.status != 200:
                raise RuntimeError(f"{path}: {answer.status} {answer.body[:300]!r}")
            size += len(answer.body)
        return size

    return run


async def main(requests: int, rounds: int) -> None:
    app = build_flowra()
    async with Lifespan(app):
        ada = await sign_in(app, "ada")
        workspace = await api(app, ada, "POST", "/workspaces", {"name": "Bench"})
        w = f"/workspaces/{workspace['id']}"
        chat = await api(app, ada, "POST", f"{w}/chats", {"title": "Launch", "type": "task"})
        c = f"{w}/chats/{chat['id']}"
        for number in range(MESSAGES):
            text = f"Update **{number}** for @ada: see `notes` and [the plan](https://example.com)"
            await api(app, ada, "POST", f"{c}/messages", {"content": text})
        page = getter(app, ada.cookie, c)
        messages = getter(app, ada.bearer, f"/api/v1{c}/messages?limit={MESSAGES}")
        page_data = getter(
            app,
            ada.bearer,
            f"/api/v1{c}",
            f"/api/v1{c}/messages?limit={MESSAGES}",
            f"/api/v1{w}/chats?limit=100",
            f"/api/v1{w}/members?limit=100",
        )
        targets = [
            Target("web page GET …/chats/{c} (HTML)", page),
            Target("JSON GET …/messages?limit=50", messages),
            Target("JSON, the page's 4 reads", page_data),
        ]
        sizes = [await target.calls() for target in targets]
        for target in targets:
            for _ in range(WARM_UP):
                await target.calls()
        for _ in range(rounds):
            for target in targets:
                await target.round(requests)
    print(f"{rounds} rounds × {requests} requests, in-process ASGI, {MESSAGES} messages:")
    for target, size in zip(targets, sizes, strict=True):
        median = statistics.median(target.cpu_ms)
        print(f"{target.name:<36} CPU {median:.3f} ms/request, {size / 1024:.1f} KiB")
    html, json_messages, json_page = (statistics.median(t.cpu_ms) for t in targets)
    print(f"ratio HTML page / JSON messages: {html / json_messages:.2f}")
    print(f"ratio HTML page / the page's JSON reads: {html / json_page:.2f}")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=200, help="per round and target")
    parser.add_argument("--rounds", type=int, default=5)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])
    with tempfile.TemporaryDirectory() as workdir:
        os.chdir(workdir)  # no ./config.yaml of the caller's is picked up
        asyncio.run(main(arguments.requests, arguments.rounds))
