"""Driver errors stop here: every pymongo exception becomes one of the core's error types.

- an unreachable or slow server (server selection, network, timeouts) → ServiceUnavailable;
- any other driver failure → StorageError (a FlowraError with the INTERNAL_ERROR code).

Duplicate keys are the one expected failure: the adapters catch `DuplicateKeyError` inside an
operation and turn it into what it means for them (a ConcurrencyConflict, a newer state that
is already stored, a held lock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from pymongo.errors import ConnectionFailure, ExecutionTimeout, PyMongoError, WTimeoutError

from flowra_core.domain.errors import FlowraError, ServiceUnavailable

MONGODB = "mongodb"

Outcome = Literal["ok", "error"]
OperationHook = Callable[[str, str, Outcome], None]
"""`(collection, operation, outcome)`: called once per database operation (the
`flowra_mongodb_operations_total` metric)."""


class StorageError(FlowraError):
    """The database refused an operation for a reason other than being unreachable."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"{MONGODB} operation failed: {reason}")
        self.reason = reason


def ignore_operation(collection: str, operation: str, outcome: Outcome) -> None:
    """The default hook: nothing is counted."""


def is_unavailable(error: PyMongoError) -> bool:
    """True when the server could not be reached or did not answer in time."""
    return isinstance(error, ConnectionFailure | ExecutionTimeout | WTimeoutError) or error.timeout


def translate(error: PyMongoError) -> FlowraError:
    """The core error for a driver error."""
    if is_unavailable(error):
        return ServiceUnavailable(MONGODB, str(error))
    return StorageError(str(error))


@contextmanager
def guarded_operation(
    collection: str, operation: str, hook: OperationHook = ignore_operation
) -> Iterator[None]:
    """Run a block of driver calls: report its outcome to `hook` and translate driver errors.

    An error raised on purpose inside the block (a ConcurrencyConflict, say) passes unchanged
    and counts as an `error` outcome.
    """
    try:
        yield
    except PyMongoError as error:
        hook(collection, operation, "error")
        raise translate(error) from error
    except BaseException:
        hook(collection, operation, "error")
        raise
    hook(collection, operation, "ok")
