"""The hard end of a graceful shutdown (operations.md §10): `server.shutdown_timeout` bounds
the whole stop, not only the wait for in-flight work.

After the first SIGTERM/SIGINT the processes stop gracefully: requests and the current batch
finish, leases are released, clients are closed. Each of those steps waits for the database,
and a database that is slow or gone makes every one of them wait for its own timeout, one
after the other. So the first signal also arms this deadline: when `shutdown_timeout` has
passed and the process is still stopping, it exits at once. Nothing stored is lost by that:
leases expire on their own and commits not yet published are the relay's to publish.
"""

from __future__ import annotations

import os
import sys
import threading

from loguru import logger

# A zero budget still lets a fast, clean stop finish (uvicorn's graceful wait is the same).
MINIMUM_SECONDS = 1.0


class ShutdownDeadline:
    def __init__(self, seconds: float, process: str) -> None:
        self._seconds = max(seconds, MINIMUM_SECONDS)
        self._process = process
        self._timer: threading.Timer | None = None

    def arm(self) -> None:
        """Start counting (idempotent). A thread, not the event loop: the loop may be the
        thing that is stuck."""
        if self._timer is not None:
            return
        self._timer = threading.Timer(self._seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        logger.bind(logger=self._process).warning(
            "graceful shutdown overran server.shutdown_timeout; exiting now",
            shutdown_timeout=self._seconds,
        )
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)  # the stop was asked for; what is left is only waiting
