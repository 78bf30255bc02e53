"""Client processes of the WebSocket fan-out benchmarks (`ws_fanout`, `ws_fanout_cluster`).

A `ClientGroup` spawns a few processes that share its connections. Each process opens its share
(connection i on `ws_urls[i % len(ws_urls)]`), subscribes them to one chat, says "ready", then
reports `("round", n)` once every one of its connections has the message marked `n`, and finally
sends every receipt. Receipt times are `time.monotonic()`: CLOCK_MONOTONIC is one clock for every
process on the machine, so they compare with the poster's. Every wait on a client is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import resource
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType

from websockets.asyncio.client import ClientConnection, connect

CLIENT_PROCESSES = 2
CONNECT_BATCH = 100
WAIT_SECONDS = 180.0
CLIENT_LIFETIME_SECONDS = 1800.0  # a client whose parent vanished gives up after this
MARKER = "bench-"

Receipt = tuple[int, int, float, float]
"""(index of the connection's URL in `Job.ws_urls`, message number, monotonic receipt time,
milliseconds from the commit's `occurred_at` to the receipt by the wall clock)."""


@dataclass(frozen=True)
class Job:
    """What one client process does: open `count` connections, subscribe them to `chat_id` when
    given, and (with `messages` > 0) time that many marked message.created frames on each."""

    ws_urls: tuple[str, ...]
    token: str
    count: int
    chat_id: str | None
    messages: int


def marked(number: int) -> str:
    """The content of benchmark message `number`, as the clients recognise it."""
    return f"{MARKER}{number}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def raise_open_files_limit(needed: int) -> None:
    """Lift this process's soft RLIMIT_NOFILE to `needed` (children inherit it), within the hard
    limit; fail early, naming the numbers, when the hard limit is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise SystemExit(f"needs {needed} open files; the hard limit is {hard} (ulimit -Hn)")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- inside a client process --------------------------------------------------------------------


def client_process(job: Job, pipe: Connection) -> None:
    asyncio.run(run_clients(job, pipe))


async def open_connection(job: Job, url: str) -> ClientConnection:
    ws = await connect(
        url,
        additional_headers={"Authorization": f"Bearer {job.token}"},
        open_timeout=60,
        max_queue=None,
    )
    await ws.recv()  # connected
    if job.chat_id is not None:
        await ws.send(f'{{"type":"subscribe","chat_id":"{job.chat_id}"}}')
        while '"ack"' not in str(await ws.recv()):
            pass
    return ws


async def receipts(
    url_index: int, ws: ClientConnection, wanted: int, arrived: Callable[[int], None]
) -> list[Receipt]:
    """Receipts of the next `wanted` benchmark messages on one connection."""
    found: list[Receipt] = []
    while len(found) < wanted:
        text = str(await ws.recv())
        at, wall = time.monotonic(), time.time()
        start = text.find(MARKER)
        if start >= 0 and '"message.created"' in text:
            end = text.index('"', start)
            number = int(text[start + len(MARKER) : end])
            committed = datetime.fromisoformat(json.loads(text)["occurred_at"]).timestamp()
            found.append((url_index, number, at, (wall - committed) * 1000))
            arrived(number)
    return found


async def run_clients(job: Job, pipe: Connection) -> None:
    sockets: list[tuple[int, ClientConnection]] = []
    spread = [index % len(job.ws_urls) for index in range(job.count)]
    urls = [(url_index, job.ws_urls[url_index]) for url_index in spread]
    try:
        async with asyncio.timeout(CLIENT_LIFETIME_SECONDS):
            for first in range(0, job.count, CONNECT_BATCH):
                batch = urls[first : first + CONNECT_BATCH]
                opened = await asyncio.gather(*(open_connection(job, url) for _, url in batch))
                sockets += zip((index for index, _ in batch), opened, strict=True)
            pipe.send("ready")
            if job.messages == 0:
                await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # "close"
                return
            counts: Counter[int] = Counter()

            def arrived(number: int) -> None:
                counts[number] += 1
                if counts[number] == len(sockets):
                    pipe.send(("round", number))

            results = await asyncio.gather(
                *(receipts(index, ws, job.messages, arrived) for index, ws in sockets)
            )
        pipe.send([receipt for result in results for receipt in result])
    finally:
        await asyncio.gather(*(ws.close() for _, ws in sockets), return_exceptions=True)


# --- in the benchmark process -------------------------------------------------------------------


async def next_message(pipe: Connection) -> object:
    """The next message of a client process, waiting on the event loop (so Ctrl-C cancels it)."""
    if not pipe.poll():
        loop = asyncio.get_running_loop()
        readable: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not readable.done():
                readable.set_result(None)

        loop.add_reader(pipe.fileno(), wake)
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                await readable
        except TimeoutError:
            raise TimeoutError("a client process did not answer in time") from None
        finally:
            loop.remove_reader(pipe.fileno())
    return pipe.recv()


class ClientGroup:
    """`total` connections of one job, spread over `CLIENT_PROCESSES` processes; a context manager
    that stops the processes whatever happens."""

    def __init__(self, job: Job, total: int) -> None:
        self._job = job
        self._total = total
        self._clients: list[tuple[BaseProcess, Connection]] = []

    def __enter__(self) -> ClientGroup:
        context = multiprocessing.get_context("spawn")
        share, extra = divmod(self._total, CLIENT_PROCESSES)
        for index in range(CLIENT_PROCESSES):
            mine, theirs = context.Pipe()
            count = share + (1 if index < extra else 0)
            process = context.Process(
                target=client_process, args=(replace(self._job, count=count), theirs), daemon=True
            )
            process.start()
            theirs.close()  # ours only: a dead client then reads as EOF, not as silence
            self._clients.append((process, mine))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for _process, pipe in self._clients:
            with contextlib.suppress(OSError):  # heard by idle clients; the rest are done
                pipe.send("close")
        for process, pipe in self._clients:
            process.join(timeout=30 if error is None else 0)  # after a failure: stop them now
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
            pipe.close()

    async def ready(self) -> None:
        """Every connection is open (and subscribed, when the job names a chat)."""
        for _process, pipe in self._clients:
            if (said := await next_message(pipe)) != "ready":
                raise RuntimeError(f"a client process said {said!r} instead of ready")

    async def delivered(self, number: int) -> None:
        """Message `number` has reached every connection of the group."""
        for _process, pipe in self._clients:
            if (said := await next_message(pipe)) != ("round", number):
                raise RuntimeError(f"a client process said {said!r} waiting for round {number}")

    async def receipts(self) -> list[Receipt]:
        found: list[Receipt] = []
        for _process, pipe in self._clients:
            sent = await next_message(pipe)
            assert isinstance(sent, list)
            found += sent
        return found
