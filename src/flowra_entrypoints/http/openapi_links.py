"""OpenAPI `links`: which response feeds which operation (workspace → chat → message →
reaction → delete), so clients and stateful testers can walk the API from what it returns."""

from __future__ import annotations

from typing import Any

W = "/api/v1/workspaces/{workspace_id}"
C = W + "/chats/{chat_id}"
M = C + "/messages/{message_id}"
REACTION = M + "/reactions/{emoji}"

_IN_WORKSPACE = {"workspace_id": "$response.body#/id"}
_IN_CHAT = {"workspace_id": "$response.body#/workspace_id", "chat_id": "$response.body#/id"}
_IN_MESSAGE = {
    "workspace_id": "$response.body#/workspace_id",
    "chat_id": "$response.body#/chat_id",
    "message_id": "$response.body#/id",
}
_SAME_MESSAGE = {
    "workspace_id": "$request.path.workspace_id",
    "chat_id": "$request.path.chat_id",
    "message_id": "$request.path.message_id",
}
_CHAT_TARGETS = [
    ("get", C),
    ("patch", C),
    ("post", C + "/messages"),
    ("get", C + "/messages"),
    ("post", C + "/close"),
    ("post", C + "/reopen"),
    ("get", C + "/participants"),
    ("get", C + "/activity"),
    ("post", C + "/read"),
    ("delete", C),
]

# (method, path, status) of the source → [(method, path of the target, parameters)].
LINKS: dict[tuple[str, str, str], list[tuple[str, str, dict[str, str]]]] = {
    ("post", "/api/v1/workspaces", "201"): [
        (method, path, _IN_WORKSPACE)
        for method, path in [
            ("get", W),
            ("patch", W),
            ("get", W + "/members"),
            ("post", W + "/chats"),
            ("get", W + "/chats"),
            ("post", W + "/tasks"),
            ("get", W + "/tasks"),
            ("get", W + "/board"),
            ("post", W + "/invites"),
            ("get", W + "/invites"),
            ("delete", W),
        ]
    ],
    ("post", W + "/chats", "201"): [(m, p, _IN_CHAT) for m, p in _CHAT_TARGETS],
    ("post", W + "/tasks", "201"): [(m, p, _IN_CHAT) for m, p in _CHAT_TARGETS],
    ("post", C + "/messages", "201"): [
        ("get", M, _IN_MESSAGE),
        ("patch", M, _IN_MESSAGE),
        ("get", M + "/replies", _IN_MESSAGE),
        ("put", REACTION, {**_IN_MESSAGE, "emoji": "👍"}),
        ("delete", M, _IN_MESSAGE),
    ],
    ("put", REACTION, "200"): [
        ("delete", REACTION, {**_SAME_MESSAGE, "emoji": "$request.path.emoji"}),
        ("delete", M, _SAME_MESSAGE),
    ],
    ("post", W + "/invites", "201"): [
        ("get", "/api/v1/invites/{token}", {"token": "$response.body#/token"}),
        (
            "delete",
            W + "/invites/{invite_id}",
            {"workspace_id": "$response.body#/workspace_id", "invite_id": "$response.body#/id"},
        ),
    ],
}


def add_links(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for (method, path, status), targets in LINKS.items():
        response = paths[path][method]["responses"][status]
        response["links"] = {
            f"{target_method.upper()} {target_path}": {
                "operationId": paths[target_path][target_method]["operationId"],
                "parameters": parameters,
            }
            for target_method, target_path, parameters in targets
        }
