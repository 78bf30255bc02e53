"""Counting the wire commands a piece of work sends (issue: commands per operation, budgeted).

A PyMongo `CommandListener` records each command's name, collection and filter as it starts.
PyMongo calls listeners inline, in the task that sends the command, so a context variable set
around a piece of work attributes every command to it, even with background jobs running
alongside in the same process.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pymongo import monitoring

# Commands the driver sends on its own (handshakes, heartbeats, sessions), not the adapters'.
_DRIVER_COMMANDS = frozenset(
    {"hello", "ismaster", "isMaster", "ping", "endSessions", "saslStart", "saslContinue",
     "buildInfo", "getMore", "killCursors"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecordedCommand:
    name: str
    collection: str
    body: dict[str, Any]
    task: str

    @property
    def label(self) -> str:
        return f"{self.name} {self.collection}"


@dataclass
class CommandTally:
    """The commands recorded while a `CommandLog.counting` block was active."""

    commands: list[RecordedCommand] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.commands)

    def by_label(self) -> Counter[str]:
        return Counter(command.label for command in self.commands)


_current: contextvars.ContextVar[CommandTally | None] = contextvars.ContextVar(
    "flowra_command_tally", default=None
)


class CommandLog(monitoring.CommandListener):
    """Register once (`pymongo.monitoring.register(CommandLog())`) before clients are made."""

    def __init__(self) -> None:
        self.everything = CommandTally()

    @contextmanager
    def counting(self) -> Iterator[CommandTally]:
        """Commands issued by this task (and tasks it starts) inside the block."""
        tally = CommandTally()
        token = _current.set(tally)
        try:
            yield tally
        finally:
            _current.reset(token)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in _DRIVER_COMMANDS:
            return
        body = dict(event.command)
        collection = body.get(event.command_name)
        recorded = RecordedCommand(
            event.command_name,
            collection if isinstance(collection, str) else "",
            body,
            _task_name(),
        )
        self.everything.commands.append(recorded)
        tally = _current.get()
        if tally is not None:
            tally.commands.append(recorded)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Only starts are counted."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Only starts are counted."""


def _task_name() -> str:
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop: a synchronous client
        return ""
    return task.get_name() if task is not None else ""
