"""WebSocket fan-out over loopback (websocket.md §7): latency and memory of the gateway.

Starts the API (embedded profile, with the gateway's uvicorn options) as a subprocess on a free
loopback port, drives it from client processes, and prints:

- fan-out latency of one message to N subscribed connections (default 1,000): p50 / p99 / max
  over every delivery, from just before the `POST .../messages` to each client's receipt
  (CLOCK_MONOTONIC is shared by all processes);
- the server's RSS per idle connection at M open connections (default 5,000).

Clients and server share this machine's CPUs, so latency includes their contention. Not a test:
it never fails on speed and is not run in CI. Every wait is bounded and the server is stopped
whatever happens. Run from the repository root:
`.venv/bin/python -m benchmarks.ws_fanout [--subscribers N] [--idle M]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from benchmarks.ws_fanout_clients import (
    ClientGroup,
    Job,
    free_port,
    marked,
    percentile,
    raise_open_files_limit,
)

MESSAGES = 20
REPO_ROOT = Path(__file__).resolve().parents[1]


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


def start_server(port: int, workdir: str) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOWRA_")}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        FLOWRA_LOG_LEVEL="error",
        FLOWRA_WEBSOCKET_MAX_CONNECTIONS_PER_USER="100000",
        FLOWRA_WEBSOCKET_SEND_QUEUE_SIZE="256",
    )
    return subprocess.Popen(  # noqa: S603 - this very script, with our own arguments
        [sys.executable, "-m", "benchmarks.ws_fanout", "--serve", str(port)],
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
    with ClientGroup(Job((ws_url,), reader, 0, chat["id"], MESSAGES), subscribers) as clients:
        await clients.ready()
        sent_at: dict[int, float] = {}
        for number in range(MESSAGES):
            sent_at[number] = time.monotonic()
            body = {"content": marked(number)}
            posted = await http.post(f"{base}/chats/{chat['id']}/messages", json=body, headers=auth)
            posted.raise_for_status()
            await clients.delivered(number)  # one fan-out at a time
        return [at - sent_at[number] for _url, number, at, _ms in await clients.receipts()]


async def idle_rss(http: httpx.AsyncClient, ws_url: str, pid: int, count: int) -> float:
    token = await token_for(http, "idler")
    before = rss_bytes(pid)
    with ClientGroup(Job((ws_url,), token, 0, None, 0), count) as clients:
        await clients.ready()  # all are open and idle
        after = rss_bytes(pid)
        gauge = await http.get("/metrics")
        assert f"flowra_websocket_connections {float(count)}" in gauge.text
        return (after - before) / count


async def main(subscribers: int, idle: int) -> None:
    raise_open_files_limit(max(subscribers, idle) + 1024)  # the server holds every connection
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
