"""WebSocket fan-out across two API instances (issue 7): one message to 1,000 connections, half on
each of two `flowra-api` processes that share FerretDB and Redis.

Starts two `flowra-api` console scripts, A and B (storage.backend=mongo, eventbus.type=redis, a
fresh migrated database and bus prefix; see `api_cluster`). No `flowra-worker`: the API runs the
write path itself and the fan-out crosses instances through Redis pub/sub. Client processes hold
two layouts at once, each with its own chat in one workspace:

- one instance: N connections (default 1,000), all on A;
- two instances: N/2 on A and N/2 on B.

Each round posts one message to the first layout's chat, then one to the second's, both over
HTTP on A, and waits until every connection of that layout has it before the next post. After
the warm-up rounds it prints p50 / p99 / max of the delivery latency, from just before the POST to
each receipt (CLOCK_MONOTONIC is one clock for every process): one instance; two instances overall,
on A (local) and on B (remote, through Redis); and the ratio of the two-instance p50 to the
one-instance p50. Alternating rounds give both layouts the same machine and database state.

Both APIs, Redis, FerretDB and the client processes share this machine's CPUs, so every latency
includes their contention. Not a test: it never fails on speed and is not run in CI. Every wait
is bounded; the processes, the database and the bus keys are removed whatever happens (Ctrl-C and
SIGTERM included). Needs the servers of `scripts/services.sh up`. Run from the repository root:
`.venv/bin/python -m benchmarks.ws_fanout_cluster [--subscribers N] [--rounds R] [--warm-up W]`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
from benchmarks.api_cluster import MONGODB_URI, REDIS_ADDR, ApiInstance, api_cluster
from benchmarks.ws_fanout_clients import (
    CLIENT_PROCESSES,
    ClientGroup,
    Job,
    Receipt,
    marked,
    percentile,
    raise_open_files_limit,
)

# Between a round's last delivery and the next post: lets the write path's after-work (marking
# the commit published, the stream entry) finish so rounds do not overlap. Pacing, not a wait.
PAUSE_SECONDS = 0.1
LOCAL, REMOTE = 0, 1  # indexes of A and B in the two-instance layout's URLs


@dataclass
class Layout:
    """Where the connections of one chat are; what was posted to it and when."""

    name: str
    ws_urls: tuple[str, ...]
    chat_id: str
    chat_path: str
    sent_at: dict[int, float] = field(default_factory=dict)
    post_seconds: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Workspace:
    poster: dict[str, str]
    reader_token: str
    path: str


async def token_for(http: httpx.AsyncClient, api: ApiInstance, username: str) -> str:
    response = await http.post(f"{api.base_url}/api/v1/auth/dev/token", json={"username": username})
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


async def create(http: httpx.AsyncClient, url: str, body: object, auth: dict[str, str]) -> str:
    response = await http.post(url, json=body, headers=auth)
    response.raise_for_status()
    created: str = response.json()["id"]
    return created


async def workspace_with_reader(http: httpx.AsyncClient, api: ApiInstance) -> Workspace:
    poster = {"Authorization": f"Bearer {await token_for(http, api, 'poster')}"}
    reader_token = await token_for(http, api, "reader")
    workspace_id = await create(
        http, f"{api.base_url}/api/v1/workspaces", {"name": "Fan-out"}, poster
    )
    path = f"{api.base_url}/api/v1/workspaces/{workspace_id}"
    response = await http.post(f"{path}/members", json={"username": "reader"}, headers=poster)
    response.raise_for_status()
    return Workspace(poster, reader_token, path)


async def layout_of(
    http: httpx.AsyncClient, workspace: Workspace, name: str, ws_urls: tuple[str, ...]
) -> Layout:
    chat_id = await create(http, f"{workspace.path}/chats", {"title": name}, workspace.poster)
    return Layout(name, ws_urls, chat_id, f"{workspace.path}/chats/{chat_id}")


def clients_of(
    layout: Layout, workspace: Workspace, subscribers: int, messages: int
) -> ClientGroup:
    job = Job(layout.ws_urls, workspace.reader_token, 0, layout.chat_id, messages)
    return ClientGroup(job, subscribers)


async def post(http: httpx.AsyncClient, layout: Layout, number: int, auth: dict[str, str]) -> None:
    layout.sent_at[number] = started = time.monotonic()
    response = await http.post(
        f"{layout.chat_path}/messages", json={"content": marked(number)}, headers=auth
    )
    layout.post_seconds.append(time.monotonic() - started)
    response.raise_for_status()


async def run_rounds(
    http: httpx.AsyncClient,
    workspace: Workspace,
    layouts: Sequence[tuple[Layout, ClientGroup]],
    total_rounds: int,
) -> None:
    numbers = itertools.count()
    for _round in range(total_rounds):
        for layout, clients in layouts:
            number = next(numbers)
            await post(http, layout, number, workspace.poster)
            await clients.delivered(number)  # one fan-out at a time
            await asyncio.sleep(PAUSE_SECONDS)


def latencies_ms(
    layout: Layout, receipts: Sequence[Receipt], warm_up: int, *, from_commit: bool = False
) -> dict[int, list[float]]:
    """Delivery latencies by URL index, without the first `warm_up` messages of the layout:
    from just before the POST, or (`from_commit`) from the commit's timestamp, so the time the
    database takes to store the commit does not hide the fan-out's own cost."""
    counted = set(sorted(layout.sent_at)[warm_up:])
    by_url: dict[int, list[float]] = {}
    for url_index, number, at, since_commit_ms in receipts:
        if number in counted:
            latency = since_commit_ms if from_commit else (at - layout.sent_at[number]) * 1000
            by_url.setdefault(url_index, []).append(latency)
    return by_url


