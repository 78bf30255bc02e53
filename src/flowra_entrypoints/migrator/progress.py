"""A progress bar on stderr without dependencies: redrawn in place on a terminal, and one line
per tenth of the work elsewhere (a CI log, a container's output)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30
# A terminal is redrawn at most this often.
REDRAW_SECONDS = 0.1
STEPS = 10


class ProgressBar:
    def __init__(
        self,
        label: str,
        *,
        stream: TextIO = sys.stderr,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._label = label
        self._stream = stream
        self._clock = clock
        self._interactive = stream.isatty()
        self._started = clock()
        self._drawn_at: float | None = None
        self._step = -1

    def __call__(self, done: int, total: int) -> None:
        if self._interactive:
            now = self._clock()
            finished = done >= total
            if finished or self._drawn_at is None or now - self._drawn_at >= REDRAW_SECONDS:
                self._drawn_at = now
                self._stream.write(f"\r{self.line(done, total)}")
                if finished:
                    self._stream.write("\n")
                self._stream.flush()
            return
        step = STEPS if total <= 0 else min(STEPS, done * STEPS // total)
        if step > self._step:
            self._step = step
            self._stream.write(f"{self.line(done, total)}\n")
            self._stream.flush()

    def line(self, done: int, total: int) -> str:
        fraction = 1.0 if total <= 0 else min(1.0, done / total)
        filled = round(fraction * WIDTH)
        elapsed = max(self._clock() - self._started, 1e-9)
        bar = "#" * filled + "." * (WIDTH - filled)
        return (
            f"{self._label} [{bar}] {fraction:4.0%} {done}/{total} "
            f"({done / elapsed:.0f}/s, {elapsed:.1f}s)"
        )
