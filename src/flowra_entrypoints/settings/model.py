"""Typed settings: one frozen struct per section, fields named exactly as the keys of
operations.md §2. Durations are float seconds, sizes int bytes.

The defaults here are the built-in defaults. Defaults that depend on other keys
(``keycloak.public_url``, ``rate_limit.enabled``, ``worker.embedded`` with the memory backend)
are resolved by the loader.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

# The loader reads the "unit" marker to pick the parser; the bounds become validation rules.
Duration = Annotated[float, msgspec.Meta(ge=0, extra={"unit": "duration"})]
PositiveDuration = Annotated[float, msgspec.Meta(gt=0, extra={"unit": "duration"})]
PositiveSize = Annotated[int, msgspec.Meta(gt=0, extra={"unit": "size"})]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
PortOrZero = Annotated[int, msgspec.Meta(ge=0, le=65535)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
NonNegativeInt = Annotated[int, msgspec.Meta(ge=0)]

Environment = Literal["development", "test", "staging", "production"]
LogLevel = Literal["debug", "info", "warn", "error"]
LogFormat = Literal["json", "text"]
EventBusType = Literal["redis", "inmemory"]
StorageBackend = Literal["memory", "mongo"]
AuthProvider = Literal["local", "keycloak"]

SECRET_MASK = "***"  # noqa: S105 - the mask, not a secret


def is_secret_key(key: str) -> bool:
    """Keys whose values are never printed (logs, error messages, repr)."""
    name = key.rsplit(".", 1)[-1]
    return "secret" in name or "password" in name


class _Section(msgspec.Struct, kw_only=True, frozen=True):
    def __repr__(self) -> str:
        # Settings end up in logs and tracebacks: mask secret values.
        parts = ", ".join(
            f"{name}={SECRET_MASK if is_secret_key(name) else getattr(self, name)!r}"
            for name in self.__struct_fields__
        )
        return f"{type(self).__name__}({parts})"


class ServerSettings(_Section, kw_only=True, frozen=True):
    host: str = "0.0.0.0"  # noqa: S104 - binding all interfaces is the documented default
    port: Port = 8080
    read_timeout: PositiveDuration = 30.0
    write_timeout: PositiveDuration = 30.0
    shutdown_timeout: Duration = 10.0
    public_url: str = "http://localhost:8080"
    trusted_proxies: tuple[str, ...] = ()
    # Admission control (http/admission.py): requests handled at once, and how long one more
    # waits for a free slot before it is answered 503 with Retry-After.
    max_concurrent_requests: PositiveInt = 32
    queue_timeout: Duration = 5.0

    @property
    def oidc_redirect_uri(self) -> str:
        return f"{self.public_url.rstrip('/')}/api/v1/auth/callback"


class MongoDBSettings(_Section, kw_only=True, frozen=True):
    uri: str = "mongodb://localhost:27017"
    database: str = "flowra"
    timeout: PositiveDuration = 10.0
    max_pool_size: PositiveInt = 100


class RedisSettings(_Section, kw_only=True, frozen=True):
    addr: str = "localhost:6379"
    password: str = ""
    db: NonNegativeInt = 0
    pool_size: PositiveInt = 10


class KeycloakSettings(_Section, kw_only=True, frozen=True):
    url: str = "http://localhost:8090"
    public_url: str = "http://localhost:8090"  # the loader defaults it to `url`
    realm: str = "flowra"
    client_id: str = "flowra-backend"
    client_secret: str = ""
    audience: str = ""
    admin_username: str = ""
    admin_password: str = ""
    jwks_refresh_interval: PositiveDuration = 3600.0

    @property
    def issuer(self) -> str:
        """The expected ``iss`` of Keycloak tokens (browser-facing URL + realm)."""
        return f"{self.public_url.rstrip('/')}/realms/{self.realm}"


class AuthSettings(_Section, kw_only=True, frozen=True):
    provider: AuthProvider = "local"
    jwt_secret: str = ""
    access_token_ttl: PositiveDuration = 15 * 60.0
    refresh_token_ttl: PositiveDuration = 7 * 86400.0


class EventBusSettings(_Section, kw_only=True, frozen=True):
    type: EventBusType = "inmemory"
    redis_channel_prefix: str = "events."


class LogSettings(_Section, kw_only=True, frozen=True):
    level: LogLevel = "info"
    format: LogFormat = "json"


class WebSocketSettings(_Section, kw_only=True, frozen=True):
    read_buffer_size: PositiveSize = 1024
    write_buffer_size: PositiveSize = 1024
    ping_interval: PositiveDuration = 30.0
    pong_timeout: PositiveDuration = 60.0
    max_frame_size: PositiveSize = 64 * 1024
    send_queue_size: PositiveInt = 256
    max_connections_per_user: PositiveInt = 20
    ticket_ttl: PositiveDuration = 30.0
    resume_window: PositiveDuration = 24 * 3600.0
    presence_grace: Duration = 5.0


class StorageSettings(_Section, kw_only=True, frozen=True):
    backend: StorageBackend = "memory"


class UploadsSettings(_Section, kw_only=True, frozen=True):
    dir: str = "./uploads"
    max_size: PositiveSize = 10 * 1024 * 1024


class CorsSettings(_Section, kw_only=True, frozen=True):
    allowed_origins: tuple[str, ...] = ()


class RateLimitSettings(_Section, kw_only=True, frozen=True):
    enabled: bool = False  # the loader defaults it to true in production
    window: PositiveDuration = 60.0
    user_limit: PositiveInt = 600
    ip_limit: PositiveInt = 120
    auth_limit: PositiveInt = 30


class MetricsSettings(_Section, kw_only=True, frozen=True):
    enabled: bool = True


class WorkerSettings(_Section, kw_only=True, frozen=True):
    embedded: bool = False
    metrics_port: PortOrZero = 9091
    relay_interval: PositiveDuration = 1.0
    relay_batch_size: PositiveInt = 100
    catchup_interval: PositiveDuration = 5.0
    user_sync_enabled: bool = True
    user_sync_interval: PositiveDuration = 15 * 60.0
    repair_interval: PositiveDuration = 30.0


class AuditSettings(_Section, kw_only=True, frozen=True):
    enabled: bool = True  # the deployment guide's checklist: "Enable audit logging"
    retention: PositiveDuration = 365 * 86400.0  # `flowra-migrator audit-prune` deletes older


class WebhookSettings(_Section, kw_only=True, frozen=True):
    timeout: PositiveDuration = 10.0  # one delivery attempt, connect to last byte
    # SSRF guard: loopback, link-local and private targets are refused unless allowed here.
    allow_private_targets: bool = False
    allowed_hosts: tuple[str, ...] = ()  # on-premise receivers (host names or addresses)
    delivery_interval: PositiveDuration = 2.0
    delivery_retention: PositiveDuration = 30 * 86400.0  # delivered entries of the log


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    env: Environment = "development"
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    mongodb: MongoDBSettings = msgspec.field(default_factory=MongoDBSettings)
    redis: RedisSettings = msgspec.field(default_factory=RedisSettings)
    keycloak: KeycloakSettings = msgspec.field(default_factory=KeycloakSettings)
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    eventbus: EventBusSettings = msgspec.field(default_factory=EventBusSettings)
    log: LogSettings = msgspec.field(default_factory=LogSettings)
    websocket: WebSocketSettings = msgspec.field(default_factory=WebSocketSettings)
    storage: StorageSettings = msgspec.field(default_factory=StorageSettings)
    uploads: UploadsSettings = msgspec.field(default_factory=UploadsSettings)
    cors: CorsSettings = msgspec.field(default_factory=CorsSettings)
    rate_limit: RateLimitSettings = msgspec.field(default_factory=RateLimitSettings)
    metrics: MetricsSettings = msgspec.field(default_factory=MetricsSettings)
    worker: WorkerSettings = msgspec.field(default_factory=WorkerSettings)
    audit: AuditSettings = msgspec.field(default_factory=AuditSettings)
    webhooks: WebhookSettings = msgspec.field(default_factory=WebhookSettings)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_ephemeral(self) -> bool:
        """In-memory storage: data is lost on exit (the EPHEMERAL MODE warning of §3)."""
        return self.storage.backend == "memory"

    def with_embedded_worker(self) -> Settings:
        """`flowra-api --with-worker`: the same settings in unified mode."""
        return msgspec.structs.replace(
            self, worker=msgspec.structs.replace(self.worker, embedded=True)
        )

    @property
    def unified_mode(self) -> bool:
        """The API process also runs every worker job."""
        return self.worker.embedded
