"""MongoDB adapters (PyMongo's native async API) for the core's ports.

They need nothing beyond single-document atomicity and plain/unique indexes, so they run on
MongoDB 6+ and on FerretDB alike (no transactions, change streams, TTL/partial/text indexes,
`$lookup`, `$facet`, `$expr` or update pipelines).
"""

from flowra_adapters.mongo.chats import MongoChatStore
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.errors import OperationHook, StorageError
from flowra_adapters.mongo.event_store import MongoEventStore
from flowra_adapters.mongo.files import MongoFileStore
from flowra_adapters.mongo.locks import MongoLeaseLocks
from flowra_adapters.mongo.messages import MongoMessageStore, MongoSummaryDraftStore
from flowra_adapters.mongo.notifications import MongoNotificationStore
from flowra_adapters.mongo.read_markers import MongoReadMarkerStore
from flowra_adapters.mongo.search import MongoSearchIndex
from flowra_adapters.mongo.state_store import MongoStateStore
from flowra_adapters.mongo.users import MongoUserStore
from flowra_adapters.mongo.workspaces import MongoInviteTokenStore, MongoWorkspaceStore

__all__ = [
    "MongoChatStore",
    "MongoDatabase",
    "MongoEventStore",
    "MongoFileStore",
    "MongoInviteTokenStore",
    "MongoLeaseLocks",
    "MongoMessageStore",
    "MongoNotificationStore",
    "MongoReadMarkerStore",
    "MongoSearchIndex",
    "MongoStateStore",
    "MongoSummaryDraftStore",
    "MongoUserStore",
    "MongoWorkspaceStore",
    "OperationHook",
    "StorageError",
]
