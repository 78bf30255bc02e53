"""Workspace bots: users without an identity-provider account, created by a workspace admin,
made members of the workspace, acting through their API tokens. Their messages carry their
own user id as author, so clients show the bot, not Flowra Bot."""

from __future__ import annotations

import re

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.pagination import MAX_LIMIT
from flowra_core.app.users.service import user_kind
from flowra_core.app.workspaces.service import WorkspaceService
from flowra_core.app.write_path import WritePath
from flowra_core.domain.errors import FieldError, ValidationFailed
from flowra_core.domain.tokens import BOT_EXTERNAL_PREFIX, BotProfile
from flowra_core.domain.user import create_user
from flowra_core.domain.user.events import UserSource
from flowra_core.domain.user.state import User
from flowra_core.ports.tokens import BotStore
from flowra_core.ports.users import UserStore

BOT_NAME_MAX = 64
_SLUG = re.compile(r"[^a-z0-9]+")


def _validated(name: str, avatar_letter: str | None) -> tuple[str, str]:
    errors: list[FieldError] = []
    clean = name.strip()
    if not 1 <= len(clean) <= BOT_NAME_MAX:
        errors.append(FieldError("name", f"must be 1 to {BOT_NAME_MAX} characters"))
    letter = (avatar_letter if avatar_letter is not None else clean[:1]).strip().upper()
    if len(letter) != 1 or not letter.isalnum():
        errors.append(FieldError("avatar_letter", "must be one letter or digit"))
    if errors:
        raise ValidationFailed(errors)
    return clean, letter


class BotService:
    def __init__(
        self, write: WritePath, users: UserStore, workspaces: WorkspaceService, bots: BotStore
    ) -> None:
        self._write = write
        self._users = users
        self._workspaces = workspaces
        self._bots = bots
        self._kind = user_kind(users)

    async def create(
        self, actor: Actor, workspace_id: str, *, name: str, avatar_letter: str | None
    ) -> tuple[BotProfile, User]:
        workspace = await self._workspaces.visible(actor, workspace_id)
        policy.require_workspace_admin(workspace, actor, "create bots in this workspace")
        clean, letter = _validated(name, avatar_letter)
        user_id = self._write.ids.new_id()
        username = await self._free_username(f"bot-{_SLUG.sub('-', clean.lower()).strip('-')}")
        now = self._write.clock.now()
        outcome = await self._write.execute(
            self._kind,
            user_id,
            lambda state: (
                create_user(
                    user_id=user_id,
                    external_id=f"{BOT_EXTERNAL_PREFIX}{user_id}",
                    username=username,
                    email=f"{username}@bots.flowra.invalid",
                    display_name=clean,
                    source=UserSource.BOT,
                    now=now,
                )
                if state is None
                else []
            ),
            actor_id=actor.user_id,
        )
        assert outcome.state is not None
        profile = BotProfile(
            user_id=user_id,
            workspace_id=workspace_id,
            name=clean,
            avatar_letter=letter,
            created_by=actor.user_id,
            created_at=now,
        )
        await self._bots.add(profile)
        await self._workspaces.add_member(
            actor, workspace_id, user_id=user_id, username=None, role="member"
        )
        return profile, outcome.state

    async def list_bots(self, actor: Actor, workspace_id: str) -> list[tuple[BotProfile, User]]:
        """The first MAX_LIMIT bots, oldest first, each with its user."""
        workspace = await self._workspaces.visible(actor, workspace_id)
        policy.require_workspace_admin(workspace, actor, "list this workspace's bots")
        bots = await self._bots.of_workspace(workspace_id, limit=MAX_LIMIT)
        users = await self._users.get_many([bot.user_id for bot in bots])
        return [(bot, users[bot.user_id]) for bot in bots if bot.user_id in users]

    async def _free_username(self, wanted: str) -> str:
        base = wanted[:BOT_NAME_MAX].rstrip("-") or "bot"
        candidate, suffix = base, 1
        while await self._users.by_username(candidate) is not None:
            suffix += 1
            candidate = f"{base}-{suffix}"
        return candidate
