"""Personal access tokens and bot tokens: create (secret shown once), list, revoke, and the
Bearer authentication that turns a secret into an Actor narrowed to the token's scopes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.pagination import Page, fingerprint, make_page, page_request
from flowra_core.domain.errors import DomainError, ErrorCode, FieldError, ValidationFailed
from flowra_core.domain.tokens import (
    ApiToken,
    TokenScope,
    allows,
    compose_secret,
    matches,
    parse_secret,
    secret_hash,
)
from flowra_core.domain.user.state import User
from flowra_core.ports.clock import Clock, IdGenerator, SecretTokens
from flowra_core.ports.tokens import ApiTokenStore, BotStore
from flowra_core.ports.users import UserStore
from flowra_core.ports.workspaces import WorkspaceStore

NAME_MAX = 100
# `last_used_at` is written at most once a minute per token: not a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: ApiToken
    secret: str  # returned once, never stored


@dataclass(frozen=True, slots=True)
class TokenCaller:
    actor: Actor
    token: ApiToken


def _unauthenticated(reason: str) -> DomainError:
    return DomainError(ErrorCode.UNAUTHENTICATED, reason)


def _token_not_found(token_id: str) -> DomainError:
    return DomainError(ErrorCode.TOKEN_NOT_FOUND, f"No API token {token_id}")


def validated_input(
    name: str, scopes: list[str], expires_at: datetime | None, now: datetime
) -> tuple[str, tuple[TokenScope, ...]]:
    errors: list[FieldError] = []
    clean_name = name.strip()
    if not 1 <= len(clean_name) <= NAME_MAX:
        errors.append(FieldError("name", f"must be 1 to {NAME_MAX} characters"))
    known = {scope.value for scope in TokenScope}
    unknown = [scope for scope in scopes if scope not in known]
    if not scopes:
        errors.append(FieldError("scopes", "give at least one of read, write, admin"))
    elif unknown:
        errors.append(FieldError("scopes", f"unknown scope {unknown[0]!r}: read, write or admin"))
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now):
        errors.append(FieldError("expires_at", "must be a future time with a timezone"))
    if errors:
        raise ValidationFailed(errors)
    ordered = tuple(scope for scope in TokenScope if scope.value in set(scopes))
    return clean_name, ordered


class TokenService:
    def __init__(
        self,
        tokens: ApiTokenStore,
        bots: BotStore,
        users: UserStore,
        workspaces: WorkspaceStore,
        clock: Clock,
        ids: IdGenerator,
        randomness: SecretTokens,
    ) -> None:
        self._ids = ids
        self._randomness = randomness
        self._tokens = tokens
        self._bots = bots
        self._users = users
        self._workspaces = workspaces
        self._clock = clock

    async def _require_manager(self, actor: Actor, user_id: str) -> None:
        """Tokens of `user_id` are managed by that user, by an admin of a bot's workspace,
        or by a system admin; through a token, only with the `admin` scope."""
        policy.require_token_scope(actor, TokenScope.ADMIN, "manage API tokens")
        if user_id == actor.user_id or actor.is_system_admin:
            return
        bot = await self._bots.get(user_id)
        workspace = await self._workspaces.get(bot.workspace_id) if bot is not None else None
        if workspace is None or workspace.is_deleted or not workspace.is_admin(actor.user_id):
            raise DomainError(
                ErrorCode.USER_NOT_FOUND, f"No user {user_id} whose tokens you manage"
            )

    async def create(
        self,
        actor: Actor,
        *,
        user_id: str | None,
        name: str,
        scopes: list[str],
        expires_at: datetime | None,
    ) -> IssuedToken:
        owner_id = user_id or actor.user_id
        await self._require_manager(actor, owner_id)
        now = self._clock.now()
        clean_name, ordered = validated_input(name, scopes, expires_at, now)
        token_id = self._ids.new_id().replace("-", "")
        random_part = self._randomness.new_token()
        salt = self._randomness.new_token()
        token = ApiToken(
            id=token_id,
            user_id=owner_id,
            name=clean_name,
            scopes=ordered,
            salt=salt,
            secret_hash=secret_hash(salt, random_part),
            created_by=actor.user_id,
            created_at=now,
            expires_at=expires_at,
        )
        await self._tokens.add(token)
        return IssuedToken(token, compose_secret(token_id, random_part))

    async def list_tokens(
        self, actor: Actor, *, user_id: str | None, limit: int | None, cursor: str | None
    ) -> Page[ApiToken]:
        owner_id = user_id or actor.user_id
        await self._require_manager(actor, owner_id)
        scope = fingerprint("api_tokens", user_id=owner_id)
        request = page_request(limit, cursor, scope, key_type=tuple[datetime, str])
        after = (request.after[0], request.after[1]) if request.after else None
        rows = await self._tokens.of_user(owner_id, after=after, limit=request.limit + 1)
        return make_page(rows, request, scope, lambda t: (t.created_at, t.id))

    async def revoke(self, actor: Actor, token_id: str) -> ApiToken:
        token = await self._tokens.get(token_id)
        if token is None:
            raise _token_not_found(token_id)
        try:
            await self._require_manager(actor, token.user_id)
        except DomainError as error:
            if error.code is ErrorCode.INSUFFICIENT_SCOPE:
                raise
            raise _token_not_found(token_id) from None
        revoked = await self._tokens.revoke(token_id, self._clock.now())
        if revoked is None:
            raise _token_not_found(token_id)
        return revoked

    async def authenticate(self, secret: str) -> TokenCaller:
        """Every request reads the token by `_id`: a revocation or an expiry takes effect on
        the next request on every instance (no cache to invalidate)."""
        parsed = parse_secret(secret)
        if parsed is None:
            raise _unauthenticated("The API token is malformed")
        token_id, random_part = parsed
        token = await self._tokens.get(token_id)
        if token is None or not matches(token, random_part):
            raise _unauthenticated("The API token is not valid")
        now = self._clock.now()
        if token.revoked_at is not None:
            raise _unauthenticated("The API token was revoked")
        if token.is_expired(now):
            raise DomainError(ErrorCode.TOKEN_EXPIRED, "The API token has expired")
        user = await self._active_user(token.user_id)
        await self._tokens.touch(token.id, now, unless_since=now - LAST_USED_RESOLUTION)
        scopes = frozenset(token.scopes)
        actor = Actor(
            user.id,
            is_system_admin=user.is_system_admin and allows(scopes, TokenScope.ADMIN),
            scopes=scopes,
            token_id=token.id,
        )
        return TokenCaller(actor, token)

    async def _active_user(self, user_id: str) -> User:
        user = await self._users.get(user_id)
        if user is None:
            raise _unauthenticated("The API token's user no longer exists")
        if not user.is_active:
            raise DomainError(ErrorCode.USER_INACTIVE, "This account is deactivated")
        return user
