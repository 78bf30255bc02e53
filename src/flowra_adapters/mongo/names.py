"""The collection names (operations.md §6), in one place for the adapters and the migrations."""

from __future__ import annotations

from typing import Final

COMMITS: Final = "commits"
USERS: Final = "users"
WORKSPACES: Final = "workspaces"
MEMBERS: Final = "members"
INVITES: Final = "invites"
INVITE_TOKENS: Final = "invite_tokens"
CHATS: Final = "chats"
MESSAGES: Final = "messages"
NOTIFICATIONS: Final = "notifications"
FILES: Final = "files"
INBOXES: Final = "inboxes"
MESSAGE_THREADS: Final = "message_threads"
SUMMARY_DRAFTS: Final = "summary_drafts"
READ_MARKERS: Final = "read_markers"
SEARCH_ENTRIES: Final = "search_entries"
REPAIR_QUEUE: Final = "repair_queue"
REACTION_WORK: Final = "reaction_work"
LOCKS: Final = "locks"
MIGRATIONS: Final = "migrations"
API_TOKENS: Final = "api_tokens"
BOTS: Final = "bots"
AUDIT_LOG: Final = "audit_log"