def row(name: str, values: Sequence[float], rounds: int) -> str:
    return (
        f"{name:<30} {len(values) // rounds:>11} {len(values):>10} "
        f"{statistics.median(values):>8.1f} {percentile(values, 0.99):>8.1f} {max(values):>8.1f}"
    )


def report(
    single: dict[int, list[float]],
    pair: dict[int, list[float]],
    layouts: Sequence[Layout],
    rounds: int,
    warm_up: int,
) -> None:
    one = single[LOCAL]
    both = pair[LOCAL] + pair[REMOTE]
    subscribers = len(one) // rounds
    print(
        f"Fan-out of one message to {subscribers:,} WebSocket connections, {rounds} rounds after"
        f" {warm_up} warm-up; each message posted over HTTP on A."
    )
    print(
        f"flowra-api A and B: storage mongo (FerretDB {MONGODB_URI}), event bus redis"
        f" ({REDIS_ADDR}); no worker (not on the fan-out path)."
    )
    print(
        f"{os.cpu_count()} CPUs shared by both APIs, Redis, FerretDB and"
        f" {2 * CLIENT_PROCESSES} client processes: every latency includes their contention."
    )
    print()
    columns = ("connections", 11), ("deliveries", 10), ("p50", 8), ("p99", 8), ("max", 8)
    print(f"{'latency (ms)':<30}" + "".join(f" {title:>{width}}" for title, width in columns))
    print(row("one instance (all on A)", one, rounds))
    print(row("two instances, overall", both, rounds))
    print(row("  on A (local)", pair[LOCAL], rounds))
    print(row("  on B (remote, via Redis)", pair[REMOTE], rounds))
    print()
    for layout in layouts:
        posts = [seconds * 1000 for seconds in layout.post_seconds]
        print(f"POST …/messages on A ({layout.name}): p50 {statistics.median(posts):.1f} ms")
    ratio = statistics.median(both) / statistics.median(one)
    print(f"ratio two-instance p50 / one-instance p50: {ratio:.2f}")


def report_from_commit(
    single: dict[int, list[float]], pair: dict[int, list[float]], rounds: int
) -> None:
    """The same deliveries timed from the commit's timestamp (`occurred_at`, wall clock, ms):
    the gateway's and the bus's share, whatever the database took to store the commit."""
    print()
    print("from the commit's timestamp (ms; target: p99 <= 100 over two instances)")
    columns = ("connections", 11), ("deliveries", 10), ("p50", 8), ("p99", 8), ("max", 8)
    print(f"{'latency (ms)':<30}" + "".join(f" {title:>{width}}" for title, width in columns))
    print(row("one instance (all on A)", single[LOCAL], rounds))
    print(row("two instances, overall", pair[LOCAL] + pair[REMOTE], rounds))
    print(row("  on A (local)", pair[LOCAL], rounds))
    print(row("  on B (remote, via Redis)", pair[REMOTE], rounds))


async def main(subscribers: int, rounds: int, warm_up: int) -> None:
    this = asyncio.current_task()
    assert this is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, this.cancel)  # as Ctrl-C does
    # A holds both layouts' connections; each client process holds its share of one layout.
    raise_open_files_limit(2 * subscribers + 1024)
    async with (
        api_cluster(("A", "B")) as (api_a, api_b),
        httpx.AsyncClient(timeout=60) as http,
    ):
        workspace = await workspace_with_reader(http, api_a)
        layouts = [
            await layout_of(http, workspace, "one instance", (api_a.ws_url,)),
            await layout_of(http, workspace, "two instances", (api_a.ws_url, api_b.ws_url)),
        ]
        total = warm_up + rounds
        with (
            clients_of(layouts[0], workspace, subscribers, total) as single_clients,
            clients_of(layouts[1], workspace, subscribers, total) as pair_clients,
        ):
            groups = [single_clients, pair_clients]
            for clients in groups:
                await clients.ready()
            await run_rounds(http, workspace, list(zip(layouts, groups, strict=True)), total)
            receipts = [await clients.receipts() for clients in groups]
    single, pair = (latencies_ms(*both, warm_up) for both in zip(layouts, receipts, strict=True))
    report(single, pair, layouts, rounds, warm_up)
    single_since, pair_since = (
        latencies_ms(*both, warm_up, from_commit=True)
        for both in zip(layouts, receipts, strict=True)
    )
    report_from_commit(single_since, pair_since, rounds)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=1000, help="per layout (even)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warm-up", type=int, default=5)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])
    try:
        asyncio.run(main(arguments.subscribers, arguments.rounds, arguments.warm_up))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: processes stopped, database dropped", file=sys.stderr)
        sys.exit(130)
