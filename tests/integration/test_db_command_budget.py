"""The database commands each HTTP operation issues on the MongoDB-protocol path, pinned
(issue 13 goal 1): counted with PyMongo command monitoring against the real FerretDB, by the
same scenario as `benchmarks/db_commands`. The counts are deterministic, so each is pinned
exactly: a regression fails here, and an improvement updates the number on purpose."""

from __future__ import annotations

import asyncio

import pytest
from benchmarks.db_command_kit import Measured, command_counts

pytestmark = pytest.mark.integration

# The read path, measured in steady state (verified token, actor and authors remembered):
# - newest page: workspace + chat state by _id (access), one find of messages that carries
#   the thread stats;
# - thread page: access (2) + the replies (the parent is read only for an empty page);
# - board: access (workspace) + one find per column (4) + the caller's markers by _id; the
#   column counts come from the pages when they fit, the unread counts from the markers;
# - chat list: access (workspace) + chats + the caller's markers by _id (counts remembered);
# - mark read (again, at the same message): access (2) + the message + the marker
#   (findAndModify, and its read-back as it did not move) + one unread count;
# - notification list: the caller's workspaces + the notifications.
READ_BUDGET: dict[str, int] = {
    "newest page": 3,
    "thread page": 3,
    "board": 6,
    "chat list": 3,
    "mark read": 6,
    "notification list": 2,
}


# The write path (a commit and its inline reactions), measured the same way:
# - sign-in with a dev token: the user is remembered, the token is signed locally; the one
#   command is the sign-in's audit entry (issue 17);
# - plain send: access (workspace + chat by _id), the reaction task written ahead, the commit,
#   then its reactions: the message document, the chat's activity ($max, no read), the search
#   entry and the author's read marker; the finished task is deleted later in a batch with
#   others (not on the request path);
# - send with two tags: that, plus for each tag a chat command (state by _id, task, commit,
#   state save, search) and the bot reply (a message without search entry).
WRITE_BUDGET: dict[str, int] = {
    "sign-in (dev token)": 1,  # the audit log's entry (audit.enabled, issue 17)
    "send plain": 8,
    "send with two tags": 23,
}


@pytest.fixture(scope="module")
def measured(mongodb_uri: str) -> dict[str, Measured]:
    """One run of the scenario for the whole module (its own event loop)."""
    return {item.operation: item for item in asyncio.run(command_counts(mongodb_uri))}


def _listing(item: Measured) -> str:
    return "\n".join(f"  {command.label}: {command.body}" for command in item.tally.commands)


@pytest.mark.parametrize("operation", sorted(READ_BUDGET))
def test_a_read_issues_its_pinned_number_of_commands(
    operation: str, measured: dict[str, Measured]
) -> None:
    item = measured[operation]
    assert item.tally.total == READ_BUDGET[operation], (
        f"{operation}: {item.tally.total} commands, pinned {READ_BUDGET[operation]}:\n"
        + _listing(item)
    )


@pytest.mark.parametrize("operation", sorted(WRITE_BUDGET))
def test_a_write_issues_its_pinned_number_of_commands(
    operation: str, measured: dict[str, Measured]
) -> None:
    item = measured[operation]
    assert item.tally.total == WRITE_BUDGET[operation], (
        f"{operation}: {item.tally.total} commands, pinned {WRITE_BUDGET[operation]}:\n"
        + _listing(item)
    )
