"""Every chat decide function, one per operation of domain.md §3, in one import place.

Each takes the current `Chat` and the raw user input, checks the domain rules (not who may do
it: that is the application's policy) and returns the events to append; `[]` is a no-op.
"""

from flowra_core.domain.chat.attachments import add_attachment, remove_attachment
from flowra_core.domain.chat.creation import NewChat, create_chat
from flowra_core.domain.chat.lifecycle import close, convert, delete, reopen
from flowra_core.domain.chat.membership import (
    add_participant,
    join,
    leave,
    remove_departed_member,
    remove_participant,
)
from flowra_core.domain.chat.patch import ChatChanges, update_work_item
from flowra_core.domain.chat.work_item import (
    assign,
    change_status,
    remove_due_date,
    rename,
    set_description,
    set_due_date,
    set_priority,
    set_severity,
    unassign,
)

__all__ = [
    "ChatChanges",
    "NewChat",
    "add_attachment",
    "add_participant",
    "assign",
    "change_status",
    "close",
    "convert",
    "create_chat",
    "delete",
    "join",
    "leave",
    "remove_attachment",
    "remove_departed_member",
    "remove_due_date",
    "remove_participant",
    "rename",
    "reopen",
    "set_description",
    "set_due_date",
    "set_priority",
    "set_severity",
    "unassign",
    "update_work_item",
]
