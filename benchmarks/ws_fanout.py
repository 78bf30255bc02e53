"""WebSocket fan-out over loopback (websocket.md §7): latency and memory of the gateway.

Starts the API (embedded profile, with the gateway's uvicorn options) as a subprocess on a free
loopback port, drives it from client processes, and prints:

- fan-out latency of one message to N subscribed connections (default 1,000): p50 / p99 / max
  over every delivery, from just before the `POST .../messages` to each client's receipt
  (CLOCK_MONOTONIC is shared by all processes);
- the server's RSS per idle connection at M open connections (default 5,000).

Clients and server share this machine's CPUs, so latency includes their contention. Not a test:
it never fails on speed and is not run in CI. Every wait is bounded and the server is stopped
whatever happens. Run: `.venv/bin/python benchmarks/ws_fanout.py [--subscribers N] [--idle M]`.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

CLIENT_PROCESSES = 2
CONNECT_BATCH = 100
MESSAGES = 20
MESSAGE_GAP_SECONDS = 0.25  # pacing between posts; each fan-out finishes well within it
PHASE_TIMEOUT_SECONDS = 180.0
MARKER = "bench-"


@dataclass(frozen=True)
class Job:
    """What one client process does: open `count` connections, subscribe them to `chat_id` when
    given, and (with `messages`) time that many message.created frames on each."""

    ws_url: str
    token: str
    count: int
    chat_id: str | None
    messages: int


# --- the server ---------------------------------------------------------------------------------


def serve(port: int) -> None:
    """Child process: the API with the gateway's uvicorn options (what `flowra-api` runs)."""
    import uvicorn

    from flowra_entrypoints.container import build_container
    from flowra_entrypoints.http.app import create_app
    from flowra_entrypoints.settings import load_settings
    from flowra_entrypoints.ws.server_options import websocket_server_options

    settings = load_settings(None).settings
    app = create_app(build_container(settings))
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_config=None,
        access_log=False,
        backlog=4096,
        **websocket_server_options(settings.websocket),
    )
    uvicorn.Server(config).run()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(port: int, workdir: str) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOWRA_")}
    env.update(
        FLOWRA_LOG_LEVEL="error",
        FLOWRA_WEBSOCKET_MAX_CONNECTIONS_PER_USER="100000",
        FLOWRA_WEBSOCKET_SEND_QUEUE_SIZE="256",
    )
    return subprocess.Popen(  # noqa: S603 - this very script, with our own arguments
        [sys.executable, __file__, "--serve", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS line")


async def wait_until_serving(http: httpx.AsyncClient) -> None:
    async with asyncio.timeout(60):
        while True:
            try:
                if (await http.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


# --- client processes ---------------------------------------------------------------------------


def client_process(job: Job, pipe: Connection) -> None:
    asyncio.run(run_clients(job, pipe))


async def open_connection(job: Job) -> ClientConnection:
    ws = await connect(
        job.ws_url,
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


async def receipts(ws: ClientConnection, wanted: int) -> list[tuple[int, float]]:
    """(message number, receipt time) of the next `wanted` benchmark messages."""
    found: list[tuple[int, float]] = []
    while len(found) < wanted:
        text = str(await ws.recv())
        at = time.perf_counter()
        start = text.find(MARKER)
        if start >= 0 and '"message.created"' in text:
            end = text.index('"', start)
            found.append((int(text[start + len(MARKER) : end]), at))
    return found


async def run_clients(job: Job, pipe: Connection) -> None:
    sockets: list[ClientConnection] = []
    try:
        async with asyncio.timeout(PHASE_TIMEOUT_SECONDS):
            for first in range(0, job.count, CONNECT_BATCH):
                batch = min(CONNECT_BATCH, job.count - first)
                sockets += await asyncio.gather(*(open_connection(job) for _ in range(batch)))
            pipe.send("ready")
            results = await asyncio.gather(*(receipts(ws, job.messages) for ws in sockets))
        pipe.send([item for result in results for item in result])
        if job.messages == 0:
            await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # "close"
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


def spawn_clients(job: Job, total: int) -> list[tuple[BaseProcess, Connection]]:
    context = multiprocessing.get_context("spawn")
    started: list[tuple[BaseProcess, Connection]] = []
    share, extra = divmod(total, CLIENT_PROCESSES)
    for index in range(CLIENT_PROCESSES):
        count = share + (1 if index < extra else 0)
        mine, theirs = context.Pipe()
        process = context.Process(
            target=client_process,
            args=(Job(job.ws_url, job.token, count, job.chat_id, job.messages), theirs),
            daemon=True,
        )
        process.start()
        started.append((process, mine))
    return started


def receive(pipe: Connection, timeout: float) -> object:
    if not pipe.poll(timeout):
        raise TimeoutError("a client process did not answer in time")
    return pipe.recv()


def finish(clients: Sequence[tuple[BaseProcess, Connection]]) -> None:
    for process, _pipe in clients:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()


# --- the two measurements -----------------------------------------------------------------------


async def token_for(http: httpx.AsyncClient, username: str) -> str:
    response = await http.post("/api/v1/auth/dev/token", json={"username": username})
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


async def fan_out(http: httpx.AsyncClient, ws_url: str, subscribers: int) -> list[float]:
    poster, reader = await token_for(http, "poster"), await token_for(http, "reader")
    auth = {"Authorization": f"Bearer {poster}"}
    workspace = (await http.post("/api/v1/workspaces", json={"name": "Bench"}, headers=auth)).json()
    base = f"/api/v1/workspaces/{workspace['id']}"
    member = await http.post(f"{base}/members", json={"username": "reader"}, headers=auth)
    member.raise_for_status()
    chat = (await http.post(f"{base}/chats", json={"title": "Fan-out"}, headers=auth)).json()
    clients = spawn_clients(Job(ws_url, reader, 0, chat["id"], MESSAGES), subscribers)
    try:
        for _process, pipe in clients:
            receive(pipe, PHASE_TIMEOUT_SECONDS)
        sent_at: dict[int, float] = {}
        for number in range(MESSAGES):
            sent_at[number] = time.perf_counter()
            body = {"content": f"{MARKER}{number}"}
            posted = await http.post(f"{base}/chats/{chat['id']}/messages", json=body, headers=auth)
            posted.raise_for_status()
            await asyncio.sleep(MESSAGE_GAP_SECONDS)
        latencies: list[float] = []
        for _process, pipe in clients:
            receipts_of = receive(pipe, PHASE_TIMEOUT_SECONDS)
            assert isinstance(receipts_of, list)
            latencies += [at - sent_at[number] for number, at in receipts_of]
        return latencies
    finally:
        finish(clients)


async def idle_rss(http: httpx.AsyncClient, ws_url: str, pid: int, count: int) -> float:
    token = await token_for(http, "idler")
    before = rss_bytes(pid)
    clients = spawn_clients(Job(ws_url, token, 0, None, 0), count)
    try:
        for _process, pipe in clients:
            receive(pipe, PHASE_TIMEOUT_SECONDS)
        for _process, pipe in clients:
            receive(pipe, PHASE_TIMEOUT_SECONDS)  # the (empty) results: all are open and idle
        after = rss_bytes(pid)
        gauge = await http.get("/metrics")
        assert f"flowra_websocket_connections {float(count)}" in gauge.text
        for _process, pipe in clients:
            pipe.send("close")
        return (after - before) / count
    finally:
        finish(clients)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main(subscribers: int, idle: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        server = start_server(port, workdir)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                await wait_until_serving(http)
                ws_url = f"ws://127.0.0.1:{port}/api/v1/ws"
                latencies = await fan_out(http, ws_url, subscribers)
                per_connection = await idle_rss(http, ws_url, server.pid, idle)
        finally:
            stop_server(server)
    ms = [seconds * 1000 for seconds in latencies]
    print(f"fan-out to {subscribers} subscribers, {MESSAGES} messages, {len(ms)} deliveries:")
    print(
        f"  p50 {statistics.median(ms):.1f} ms   p99 {percentile(ms, 0.99):.1f} ms   "
        f"max {max(ms):.1f} ms"
    )
    print(f"server RSS per idle connection at {idle} connections: {per_connection / 1024:.1f} KiB")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=5000)
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])
    if arguments.serve is not None:
        serve(arguments.serve)
    else:
        asyncio.run(main(arguments.subscribers, arguments.idle))
