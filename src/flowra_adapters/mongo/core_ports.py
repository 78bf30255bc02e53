"""The core's ports with every store on one MongoDB database; the rest (bus, presence, blob
storage, clock, ids, tokens) is chosen by the caller."""

from __future__ import annotations

from flowra_adapters.mongo.chats import MongoChatStore
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.event_store import MongoEventStore
from flowra_adapters.mongo.files import MongoFileStore
from flowra_adapters.mongo.messages import MongoMessageStore, MongoSummaryDraftStore
from flowra_adapters.mongo.notifications import MongoNotificationStore
from flowra_adapters.mongo.reaction_work import MongoReactionWork
from flowra_adapters.mongo.read_markers import MongoReadMarkerStore
from flowra_adapters.mongo.search import MongoSearchIndex
from flowra_adapters.mongo.users import MongoUserStore
from flowra_adapters.mongo.workspaces import MongoInviteTokenStore, MongoWorkspaceStore
from flowra_core.app.core import CorePorts
from flowra_core.ports.clock import Clock, IdGenerator, SecretTokens
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.files import BlobStorage
from flowra_core.ports.presence import PresenceReader


def mongo_core_ports(
    database: MongoDatabase,
    *,
    clock: Clock,
    ids: IdGenerator,
    tokens: SecretTokens,
    bus: EventBus,
    presence: PresenceReader,
    blobs: BlobStorage,
) -> CorePorts:
    return CorePorts(
        event_store=MongoEventStore(database),
        bus=bus,
        clock=clock,
        ids=ids,
        tokens=tokens,
        users=MongoUserStore(database),
        workspaces=MongoWorkspaceStore(database),
        invite_tokens=MongoInviteTokenStore(database),
        presence=presence,
        chats=MongoChatStore(database),
        notifications=MongoNotificationStore(database),
        search=MongoSearchIndex(database),
        messages=MongoMessageStore(database),
        summary_drafts=MongoSummaryDraftStore(database),
        read_markers=MongoReadMarkerStore(database),
        files=MongoFileStore(database),
        blobs=blobs,
        reaction_work=MongoReactionWork(database),
    )
