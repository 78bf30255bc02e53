"""The names of the worker's jobs (operations.md §5): `--jobs` values, lease names and log
fields. A module of its own so that the command line knows them without importing the jobs."""

from __future__ import annotations

RELAY = "relay"
CATCHUP = "catchup"
DISPATCH = "dispatch"
USER_SYNC = "user_sync"
REPAIR = "repair"
WEBHOOKS = "webhooks"

KNOWN_JOBS = (RELAY, CATCHUP, DISPATCH, USER_SYNC, REPAIR, WEBHOOKS)
# The guide's names from before the reaction work list: the one sweep (`relay`) now does what
# the catch-up and the dispatch sweep did, so they name it too.
JOB_ALIASES = {CATCHUP: RELAY, DISPATCH: RELAY}


def job_names(requested: list[str]) -> set[str]:
    """The jobs to run for the names given on the command line (aliases resolved)."""
    return {JOB_ALIASES.get(name, name) for name in requested}
