"""MongoDB adapters (PyMongo's native async API) for the core's ports.

They need nothing beyond single-document atomicity and plain/unique indexes, so they run on
MongoDB 6+ and on FerretDB alike (no transactions, change streams, TTL/partial/text indexes,
`$lookup`, `$facet`, `$expr` or update pipelines).
"""

from flowra_adapters.mongo.chats import MongoChatStore
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.errors import OperationHook, StorageError
from flowra_adapters.mongo.event_store import MongoEventStore
from flowra_adapters.mongo.locks import MongoLeaseLocks
from flowra_adapters.mongo.state_store import MongoStateStore
from flowra_adapters.mongo.users import MongoUserStore
from flowra_adapters.mongo.workspaces import MongoInviteTokenStore, MongoWorkspaceStore

__all__ = [
    "MongoChatStore",
    "MongoDatabase",
    "MongoEventStore",
    "MongoInviteTokenStore",
    "MongoLeaseLocks",
    "MongoStateStore",
    "MongoUserStore",
    "MongoWorkspaceStore",
    "OperationHook",
    "StorageError",
]
