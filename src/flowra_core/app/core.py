"""The core as one object: every use case, wired to a set of ports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flowra_core.app.chats.access import ChatAccess
from flowra_core.app.chats.board import TaskService
from flowra_core.app.chats.commands import ChatCommands, chat_kind
from flowra_core.app.chats.queries import ChatReads
from flowra_core.app.chats.service import ChatService
from flowra_core.app.chats.summaries import ChangeSummaries
from flowra_core.app.chats.views import ChatViews
from flowra_core.app.delivery.projections import CompositeProjector
from flowra_core.app.delivery.reactions import ReactionRunner, ReactionTable
from flowra_core.app.delivery.table import ReactionParts, flowra_reactions
from flowra_core.app.messages.files import FileService
from flowra_core.app.messages.projector import MessageProjector
from flowra_core.app.messages.read_markers import ReadMarkerService
from flowra_core.app.messages.reads import MessageReads, message_kind
from flowra_core.app.messages.service import MessageService
from flowra_core.app.messages.tags import TagExecutor
from flowra_core.app.messages.upload_sweep import UploadSweep
from flowra_core.app.notifications.dispatch import NotificationDispatcher
from flowra_core.app.notifications.inbox import NotificationProjector, inbox_kind
from flowra_core.app.notifications.service import NotificationService
from flowra_core.app.search.service import SearchProjector, SearchService
from flowra_core.app.telemetry import CoreTelemetry
from flowra_core.app.users.service import UserService, user_kind
from flowra_core.app.workspaces.service import WorkspaceService, workspace_kind
from flowra_core.app.write_path import AggregateKind, WritePath
from flowra_core.domain.events import AggregateType
from flowra_core.ports.chats import ChatStore
from flowra_core.ports.clock import Clock, IdGenerator, SecretTokens
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.event_store import Commit, EventStore
from flowra_core.ports.files import BlobStorage, FileStore
from flowra_core.ports.messages import MessageStore, SummaryDraftStore
from flowra_core.ports.notifications import NotificationStore
from flowra_core.ports.presence import PresenceReader
from flowra_core.ports.reaction_work import ReactionWork
from flowra_core.ports.read_markers import ReadMarkerStore
from flowra_core.ports.search import SearchIndex
from flowra_core.ports.users import UserStore
from flowra_core.ports.workspaces import InviteTokenStore, WorkspaceStore

ReactionsFor = Callable[["FlowraCore"], ReactionTable]


def standard_reactions(core: FlowraCore) -> ReactionTable:
    """Flowra's reaction table (reaction_table.py) over this core's services."""
    return flowra_reactions(
        ReactionParts(
            write=core.write,
            kind_for=core.kind_for,
            messages_projection=core.message_projection,
            search_projection=core.search_projection,
            inbox_projection=core.inbox_projection,
            summaries=core.summaries,
            read_markers=core.read_markers,
            chats=core.chat_commands,
            dispatcher=core.dispatcher,
            bus=core.ports.bus,
        )
    )


@dataclass(frozen=True, slots=True)
class CorePorts:
    event_store: EventStore
    bus: EventBus
    clock: Clock
    ids: IdGenerator
    tokens: SecretTokens
    users: UserStore
    workspaces: WorkspaceStore
    invite_tokens: InviteTokenStore
    presence: PresenceReader
    chats: ChatStore
    notifications: NotificationStore
    search: SearchIndex
    messages: MessageStore
    summary_drafts: SummaryDraftStore
    read_markers: ReadMarkerStore
    files: FileStore
    blobs: BlobStorage
    reaction_work: ReactionWork


class FlowraCore:
    def __init__(
        self,
        ports: CorePorts,
        *,
        reactions: ReactionsFor = standard_reactions,
        telemetry: CoreTelemetry | None = None,
    ) -> None:
        """`reactions` builds the table of what follows a commit (the composition root passes
        `standard_reactions`); it is installed once every service it acts through exists."""
        self.ports = ports
        self.message_projection = MessageProjector(ports.messages, ports.chats, ports.files)
        self.search_projection = SearchProjector(ports.search, ports.chats)
        self.inbox_projection = NotificationProjector(ports.notifications)
        # Every read model, for rebuilds of one aggregate (repairs).
        self.projector = CompositeProjector(
            [self.message_projection, self.search_projection, self.inbox_projection]
        )
        self.reactions = ReactionRunner(
            ReactionTable([]), ports.reaction_work, ports.event_store, ports.clock, telemetry
        )
        self.write = WritePath(
            journal=ports.event_store,
            clock=ports.clock,
            ids=ports.ids,
            reactions=self.reactions,
            telemetry=telemetry,
        )
        self._kinds: dict[AggregateType, AggregateKind[Any]] = {
            AggregateType.USER: user_kind(ports.users),
            AggregateType.WORKSPACE: workspace_kind(ports.workspaces),
            AggregateType.CHAT: chat_kind(ports.chats),
            AggregateType.NOTIFICATION: inbox_kind(ports.notifications),
        }
        self.users = UserService(self.write, ports.users, ports.workspaces)
        self.workspaces = WorkspaceService(
            self.write,
            ports.workspaces,
            ports.users,
            ports.invite_tokens,
            ports.tokens,
            ports.presence,
        )
        self.chat_access = ChatAccess(self.write, ports.workspaces, ports.chats)
        self.files = FileService(
            self.chat_access, ports.files, ports.blobs, ports.messages, ports.clock, ports.ids
        )
        self.read_markers = ReadMarkerService(self.chat_access, ports.read_markers, ports.messages)
        self.summaries = ChangeSummaries(
            self.write, ports.messages, ports.summary_drafts, ports.users, ports.files
        )
        self.chat_commands = ChatCommands(self.write, self.workspaces, ports.chats, ports.files)
        chat_views = ChatViews(ports.users, ports.chats, self.read_markers, ports.clock)
        self.chats = ChatService(self.chat_commands, chat_views)
        self.chat_reads = ChatReads(
            self.chat_commands, chat_views, ports.chats, ports.event_store, ports.presence
        )
        self.tasks = TaskService(self.chat_commands, chat_views, ports.chats, ports.clock)
        self.tags = TagExecutor(self.chat_commands, ports.users, telemetry)
        self.messages = MessageService(
            self.write,
            self.chat_access,
            ports.messages,
            ports.users,
            self.files,
            self.tags,
        )
        self.message_reads = MessageReads(self.chat_access, ports.messages, ports.users)
        self.notifications = NotificationService(self.write, ports.notifications, ports.workspaces)
        self.search = SearchService(ports.search, ports.chats, ports.workspaces)
        self.dispatcher = NotificationDispatcher(
            self.notifications, ports.chats, ports.users, ports.workspaces
        )
        self.reactions.table = reactions(self)

    def kind_for(self, commit: Commit) -> AggregateKind[Any]:
        """How to rebuild the state of a commit's aggregate (catch-up, rebuilds)."""
        if commit.aggregate_type is AggregateType.MESSAGE:
            return message_kind(self.ports.messages, commit.workspace_id or "")
        return self._kinds[commit.aggregate_type]

    def upload_sweep(self) -> UploadSweep:
        """The repair job's clean-up of uploads never attached."""
        return UploadSweep(self.ports.files, self.ports.blobs, self.ports.clock)
