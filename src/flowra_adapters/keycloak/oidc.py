"""The OpenID Connect side of Keycloak for a confidential client: login, refresh, logout.

Errors: a code or grant Keycloak refuses → LOGIN_FAILED; a refresh token it refuses →
INVALID_REFRESH_TOKEN; no answer, a 5xx, an unreadable answer or a refused client secret
(HTTP 401: the server's configuration, not the user, is at fault) → ServiceUnavailable.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from flowra_adapters.keycloak.endpoints import RealmEndpoints
from flowra_adapters.keycloak.transport import json_object, oauth_error, post_form, unavailable
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.ports.clock import SecretTokens

DEFAULT_SCOPE = "openid"


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """Where to send the browser, and what to keep (cookie `flowra_oauth`) for the callback."""

    url: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str


@dataclass(frozen=True, slots=True)
class OidcTokens:
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    refresh_expires_in: int
    id_token: str | None


def pkce_challenge(code_verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class KeycloakOidcClient:
    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        endpoints: RealmEndpoints,
        client_id: str,
        client_secret: str,
        tokens: SecretTokens,
        scope: str = DEFAULT_SCOPE,
    ) -> None:
        self._http = http
        self._endpoints = endpoints
        self._client = {"client_id": client_id, "client_secret": client_secret}
        self._client_id = client_id
        self._tokens = tokens
        self._scope = scope

    def authorization_request(self, redirect_uri: str) -> AuthorizationRequest:
        """A code-flow authorization URL with fresh `state`, `nonce` and PKCE S256 verifier."""
        state = self._tokens.new_token()
        nonce = self._tokens.new_token()
        code_verifier = self._tokens.new_token()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": redirect_uri,
                "scope": self._scope,
                "state": state,
                "nonce": nonce,
                "code_challenge": pkce_challenge(code_verifier),
                "code_challenge_method": "S256",
            }
        )
        return AuthorizationRequest(
            url=f"{self._endpoints.authorize}?{query}",
            state=state,
            nonce=nonce,
            code_verifier=code_verifier,
            redirect_uri=redirect_uri,
        )

    async def exchange_code(
        self,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        *,
        nonce: str | None = None,
    ) -> OidcTokens:
        """Tokens for an authorization code. With `nonce`, the ID token must carry it."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        tokens = await self._token_request(form, ErrorCode.LOGIN_FAILED, "The login failed")
        if nonce is not None and _id_token_nonce(tokens.id_token) != nonce:
            raise DomainError(ErrorCode.LOGIN_FAILED, "The login failed: nonce mismatch")
        return tokens

    async def refresh(self, refresh_token: str) -> OidcTokens:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return await self._token_request(
            form, ErrorCode.INVALID_REFRESH_TOKEN, "The refresh token is not valid"
        )

    async def logout(self, refresh_token: str) -> None:
        """End the Keycloak session of `refresh_token`, then revoke the token itself (which
        also covers offline tokens). A token that is already unusable is no error."""
        ended = await post_form(
            self._http, self._endpoints.logout, {**self._client, "refresh_token": refresh_token}
        )
        _reject_client_failure(ended)
        # RFC 7009: 200 even for unknown tokens (Keycloak adds an `invalid_token` body).
        revoked = await post_form(
            self._http,
            self._endpoints.revoke,
            {**self._client, "token": refresh_token, "token_type_hint": "refresh_token"},
        )
        _reject_client_failure(revoked)

    async def _token_request(
        self, form: Mapping[str, str], refused: ErrorCode, refused_text: str
    ) -> OidcTokens:
        response = await post_form(
            self._http, self._endpoints.token, {**self._client, **form, "scope": self._scope}
        )
        _reject_client_failure(response)
        if response.status_code != httpx.codes.OK:
            reason = oauth_error(response) or f"HTTP {response.status_code}"
            raise DomainError(refused, f"{refused_text} ({reason})")
        return _tokens(json_object(response))


def _reject_client_failure(response: httpx.Response) -> None:
    if response.status_code == httpx.codes.UNAUTHORIZED:
        error = oauth_error(response) or "HTTP 401"
        raise unavailable(f"Keycloak refused the client credentials ({error})")


def _tokens(body: Mapping[str, Any]) -> OidcTokens:
    access_token = body.get("access_token")
    refresh_token = body.get("refresh_token")
    expires_in = body.get("expires_in")
    refresh_expires_in = body.get("refresh_expires_in", 0)
    id_token = body.get("id_token")
    if (
        not isinstance(access_token, str)
        or not isinstance(refresh_token, str)
        or not isinstance(expires_in, int)
        or not isinstance(refresh_expires_in, int)
    ):
        raise unavailable("the token endpoint answered without the expected tokens")
    token_type = body.get("token_type")
    return OidcTokens(
        access_token=access_token,
        refresh_token=refresh_token,
        token_type=token_type if isinstance(token_type, str) else "Bearer",
        expires_in=expires_in,
        refresh_expires_in=refresh_expires_in,
        id_token=id_token if isinstance(id_token, str) else None,
    )


def _id_token_nonce(id_token: str | None) -> object:
    # The ID token came straight from the token endpoint over the client-authenticated
    # back channel, so TLS vouches for it (OIDC Core 3.1.3.7 §6): no signature check here.
    if id_token is None:
        return None
    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims.get("nonce")
