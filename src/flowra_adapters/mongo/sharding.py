"""The shard key of each collection, for when Flowra outgrows one replica set
(`docs/scaling.md` says why each one). `None`: the collection stays unsharded (small, or its
unique indexes cannot start with any key the hot path pins).

The index-coverage audit of the integration suite checks that every query made while serving
a request pins the shard key of a sharded collection by equality (a targeted query, not a
scatter-gather to every shard).
"""

from __future__ import annotations

from collections.abc import Mapping

from flowra_adapters.mongo import names

SHARD_KEYS: Mapping[str, str | None] = {
    names.COMMITS: "aggregate_id",
    names.USERS: None,
    names.WORKSPACES: "_id",
    names.MEMBERS: "workspace_id",
    names.INVITES: None,
    names.INVITE_TOKENS: None,
    names.CHATS: "workspace_id",
    names.MESSAGES: "chat_id",
    names.NOTIFICATIONS: "user_id",
    names.FILES: "chat_id",
    names.INBOXES: "_id",
    names.MESSAGE_THREADS: "_id",
    names.SUMMARY_DRAFTS: None,
    names.READ_MARKERS: "_id",
    names.SEARCH_ENTRIES: "workspace_id",
    names.REPAIR_QUEUE: None,
    names.LOCKS: None,
    names.MIGRATIONS: None,
    # Work lists hold only what is pending (design §2.6): small, found by one index.
    names.REACTION_WORK: None,
    # Issue 17: admin-sized collections, read by _id or by one workspace/user/endpoint;
    # webhook deliveries are a work list too.
    names.API_TOKENS: None,
    names.BOTS: None,
    names.AUDIT_LOG: None,
    names.WEBHOOK_ENDPOINTS: None,
    names.WEBHOOK_DELIVERIES: None,
}
