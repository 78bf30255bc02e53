"""`flowra-worker dead-letters [--replay]`: what the background delivery parked, and its replay.

Two kinds of parked work, all kept until they succeed (nothing is dropped):
- parked reactions: commits whose reactions (reactions.py) failed 10 times; `--replay` makes
  them due again and runs them now, in this process;
- bus dead letters: events a durable consumer (notification dispatch) failed on at every
  allowed delivery; `--replay` hands each to this process's handler for its group and removes
  it on success;

Exit 0 when nothing is left parked after the command, 1 otherwise (a replay that failed, or a
listing that found something), so a script can alert on it. MongoDB or Redis not answering is
exit 1 too, with one line on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from flowra_core.app.core import FlowraCore
from flowra_core.app.delivery.reactions import PARK_AFTER_ATTEMPTS
from flowra_core.domain.datetimes import format_timestamp
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.dead_letters import DeadLetter, DeadLetters
from flowra_core.ports.reaction_work import ReactionTask
from flowra_entrypoints.cli import EXIT_RUNTIME_FAILURE
from flowra_entrypoints.container import build_container, resolve_components
from flowra_entrypoints.redis_side import RedisSide
from flowra_entrypoints.settings import Settings

EXIT_NOTHING_PARKED = 0
EXIT_PARKED = 1


def _say(line: str) -> None:
    print(line)  # noqa: T201 - the command's output


@dataclass(frozen=True, slots=True)
class Parked:
    commits: Sequence[ReactionTask]
    letters: Sequence[DeadLetter]

    @property
    def empty(self) -> bool:
        return not self.commits and not self.letters


async def _parked(core: FlowraCore, bus: DeadLetters, limit: int) -> Parked:
    commits = await core.ports.reaction_work.parked(limit=limit)
    return Parked(commits, await bus.dead_letters(limit=limit))


def _print(parked: Parked) -> None:
    heading = f"parked reactions (failed {PARK_AFTER_ATTEMPTS} times)"
    _say(f"{heading}: {len(parked.commits)}")
    for task in parked.commits:
        _say(
            f"  {task.commit_id}  aggregate {task.aggregate_id}  "
            f"recorded {format_timestamp(task.created_at)}  attempts {task.attempts}  "
            f"owes {','.join(task.remaining)}  last error: {task.last_error}"
        )
    _say(f"bus dead letters: {len(parked.letters)}")
    for letter in parked.letters:
        _say(
            f"  {letter.letter_id}  group {letter.group}  {letter.event_type or '(undecodable)'} "
            f"{letter.event_id or ''}  deliveries {letter.deliveries}  "
            f"dead {format_timestamp(letter.dead_at)}  error: {letter.error}"
        )


async def _replay(core: FlowraCore, bus: DeadLetters, limit: int) -> None:
    unparked = await core.reactions.replay_parked()
    report = await core.reactions.sweep(limit=max(limit, unparked))
    _say(
        f"parked reactions: {unparked} replayed, {report.finished} finished, "
        f"{report.failed + report.parked} failed again"
    )
    replay = await bus.replay_dead_letters()
    _say(f"bus dead letters: {len(replay.replayed)} replayed, {len(replay.failed)} kept")
    for failure in replay.failed:
        _say(f"  kept {failure.letter.letter_id}: {failure.error}")


async def dead_letters_command(
    settings: Settings, explicit_keys: frozenset[str], *, replay: bool, limit: int
) -> int:
    container = build_container(settings, explicit_keys=explicit_keys)
    shared: RedisSide | None = container.shared_redis()
    try:
        core = (await resolve_components(container)).core
        # The bus is not started: this process consumes nothing, it only replays.
        bus: DeadLetters = container.event_bus()
        if replay:
            await _replay(core, bus, limit)
        parked = await _parked(core, bus, limit)
        _print(parked)
        return EXIT_NOTHING_PARKED if parked.empty else EXIT_PARKED
    except ServiceUnavailable as error:
        # An outage for the operator to fix, not a bug: the reason, without a traceback.
        print(f"flowra-worker dead-letters: {error}", file=sys.stderr)  # noqa: T201
        return EXIT_RUNTIME_FAILURE
    finally:
        if shared is not None:
            await shared.client.aclose()
        closing = container.shutdown_resources()
        if closing is not None:
            await closing
