"""The URLs of one Keycloak realm.

Keycloak is reached at two addresses: `url` is where this server talks to it (JWKS, token,
admin API) and `public_url` is where browsers do (the authorize endpoint). Keycloak stamps
tokens with the issuer of the address the browser used, so `iss` comes from `public_url`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

MASTER_REALM = "master"


@dataclass(frozen=True, slots=True)
class RealmEndpoints:
    url: str
    public_url: str
    realm: str

    @property
    def issuer(self) -> str:
        return f"{self.public_url.rstrip('/')}/realms/{self.realm}"

    @property
    def authorize(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/auth"

    @property
    def certs(self) -> str:
        return f"{self._oidc(self.realm)}/certs"

    @property
    def token(self) -> str:
        return f"{self._oidc(self.realm)}/token"

    @property
    def logout(self) -> str:
        return f"{self._oidc(self.realm)}/logout"

    @property
    def revoke(self) -> str:
        return f"{self._oidc(self.realm)}/revoke"

    @property
    def master_token(self) -> str:
        """Token endpoint of the master realm, where Keycloak's administrators log in."""
        return f"{self._oidc(MASTER_REALM)}/token"

    @property
    def admin_users(self) -> str:
        return f"{self._admin()}/users"

    def admin_user(self, user_id: str) -> str:
        return f"{self._admin()}/users/{quote(user_id, safe='')}"

    def admin_user_realm_roles(self, user_id: str) -> str:
        """The user's effective realm roles (direct, composite and through groups)."""
        return f"{self.admin_user(user_id)}/role-mappings/realm/composite"

    def admin_role_users(self, role: str) -> str:
        """The users holding realm role `role` directly."""
        return f"{self._admin()}/roles/{quote(role, safe='')}/users"

    def _oidc(self, realm: str) -> str:
        return f"{self.url.rstrip('/')}/realms/{realm}/protocol/openid-connect"

    def _admin(self) -> str:
        return f"{self.url.rstrip('/')}/admin/realms/{self.realm}"
