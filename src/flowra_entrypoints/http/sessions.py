"""Browser sessions of the Keycloak login (http-api.md §2 "Session cookie").

- `flowra_oauth` carries a pending login (state, nonce, PKCE verifier, where to go after) from
  `/auth/login` to `/auth/callback`: a JWT signed with `auth.jwt_secret`, valid 10 minutes.
- `flowra_session` is an opaque random id, signed with the same secret. The session itself,
  holding the IdP's tokens, lives in the EphemeralStore under `flowra:session:<id>`; it lasts as
  long as the IdP's refresh token and never beyond `auth.refresh_token_ttl` from the login.
  An access token about to expire is refreshed on the way; a refresh the IdP refuses ends the
  session (401).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import weakref
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import jwt
import msgspec
from loguru import logger

from flowra_adapters.keycloak import AuthorizationRequest, OidcTokens
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.ports.clock import Clock, SecretTokens
from flowra_core.ports.ephemeral import EphemeralStore
from flowra_entrypoints.transport_errors import TransportCode, TransportError

SESSION_COOKIE = "flowra_session"
LOGIN_COOKIE = "flowra_oauth"
LOGIN_COOKIE_PATH = "/api/v1/auth"
LOGIN_STATE_TTL = timedelta(minutes=10)
SESSION_KEY_PREFIX = "flowra:session:"
# Refresh this long before the access token expires, so it is still valid when verified.
REFRESH_MARGIN = timedelta(seconds=10)
_SIGNING_CONTEXT = b"flowra-session:"
_LOGIN_PURPOSE = "flowra-oauth-login"
_ALGORITHM = "HS256"

SessionEndedListener = Callable[[str], Awaitable[None]]


class TokenRefresher(Protocol):
    async def refresh(self, refresh_token: str) -> OidcTokens:
        """New tokens; DomainError INVALID_REFRESH_TOKEN when the IdP refuses."""
        ...


@dataclass(frozen=True, slots=True)
class PendingLogin:
    state: str
    nonce: str
    code_verifier: str
    redirect_to: str


class LoginStateSeal:
    """Seals a pending login into the `flowra_oauth` cookie value and opens it again."""

    def __init__(self, *, secret: str, clock: Clock) -> None:
        self._secret = secret
        self._clock = clock

    def seal(self, request: AuthorizationRequest, redirect_to: str) -> str:
        expires = self._clock.now() + LOGIN_STATE_TTL
        claims = {
            "purpose": _LOGIN_PURPOSE,
            "state": request.state,
            "nonce": request.nonce,
            "code_verifier": request.code_verifier,
            "redirect_to": redirect_to,
            "exp": int(expires.timestamp()),
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def open(self, sealed: str | None) -> PendingLogin:
        """The pending login; INVALID_OAUTH_STATE when missing, forged or expired."""
        if not sealed:
            raise _invalid_state("no login is in progress in this browser")
        try:
            claims: dict[str, Any] = jwt.decode(
                sealed,
                self._secret,
                algorithms=[_ALGORITHM],
                options={"verify_exp": False, "require": ["exp"]},
            )
        except jwt.PyJWTError:
            raise _invalid_state("the login cookie is not valid") from None
        if claims.get("purpose") != _LOGIN_PURPOSE:
            raise _invalid_state("the login cookie is not valid")
        if claims["exp"] <= self._clock.now().timestamp():
            raise _invalid_state("the login took longer than 10 minutes")
        values = [claims.get(name) for name in ("state", "nonce", "code_verifier", "redirect_to")]
        if not all(isinstance(value, str) for value in values):
            raise _invalid_state("the login cookie is not valid")
        state, nonce, verifier, redirect_to = (str(value) for value in values)
        return PendingLogin(state, nonce, verifier, redirect_to)


def _invalid_state(reason: str) -> TransportError:
    return TransportError(TransportCode.INVALID_OAUTH_STATE, f"The login cannot continue: {reason}")


def _session_ended() -> DomainError:
    return DomainError(ErrorCode.UNAUTHENTICATED, "The session has ended; log in again")


class _Session(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    access_expires_at: float  # epoch seconds
    ends_at: float  # login + auth.refresh_token_ttl


@dataclass(frozen=True, slots=True)
class SessionAccess:
    session_id: str
    access_token: str


class SessionBook:
    def __init__(
        self,
        *,
        store: EphemeralStore,
        tokens: SecretTokens,
        clock: Clock,
        refresher: TokenRefresher,
        secret: str,
        max_lifetime: float,
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._clock = clock
        self._refresher = refresher
        self._key = secret.encode()
        self._max_lifetime = max_lifetime
        self._refreshing: MutableMapping[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._ended_listeners: list[SessionEndedListener] = []

    @property
    def cookie_max_age(self) -> int:
        return int(self._max_lifetime)

    def on_ended(self, listener: SessionEndedListener) -> None:
        """Call `listener(session_id)` after a logout ended a session, or the IdP refused to
        refresh it (WebSocket 4401). A session that simply runs out of time is not reported."""
        self._ended_listeners.append(listener)

    async def open(self, tokens: OidcTokens) -> str:
        """A new session holding `tokens`; returns the `flowra_session` cookie value."""
        session_id = self._tokens.new_token()
        ends_at = self._clock.now().timestamp() + self._max_lifetime
        await self._save(session_id, self._session(tokens, ends_at), tokens)
        return f"{session_id}.{self._signature(session_id)}"

    async def access(self, cookie: str, *, force_refresh: bool = False) -> SessionAccess:
        """A usable access token of the cookie's session, refreshed when it (nearly) expired
        or when `force_refresh`; UNAUTHENTICATED when the session is unknown or ended."""
        session_id = self.session_id(cookie)
        if session_id is None:
            raise _session_ended()
        session = await self._load(session_id)
        if force_refresh or not self._fresh(session):
            lock = self._refreshing.setdefault(session_id, asyncio.Lock())
            async with lock:
                # A concurrent request of the same browser may have refreshed meanwhile.
                reloaded = await self._load(session_id)
                if reloaded.access_token == session.access_token:
                    reloaded = await self._refresh(session_id, reloaded)
                session = reloaded
        return SessionAccess(session_id, session.access_token)

    async def end(self, cookie: str) -> str | None:
        """End the cookie's session; returns its refresh token (to revoke at the IdP), None
        when there was no such session."""
        session_id = self.session_id(cookie)
        if session_id is None:
            return None
        raw = await self._store.take(SESSION_KEY_PREFIX + session_id)
        if raw is None:
            return None
        await self._ended(session_id)
        return msgspec.json.decode(raw, type=_Session).refresh_token

    async def is_active(self, session_id: str) -> bool:
        """Whether the session still exists: not ended, refused by the IdP or run out of time.
        Raises ServiceUnavailable when the store cannot tell."""
        return await self._store.get(SESSION_KEY_PREFIX + session_id) is not None

    def session_id(self, cookie: str) -> str | None:
        """The id inside a well-signed cookie value; None for anything else."""
        session_id, _, signature = cookie.partition(".")
        expected = self._signature(session_id).encode()
        if not session_id or not hmac.compare_digest(signature.encode(), expected):
            return None
        return session_id

    async def _refresh(self, session_id: str, session: _Session) -> _Session:
        try:
            tokens = await self._refresher.refresh(session.refresh_token)
        except DomainError as error:
            if error.code is not ErrorCode.INVALID_REFRESH_TOKEN:
                raise
            await self._store.delete(SESSION_KEY_PREFIX + session_id)
            await self._ended(session_id)  # revoked at the IdP
            raise _session_ended() from None
        refreshed = self._session(tokens, session.ends_at)
        await self._save(session_id, refreshed, tokens)
        return refreshed

    async def _ended(self, session_id: str) -> None:
        for listener in self._ended_listeners:
            try:
                await listener(session_id)
            except Exception as error:  # noqa: BLE001 - a listener must not undo the logout
                logger.bind(logger="http").opt(exception=error).error("session-end listener")

    async def _load(self, session_id: str) -> _Session:
        raw = await self._store.get(SESSION_KEY_PREFIX + session_id)
        if raw is None:
            raise _session_ended()
        return msgspec.json.decode(raw, type=_Session)

    async def _save(self, session_id: str, session: _Session, tokens: OidcTokens) -> None:
        remaining = session.ends_at - self._clock.now().timestamp()
        # A refresh_expires_in of 0 (offline tokens) means no expiry of its own.
        ttl = min(remaining, tokens.refresh_expires_in or remaining)
        if ttl <= 0:
            await self._store.delete(SESSION_KEY_PREFIX + session_id)
            raise _session_ended()
        await self._store.put(SESSION_KEY_PREFIX + session_id, msgspec.json.encode(session), ttl)

    def _session(self, tokens: OidcTokens, ends_at: float) -> _Session:
        expires_at = self._clock.now() + timedelta(seconds=tokens.expires_in)
        return _Session(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            access_expires_at=expires_at.timestamp(),
            ends_at=ends_at,
        )

    def _fresh(self, session: _Session) -> bool:
        return (self._clock.now() + REFRESH_MARGIN).timestamp() < session.access_expires_at

    def _signature(self, session_id: str) -> str:
        digest = hmac.new(self._key, _SIGNING_CONTEXT + session_id.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def session_id_of(scope: Any) -> str | None:
    """The id of the browser session that authenticated the request (None for Bearer)."""
    state = scope.get("state")
    value = state.get("session_id") if isinstance(state, dict) else None
    return value if isinstance(value, str) else None


def set_session_id(scope: Any, session_id: str) -> None:
    scope.setdefault("state", {})["session_id"] = session_id
