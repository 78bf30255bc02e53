"""Production safety (operations.md §3): the conditions that refuse startup with
``env=production`` and the ones that only warn. Secret values are never printed."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from .errors import Problem, SettingsError
from .model import Settings

MIN_JWT_SECRET_BYTES = 32
KNOWN_DEFAULT_JWT_SECRETS = frozenset(
    {"dev-secret-change-in-production", "your-secure-jwt-secret", "change-me", "secret"}
)
KNOWN_DEFAULT_CLIENT_SECRETS = frozenset(
    {"your-client-secret", "flowra-dev-secret-change-in-production"}
)
KNOWN_DEFAULT_ADMIN_PASSWORDS = frozenset({"admin", "admin123"})
KNOWN_DEFAULT_MONGODB_CREDENTIALS = ("admin", "admin123")


@dataclass
class SafetyReport:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_production(settings: Settings) -> SafetyReport:
    """Every refusal and warning of §3; an empty report outside production."""
    report = SafetyReport()
    if not settings.is_production:
        return report
    refuse = report.problems.append

    jwt_secret = settings.auth.jwt_secret
    if not jwt_secret:
        refuse(
            Problem(
                "auth.jwt_secret",
                "'' (empty) is not allowed in production; set a secret of at least 32 bytes",
            )
        )
    elif jwt_secret in KNOWN_DEFAULT_JWT_SECRETS:
        refuse(Problem("auth.jwt_secret", "*** is a known default secret; set your own"))
    elif len(jwt_secret.encode()) < MIN_JWT_SECRET_BYTES:
        refuse(
            Problem(
                "auth.jwt_secret",
                f"*** is shorter than {MIN_JWT_SECRET_BYTES} bytes (256 bits), "
                "which production requires",
            )
        )

    for key, value, external in (
        ("storage.backend", settings.storage.backend, "mongo"),
        ("eventbus.type", settings.eventbus.type, "redis"),
        ("auth.provider", settings.auth.provider, "keycloak"),
    ):
        if value != external:
            refuse(Problem(key, f"{value!r} is not allowed in production; use {external!r}"))

    client_secret = settings.keycloak.client_secret
    if not client_secret:
        refuse(
            Problem(
                "keycloak.client_secret",
                "'' (empty) is not allowed in production; set the Keycloak client secret",
            )
        )
    elif client_secret in KNOWN_DEFAULT_CLIENT_SECRETS:
        refuse(Problem("keycloak.client_secret", "*** is a known default secret; set your own"))

    if settings.keycloak.admin_password in KNOWN_DEFAULT_ADMIN_PASSWORDS:
        refuse(Problem("keycloak.admin_password", "*** is a known default password; set your own"))

    if _mongodb_credentials(settings.mongodb.uri) == KNOWN_DEFAULT_MONGODB_CREDENTIALS:
        refuse(
            Problem(
                "mongodb.uri",
                "embeds the known default credentials admin:admin123; use your own credentials",
            )
        )

    if "*" in settings.cors.allowed_origins:
        refuse(Problem("cors.allowed_origins", "'*' is not allowed; list exact origins"))

    if not settings.server.public_url.startswith("https://"):
        refuse(
            Problem(
                "server.public_url",
                f"{settings.server.public_url!r} is not allowed in production; "
                "it must start with https://",
            )
        )

    if not settings.redis.password:
        report.warnings.append("redis.password is empty (production)")
    if not settings.rate_limit.enabled:
        report.warnings.append("rate_limit.enabled is false (production)")
    if not settings.audit.enabled:
        report.warnings.append("audit.enabled is false (production): enable audit logging")
    if settings.log.level == "debug":
        report.warnings.append("log.level is debug (production)")
    return report


def ensure_production_safe(settings: Settings) -> list[str]:
    """Raise ``SettingsError`` listing every refusal; return the warnings."""
    report = check_production(settings)
    if report.problems:
        raise SettingsError([f"{key}: {message}" for key, message in report.problems])
    return report.warnings


def _mongodb_credentials(uri: str) -> tuple[str, str] | None:
    # urlsplit copes with mongodb:// and mongodb+srv:// and with host lists after the "@".
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    if parts.username is None or parts.password is None:
        return None
    return unquote(parts.username), unquote(parts.password)
