"""HTTP throughput of `POST …/messages` against a bare Litestar JSON endpoint (issue: HTTP API).

Starts ONE uvicorn server (the settings `flowra-api` uses) on a free loopback port in a
subprocess. It serves the real Flowra app on the embedded profile and, under `/bare`, a bare
Litestar app with one JSON endpoint that decodes the same body and answers 201 with a small
object. The same keep-alive httpx client then sends a bounded load to both, alternating rounds
so neither gets a warmer machine, and prints requests per second, the ratio Flowra / bare (goal
≥ 0.5) and p50 / p99 latency.

Client and server share this machine's CPUs, so the server's own CPU time per request
(/proc/<pid>/stat) is printed too, with the ratio it implies for a server-bound run. Flowra logs at
`error` (no access-log lines). `--profile FILE` runs the server under cProfile and writes its
stats to FILE when it stops (read them with `python -m pstats FILE`; the profiler roughly doubles
the CPU per request, so compare profiles with profiles only). Not a test: it never fails on speed
and is not run in CI. Every wait is bounded and the server is stopped whatever happens. Run:
`.venv/bin/python benchmarks/http_messages.py [--requests N] [--concurrency C] [--tags]
[--profile FILE]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import msgspec
from litestar import Litestar, post
from litestar.enums import ScopeType
from litestar.params import JSONBody
from litestar.types import ASGIApp, Receive, Scope, Send

BARE_PREFIX = "/bare"
ROUNDS = 4
WARM_UP = 200
TIMEOUT_SECONDS = 600
# Two tags that both change the task, alternating so that every message applies them.
TAG_ROTATION = ("#status Done #priority Low", "#status In Progress #priority High")


# --- the server ---------------------------------------------------------------------------------


class NewNote(msgspec.Struct, forbid_unknown_fields=True):
    content: str


class Note(msgspec.Struct):
    id: str
    content: str
    created_at: str


@post(BARE_PREFIX + "/messages")
async def create_note(data: JSONBody[NewNote]) -> Note:
    return Note(
        id=str(uuid.uuid4()), content=data.content, created_at=datetime.now(UTC).isoformat()
    )


class BothApps:
    """Routes `/bare…` to the bare app and everything else (lifespan included) to Flowra."""

    def __init__(self, flowra: ASGIApp, bare: ASGIApp) -> None:
        self._flowra = flowra
        self._bare = bare

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["path"].startswith(BARE_PREFIX):
            await self._bare(scope, receive, send)
        else:
            await self._flowra(scope, receive, send)


def serve(port: int, profile_path: str | None) -> None:
    """Child process: both apps behind uvicorn with the options of `flowra-api`; under
    cProfile when `profile_path` is given (its stats are written there on exit)."""
    import cProfile

    import uvicorn

    from flowra_entrypoints.cli import start_process
    from flowra_entrypoints.container import build_container
    from flowra_entrypoints.http.app import create_app

    loaded = start_process(None, "api")  # settings and logging, as `flowra-api` does
    flowra = create_app(build_container(loaded.settings, loaded.explicit_keys))
    bare = Litestar(route_handlers=[create_note], openapi_config=None, debug=False)
    config = uvicorn.Config(
        BothApps(flowra, bare),  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        backlog=4096,
    )
    server = uvicorn.Server(config)
    if profile_path is None:
        server.run()
        return
    # uvicorn re-raises the SIGTERM it handled once it has stopped: a no-op handler lets this
    # process live on to write the stats.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: None)
    with cProfile.Profile() as profiler:
        server.run()
    profiler.dump_stats(profile_path)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(port: int, workdir: str, profile_path: str | None) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOWRA_")}
    env["FLOWRA_LOG_LEVEL"] = "error"
    profiling = ["--profile", os.path.abspath(profile_path)] if profile_path else []
    return subprocess.Popen(  # noqa: S603 - this very script, with our own arguments
        [sys.executable, __file__, "--serve", str(port), *profiling],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)  # a profiled server writes its stats first
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_until_serving(http: httpx.AsyncClient) -> None:
    async with asyncio.timeout(60):
        while True:
            try:
                if (await http.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


# --- the load -----------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    url: str
    headers: dict[str, str]
    content: Callable[[int], str] = "Load message {}".format
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def server_cpu_ms(self) -> float:
        """The server process's CPU time per request."""
        return 1000 * self.server_cpu_seconds / len(self.latencies)

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def send_all(
    http: httpx.AsyncClient, target: Target, count: int, concurrency: int
) -> list[float]:
    """`count` POSTs from `concurrency` workers; the latency of each, in seconds."""
    numbers: Iterator[int] = iter(range(count))
    latencies: list[float] = []

    async def worker() -> None:
        for number in numbers:
            body = {"content": target.content(number)}
            started = time.perf_counter()
            response = await http.post(target.url, json=body, headers=target.headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201:
                raise RuntimeError(f"{target.name}: {response.status_code} {response.text}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat, fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    http: httpx.AsyncClient, target: Target, count: int, concurrency: int, server_pid: int
) -> None:
    cpu_before, started = cpu_seconds(server_pid), time.perf_counter()
    target.latencies.extend(await send_all(http, target, count, concurrency))
    target.seconds += time.perf_counter() - started
    target.server_cpu_seconds += cpu_seconds(server_pid) - cpu_before


def tag_content(number: int) -> str:
    return TAG_ROTATION[number % len(TAG_ROTATION)]


async def flowra_target(http: httpx.AsyncClient, *, tags: bool) -> Target:
    async def ok(response: httpx.Response) -> dict[str, object]:
        if not response.is_success:
            raise RuntimeError(f"setup failed: {response.status_code} {response.text}")
        body: dict[str, object] = response.json()
        return body

    tokens = await ok(await http.post("/api/v1/auth/dev/token", json={"username": "bench"}))
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    workspace = await ok(
        await http.post("/api/v1/workspaces", json={"name": "Bench"}, headers=headers)
    )
    w = f"/api/v1/workspaces/{workspace['id']}"
    if not tags:
        chat = await ok(await http.post(f"{w}/chats", json={"title": "Load"}, headers=headers))
        return Target("Flowra POST …/messages", f"{w}/chats/{chat['id']}/messages", headers)
    task = {"title": "Load", "type": "task"}
    chat = await ok(await http.post(f"{w}/chats", json=task, headers=headers))
    url = f"{w}/chats/{chat['id']}/messages"
    return Target("Flowra POST …/messages #tags", url, headers, tag_content)


def report(target: Target) -> str:
    return (
        f"{target.name:<28} {target.rate:8,.0f} req/s   p50 {target.percentile_ms(0.5):6.1f} ms"
        f"   p99 {target.percentile_ms(0.99):6.1f} ms"
        f"   server CPU {target.server_cpu_ms:.2f} ms/request"
    )


async def main(requests: int, concurrency: int, *, tags: bool, profile_path: str | None) -> None:
    port = free_port()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with tempfile.TemporaryDirectory() as workdir:
        server = start_server(port, workdir, profile_path)
        try:
            async with (
                asyncio.timeout(TIMEOUT_SECONDS),
                httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits
                ) as http,
            ):
                await wait_until_serving(http)
                flowra = await flowra_target(http, tags=tags)
                bare = Target("bare Litestar POST", f"{BARE_PREFIX}/messages", {})
                for target in (bare, flowra):
                    await send_all(http, target, WARM_UP, concurrency)
                for _ in range(ROUNDS):
                    for target in (bare, flowra):
                        await measure(http, target, requests // ROUNDS, concurrency, server.pid)
        finally:
            stop_server(server)
    print(f"{requests} requests per endpoint, concurrency {concurrency}, loopback, one server:")
    print(report(bare))
    print(report(flowra))
    print(f"throughput ratio Flowra / bare: {flowra.rate / bare.rate:.2f} (goal ≥ 0.5)")
    medians = statistics.median(flowra.latencies) / statistics.median(bare.latencies)
    print(f"median latency Flowra / bare: {medians:.1f}×")
    # The client shares the CPUs: when it is the bottleneck, the throughput ratio flatters
    # Flowra. The server's own CPU time per request shows the cost it would have alone.
    cpu_ratio = bare.server_cpu_ms / flowra.server_cpu_ms
    print(f"server-bound ratio (bare CPU per request / Flowra CPU per request): {cpu_ratio:.2f}")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--tags", action="store_true", help="send two tags to a task chat")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the server into FILE")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])
    if arguments.serve is not None:
        serve(arguments.serve, arguments.profile)
    else:
        asyncio.run(
            main(
                arguments.requests,
                arguments.concurrency,
                tags=arguments.tags,
                profile_path=arguments.profile,
            )
        )
