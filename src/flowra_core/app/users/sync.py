"""User sync: mirror the identity provider's accounts onto Flowra's users (operations.md §5).

One run pages through the directory: an unknown enabled account is created, a known one gets
its username and email (and display name, unless the user edited theirs) from the account, and
its activation follows the account's `enabled` flag. Then the active users the pages did not
show are looked up one by one (`find`, paging is offset-based): an account that is gone or
disabled deactivates its user. Flowra Bot and `local:` users are never touched (D35).

Profiles go through `UserService.provision`, the same path as a login, so a sync and a login
agree on username normalisation and suffixes. The admin flag of an existing user is left alone:
it is refreshed from the token's realm roles on every request, which the directory's direct
role holders may not match. An error on one account is counted and the run goes on; a page
that cannot be read ends the run before anything is deactivated.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Literal

from flowra_core.app.users.service import UserService, user_kind
from flowra_core.app.write_path import WritePath
from flowra_core.domain.errors import FlowraError
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.tokens import BOT_EXTERNAL_PREFIX
from flowra_core.domain.user import (
    DeactivationReason,
    UserSource,
    deactivate_user,
    is_flowra_bot,
    reactivate_user,
)
from flowra_core.domain.user.state import User
from flowra_core.ports.directory import DirectoryUser, UserDirectory
from flowra_core.ports.identity import IdentityClaims
from flowra_core.ports.users import UserStore

PAGE_SIZE = 100
LOCAL_PREFIX = "local:"

SyncOutcome = Literal["ok", "partial", "error"]


@dataclass(frozen=True, slots=True)
class UserSyncFailure:
    external_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class UserSyncReport:
    created: int
    updated: int
    reactivated: int
    deactivated: int
    unchanged: int
    # Accounts not mirrored: disabled ones Flowra never saw, and protected users.
    skipped: int
    failures: tuple[UserSyncFailure, ...]
    # Why the run ended early (a page could not be read); None for a complete run.
    aborted: str | None

    @property
    def outcome(self) -> SyncOutcome:
        """`error` when the run ended early, `partial` when some accounts failed, else `ok`."""
        if self.aborted is not None:
            return "error"
        return "partial" if self.failures else "ok"


@dataclass(slots=True)
class _Tally:
    created: int = 0
    updated: int = 0
    reactivated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failures: list[UserSyncFailure] = field(default_factory=list)

    def report(self, aborted: str | None) -> UserSyncReport:
        return UserSyncReport(
            created=self.created,
            updated=self.updated,
            reactivated=self.reactivated,
            deactivated=self.deactivated,
            unchanged=self.unchanged,
            skipped=self.skipped,
            failures=tuple(self.failures),
            aborted=aborted,
        )


def is_protected(user: User) -> bool:
    """Users the sync never touches: Flowra Bot, users of the local provider (D35) and
    workspace bots (no identity-provider account behind them)."""
    return (
        is_flowra_bot(user.id)
        or user.external_id.startswith(LOCAL_PREFIX)
        or user.external_id.startswith(BOT_EXTERNAL_PREFIX)
    )


def _claims(account: DirectoryUser, *, is_system_admin: bool) -> IdentityClaims:
    return IdentityClaims(
        external_id=account.external_id,
        username=account.username,
        email=account.email,
        display_name=account.display_name,
        is_system_admin=is_system_admin,
        source=UserSource.SYNC,
    )


class UserSync:
    def __init__(
        self,
        *,
        write: WritePath,
        users: UserStore,
        provisioning: UserService,
        directory: UserDirectory,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._write = write
        self._users = users
        self._provisioning = provisioning
        self._directory = directory
        self._page_size = page_size
        self._kind = user_kind(users)

    async def run_once(self) -> UserSyncReport:
        tally = _Tally()
        seen: set[str] = set()
        try:
            async for page in self._directory.pages(self._page_size):
                for account in page:
                    seen.add(account.external_id)
                    await self._guarded(account.external_id, self._mirror(account, tally), tally)
            await self._sweep_unseen(seen, tally)
        except FlowraError as error:
            return tally.report(aborted=error.message)
        return tally.report(aborted=None)

    @staticmethod
    async def _guarded(external_id: str, step: Awaitable[None], tally: _Tally) -> None:
        """Run one account's step; its error is counted and the run goes on."""
        try:
            await step
        except FlowraError as error:
            tally.failures.append(UserSyncFailure(external_id, error.message))

    async def _mirror(self, account: DirectoryUser, tally: _Tally) -> None:
        user = await self._users.by_external_id(account.external_id)
        if user is None:
            if not account.enabled:
                tally.skipped += 1
                return
            claims = _claims(account, is_system_admin=account.is_system_admin)
            await self._provisioning.provision(claims)
            tally.created += 1
            return
        if is_protected(user):
            tally.skipped += 1
            return
        if not account.enabled and not user.is_active:
            tally.unchanged += 1
            return
        changed = False
        if account.enabled and not user.is_active:
            user = await self._reactivate(user)
            tally.reactivated += 1
            changed = True
        # The profile is brought up to date while the user is active, also right before a
        # deactivation: the username it holds stays the account's.
        synced = await self._provisioning.provision(
            _claims(account, is_system_admin=user.is_system_admin)
        )
        if synced.version != user.version:
            tally.updated += 1
            changed = True
        if not account.enabled:
            await self._deactivate(synced, DeactivationReason.IDP_DISABLED, tally)
            changed = True
        if not changed:
            tally.unchanged += 1

    async def _sweep_unseen(self, seen: set[str], tally: _Tally) -> None:
        after: tuple[str, str] | None = None
        while True:
            page = await self._users.search(q=None, among=None, after=after, limit=self._page_size)
            for user in page:
                if user.is_active and not is_protected(user) and user.external_id not in seen:
                    await self._guarded(user.external_id, self._confirm_unseen(user, tally), tally)
            if len(page) < self._page_size:
                return
            last = page[-1]
            after = (last.username.lower(), last.id)

    async def _confirm_unseen(self, user: User, tally: _Tally) -> None:
        account = await self._directory.find(user.external_id)
        if account is None:
            await self._deactivate(user, DeactivationReason.IDP_DELETED, tally)
        else:
            # Still there: shifted out of sight by a change during the run.
            await self._mirror(account, tally)

    async def _deactivate(self, user: User, reason: DeactivationReason, tally: _Tally) -> None:
        def decide(state: User | None) -> list[DomainEvent]:
            return [] if state is None else deactivate_user(state, reason=reason)

        outcome = await self._write.execute(self._kind, user.id, decide, actor_id=None)
        if outcome.changed:
            tally.deactivated += 1

    async def _reactivate(self, user: User) -> User:
        def decide(state: User | None) -> list[DomainEvent]:
            return [] if state is None else reactivate_user(state)

        outcome = await self._write.execute(self._kind, user.id, decide, actor_id=None)
        return outcome.state if outcome.state is not None else user
