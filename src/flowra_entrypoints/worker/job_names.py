"""The names of the worker's jobs (operations.md §5): `--jobs` values, lease names and log
fields. A module of its own so that the command line knows them without importing the jobs."""

from __future__ import annotations

RELAY = "relay"
CATCHUP = "catchup"
DISPATCH = "dispatch"
USER_SYNC = "user_sync"
REPAIR = "repair"

KNOWN_JOBS = (RELAY, CATCHUP, DISPATCH, USER_SYNC, REPAIR)
