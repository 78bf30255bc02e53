"""The work-item panel's activity timeline: the chat's `chat.*` events, newest first, paged,
described for people."""

from __future__ import annotations

from typing import Any

from flowra_core.app.core import FlowraCore
from flowra_entrypoints.http.dto.chats import EventResponse, event_response
from flowra_entrypoints.web.viewer import Viewer

ACTIVITY_PAGE = 10


def describe(event: EventResponse, names: dict[str, str]) -> str:
    """`status changed: To Do → Done` from `chat.status_changed` and its `old_*`/`new_*`."""
    what = event.type.removeprefix("chat.").replace("_", " ")
    changes = []
    for key, new in event.data.items():
        if not key.startswith("new_"):
            continue
        field = key.removeprefix("new_")
        old = event.data.get(f"old_{field}")
        changes.append(f"{_shown(old, names)} → {_shown(new, names)}")
    return f"{what}: {', '.join(changes)}" if changes else what


def _shown(value: Any, names: dict[str, str]) -> str:
    if value is None or value == "":
        return "none"
    return names.get(str(value), str(value))


async def activity_context(
    core: FlowraCore,
    viewer: Viewer,
    workspace_id: str,
    chat_id: str,
    cursor: str | None,
    names: dict[str, str],
) -> dict[str, Any]:
    listed = await core.chat_reads.activity(
        viewer.actor, workspace_id, chat_id, types=None, limit=ACTIVITY_PAGE, cursor=cursor
    )
    events = [event_response(envelope) for envelope in listed.items]
    entries = [
        (event, names.get(event.actor_id or "", "Someone"), describe(event, names))
        for event in events
    ]
    return {"activity": entries, "activity_cursor": listed.next_cursor}
