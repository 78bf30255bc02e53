"""The core as one object: every use case, wired to a set of ports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowra_core.app.board import TaskService
from flowra_core.app.chat_access import ChatAccess
from flowra_core.app.chat_commands import ChatCommands, chat_kind
from flowra_core.app.chat_views import ChatViews
from flowra_core.app.chats import ChatService
from flowra_core.app.dispatch import DISPATCH_CONSUMER, NotificationDispatcher
from flowra_core.app.dispatch_sweep import DispatchConsumer, DispatchSweep
from flowra_core.app.files import FileService
from flowra_core.app.message_projector import MessageProjector
from flowra_core.app.message_reads import message_kind
from flowra_core.app.messages import MessageService
from flowra_core.app.notification_inbox import NotificationProjector, inbox_kind
from flowra_core.app.notifications import NotificationService
from flowra_core.app.projections import CompositeProjector
from flowra_core.app.read_markers import ReadMarkerService
from flowra_core.app.relay import ProjectionCatchup, Relay
from flowra_core.app.repair import RepairService
from flowra_core.app.search import SearchProjector, SearchService
from flowra_core.app.summaries import ChangeSummaries
from flowra_core.app.tags import TagExecutor
from flowra_core.app.telemetry import CoreTelemetry
from flowra_core.app.users import UserService, user_kind
from flowra_core.app.workspaces import WorkspaceService, workspace_kind
from flowra_core.app.write_path import AggregateKind, PublishFailureHook, WritePath
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.domain.events import AggregateType
from flowra_core.ports.chats import ChatStore
from flowra_core.ports.clock import Clock, IdGenerator, SecretTokens
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.event_store import Commit, EventStore
from flowra_core.ports.files import BlobStorage, FileStore
from flowra_core.ports.messages import MessageStore, SummaryDraftStore
from flowra_core.ports.notifications import NotificationStore
from flowra_core.ports.presence import PresenceReader
from flowra_core.ports.read_markers import ReadMarkerStore
from flowra_core.ports.repair import RepairQueue
from flowra_core.ports.search import SearchIndex
from flowra_core.ports.users import UserStore
from flowra_core.ports.workspaces import InviteTokenStore, WorkspaceStore


def _leave_to_relay(commit: Commit, error: ServiceUnavailable) -> None:
    """Default: a publication the bus refused is republished by the worker's relay."""


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
    repair_queue: RepairQueue


class FlowraCore:
    def __init__(
        self,
        ports: CorePorts,
        *,
        on_publish_failure: PublishFailureHook = _leave_to_relay,
        telemetry: CoreTelemetry | None = None,
        dispatch_consumer: bool = True,
    ) -> None:
        """`dispatch_consumer`: subscribe the notification dispatcher to the bus's `dispatch`
        group (the worker's job; an API process behind a shared bus leaves it to workers)."""
        self.ports = ports
        self.projector = CompositeProjector(
            [
                NotificationProjector(ports.notifications),
                SearchProjector(ports.search, ports.chats),
                MessageProjector(ports.messages, ports.chats, ports.files),
            ]
        )
        self.write = WritePath(
            event_store=ports.event_store,
            bus=ports.bus,
            clock=ports.clock,
            ids=ports.ids,
            projector=self.projector,
            repairs=ports.repair_queue,
            on_publish_failure=on_publish_failure,
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
        self.chat_commands = ChatCommands(
            self.write, self.workspaces, ports.chats, ports.files, self.summaries
        )
        chat_views = ChatViews(ports.users, ports.chats, self.read_markers, ports.clock)
        self.chats = ChatService(
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
            self.read_markers,
            self.tags,
        )
        self.workspaces.on_member_departed(self.chats.remove_departed_member)
        self.notifications = NotificationService(self.write, ports.notifications, ports.workspaces)
        self.search = SearchService(ports.search, ports.chats, ports.workspaces)
        self.dispatcher = NotificationDispatcher(
            self.notifications, ports.chats, ports.users, ports.workspaces
        )
        if dispatch_consumer:
            consumer = DispatchConsumer(self.dispatcher, ports.event_store, ports.clock)
            ports.bus.subscribe(DISPATCH_CONSUMER, consumer.handle)

    def kind_for(self, commit: Commit) -> AggregateKind[Any]:
        """How to rebuild the state of a commit's aggregate (catch-up, rebuilds)."""
        if commit.aggregate_type is AggregateType.MESSAGE:
            return message_kind(self.ports.messages, commit.workspace_id or "")
        return self._kinds[commit.aggregate_type]

    def relay(self, *, batch_size: int) -> Relay:
        return Relay(
            self.ports.event_store, self.ports.bus, self.ports.clock, batch_size=batch_size
        )

    def dispatch_sweep(self, *, batch_size: int) -> DispatchSweep:
        return DispatchSweep(
            self.dispatcher, self.ports.event_store, self.ports.clock, batch_size=batch_size
        )

    def catchup(self, *, batch_size: int) -> ProjectionCatchup:
        return ProjectionCatchup(
            self.write, self.ports.event_store, self.projector, self.kind_for, batch_size=batch_size
        )

    def repair(self, *, batch_size: int) -> RepairService:
        """The repair job: `batch_size` queue items per run at most."""
        return RepairService(
            queue=self.ports.repair_queue,
            events=self.ports.event_store,
            projector=self.projector,
            kind_for=self.kind_for,
            clock=self.ports.clock,
            files=self.ports.files,
            blobs=self.ports.blobs,
            batch_size=batch_size,
        )
