"""Keycloak as Flowra's identity provider: token verification, OIDC login, user directory."""

from flowra_adapters.keycloak.admin import KeycloakAdminApi
from flowra_adapters.keycloak.directory import KeycloakUserDirectory
from flowra_adapters.keycloak.endpoints import RealmEndpoints
from flowra_adapters.keycloak.jwks import HttpJwksSource, JwksSource
from flowra_adapters.keycloak.oidc import AuthorizationRequest, KeycloakOidcClient, OidcTokens
from flowra_adapters.keycloak.verifier import KeycloakTokenVerifier

__all__ = [
    "AuthorizationRequest",
    "HttpJwksSource",
    "JwksSource",
    "KeycloakAdminApi",
    "KeycloakOidcClient",
    "KeycloakTokenVerifier",
    "KeycloakUserDirectory",
    "OidcTokens",
    "RealmEndpoints",
]
