"""Browser sessions of the web client and the CSRF token bound to them.

With Keycloak the web client shares the API's session book (the code-flow login). With the
local provider of the embedded profile there is no IdP session, so the web client keeps one of
its own: the same `SessionBook` (same `flowra_session` cookie, same store), refreshed through the
local provider instead of the IdP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flowra_adapters.keycloak import OidcTokens
from flowra_adapters.local.identity import IssuedTokens, LocalIdentityProvider
from flowra_core.ports.clock import Clock, SecretTokens
from flowra_core.ports.ephemeral import EphemeralStore
from flowra_entrypoints.http.sessions import SessionBook
from flowra_entrypoints.identity import IdentitySide

_CSRF_CONTEXT = b"flowra-web-csrf:"


def oidc_tokens(issued: IssuedTokens) -> OidcTokens:
    """The local provider's tokens in the shape a SessionBook keeps."""
    return OidcTokens(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        token_type="Bearer",  # noqa: S106 - the OAuth token type, not a secret
        expires_in=issued.expires_in,
        refresh_expires_in=issued.refresh_expires_in,
        id_token=None,
    )


class LocalRefresher:
    """Refreshes a web session's tokens through the local provider (rotating them)."""

    def __init__(self, local: LocalIdentityProvider) -> None:
        self._local = local

    async def refresh(self, refresh_token: str) -> OidcTokens:
        return oidc_tokens(await self._local.refresh(refresh_token))


def web_session_book(
    identity: IdentitySide,
    *,
    store: EphemeralStore,
    tokens: SecretTokens,
    clock: Clock,
    secret: str,
    max_lifetime: float,
) -> SessionBook:
    """Keycloak's own session book, or one over the local provider."""
    if identity.keycloak is not None:
        return identity.keycloak.sessions
    local = identity.require_local()
    return SessionBook(
        store=store,
        tokens=tokens,
        clock=clock,
        refresher=LocalRefresher(local),
        secret=secret,
        max_lifetime=max_lifetime,
    )


class CsrfTokens:
    """A token per session: an HMAC of the session id, so it needs no storage and dies with
    the session. Pages put it in a meta tag; every state-changing request sends it back."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def token_for(self, session_id: str) -> str:
        digest = hmac.new(self._key, _CSRF_CONTEXT + session_id.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")

    def is_valid(self, session_id: str, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(
            token.encode(), self.token_for(session_id).encode()
        )
