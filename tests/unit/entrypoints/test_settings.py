"""Settings: value syntaxes, defaults, sources and precedence, rules, production safety."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from flowra_entrypoints.settings import (
    LoadedSettings,
    LogSettings,
    Settings,
    SettingsError,
    check_production,
    ensure_production_safe,
    load_settings,
)
from flowra_entrypoints.settings import loader as loader_module
from flowra_entrypoints.settings.keys import key_specs
from flowra_entrypoints.settings.units import (
    parse_bool,
    parse_duration,
    parse_int,
    parse_list,
    parse_size,
)

ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - the documented default host, not a bind
EXAMPLE_CONFIG = Path(__file__).resolve().parents[3] / "configs" / "config.example.yaml"


@pytest.fixture(autouse=True)
def isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty directory so that no real ./configs/config.yaml or /etc file is found."""
    monkeypatch.chdir(tmp_path)
    candidates = ("./configs/config.yaml", "./config.yaml", str(tmp_path / "etc/config.yaml"))
    monkeypatch.setattr(loader_module, "DEFAULT_CONFIG_CANDIDATES", candidates)
    return tmp_path


def write_yaml(path: Path, data: dict[str, Any]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def value_at(settings: Settings, key: str) -> object:
    target: object = settings
    for part in key.split("."):
        target = getattr(target, part)
    return target


def problems_of(excinfo: pytest.ExceptionInfo[SettingsError]) -> list[str]:
    return excinfo.value.problems


# --- value syntaxes ---------------------------------------------------------------------------

DURATIONS_OK: list[tuple[str | int, float]] = [
    ("500ms", 0.5),
    ("30s", 30.0),
    ("15m", 900.0),
    ("1h30m", 5400.0),
    ("7d", 604800.0),
    ("168h", 604800.0),
    ("1m30s", 90.0),
    ("1d2h3m4s5ms", 93784.005),
    ("45", 45.0),
    (" 10s ", 10.0),
    ("0", 0.0),
    (45, 45.0),
]
DURATIONS_BAD: list[object] = ["", "abc", "1.5s", "-5", "10x", "s", "1h 30m", "5M", "ms", -1, True]


@pytest.mark.parametrize(("text", "seconds"), DURATIONS_OK)
def test_parse_duration_accepts(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", DURATIONS_BAD)
def test_parse_duration_rejects_and_says_what_is_allowed(text: object) -> None:
    with pytest.raises(ValueError, match=r"is not a duration: .*units ms, s, m, h, d"):
        parse_duration(cast(Any, text))


DURATION_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), st.sampled_from(sorted(DURATION_UNIT_SECONDS))),
        min_size=1,
        max_size=6,
    )
)
def test_parse_duration_sums_any_groups(groups: list[tuple[int, str]]) -> None:
    text = "".join(f"{amount}{unit}" for amount, unit in groups)
    expected = sum(amount * DURATION_UNIT_SECONDS[unit] for amount, unit in groups)
    assert parse_duration(text) == pytest.approx(expected)


SIZES_OK: list[tuple[str | int, int]] = [
    ("1024", 1024),
    (1024, 1024),
    ("64KiB", 65536),
    ("10MiB", 10 * 1024 * 1024),
    ("1GiB", 1024**3),
    ("0", 0),
]
SIZES_BAD: list[object] = ["", "10MB", "1.5KiB", "abc", "-1", "KiB", "10 kib", -1, False]


@pytest.mark.parametrize(("text", "size"), SIZES_OK)
def test_parse_size_accepts(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", SIZES_BAD)
def test_parse_size_rejects_and_says_what_is_allowed(text: object) -> None:
    with pytest.raises(ValueError, match=r"is not a size: .*KiB, MiB or GiB"):
        parse_size(cast(Any, text))


@given(st.integers(0, 2**20), st.sampled_from([("", 1), ("KiB", 1024), ("MiB", 1024**2)]))
def test_parse_size_multiplies_units(amount: int, unit: tuple[str, int]) -> None:
    assert parse_size(f"{amount}{unit[0]}") == amount * unit[1]


BOOLS_OK: list[tuple[str | int | bool, bool]] = [
    ("true", True),
    ("TRUE", True),
    ("Yes", True),
    ("1", True),
    ("false", False),
    ("False", False),
    ("NO", False),
    ("0", False),
    (True, True),
    (False, False),
    (1, True),
    (0, False),
]


@pytest.mark.parametrize(("text", "expected"), BOOLS_OK)
def test_parse_bool_accepts(text: str | int | bool, expected: bool) -> None:
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["maybe", "", "2", "on", "off", 2])
def test_parse_bool_rejects_and_says_what_is_allowed(text: str | int) -> None:
    with pytest.raises(ValueError, match=r"is not a boolean: expected true/false, 1/0 or yes/no"):
        parse_bool(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a,b", ("a", "b")),
        (" https://a.example , ,https://b.example ", ("https://a.example", "https://b.example")),
        ("", ()),
        (["10.0.0.0/8", " 192.168.0.0/16 "], ("10.0.0.0/8", "192.168.0.0/16")),
        ((), ()),
    ],
)
def test_parse_list_accepts(value: str | list[str], expected: tuple[str, ...]) -> None:
    assert parse_list(value) == expected


@pytest.mark.parametrize("value", [[1, 2], 5, {"a": 1}])
def test_parse_list_rejects(value: object) -> None:
    with pytest.raises(ValueError, match="is not a list"):
        parse_list(cast(Any, value))


@pytest.mark.parametrize(("value", "expected"), [("42", 42), (" -3 ", -3), (7, 7)])
def test_parse_int_accepts(value: str | int, expected: int) -> None:
    assert parse_int(value) == expected


@pytest.mark.parametrize("value", ["4.2", "", "x", True, 1.5])
def test_parse_int_rejects(value: object) -> None:
    with pytest.raises(ValueError, match="is not an integer"):
        parse_int(cast(Any, value))


# --- the key table (operations.md §2) ---------------------------------------------------------

# key, variable, built-in default, sample value (as a variable), the sample parsed.
KEY_TABLE: list[tuple[str, str, object, str, object]] = [
    ("env", "FLOWRA_ENV", "development", "staging", "staging"),
    ("server.host", "FLOWRA_SERVER_HOST", ALL_INTERFACES, "127.0.0.1", "127.0.0.1"),
    ("server.port", "FLOWRA_SERVER_PORT", 8080, "9000", 9000),
    ("server.read_timeout", "FLOWRA_SERVER_READ_TIMEOUT", 30.0, "45s", 45.0),
    ("server.write_timeout", "FLOWRA_SERVER_WRITE_TIMEOUT", 30.0, "1m", 60.0),
    ("server.shutdown_timeout", "FLOWRA_SERVER_SHUTDOWN_TIMEOUT", 10.0, "500ms", 0.5),
    (
        "server.public_url",
        "FLOWRA_SERVER_PUBLIC_URL",
        "http://localhost:8080",
        "https://chat.example.com",
        "https://chat.example.com",
    ),
    (
        "server.trusted_proxies",
        "FLOWRA_SERVER_TRUSTED_PROXIES",
        (),
        "10.0.0.0/8, 192.168.0.0/16",
        ("10.0.0.0/8", "192.168.0.0/16"),
    ),
    ("server.max_concurrent_requests", "FLOWRA_SERVER_MAX_CONCURRENT_REQUESTS", 32, "8", 8),
    ("server.queue_timeout", "FLOWRA_SERVER_QUEUE_TIMEOUT", 5.0, "1500ms", 1.5),
    (
        "mongodb.uri",
        "FLOWRA_MONGODB_URI",
        "mongodb://localhost:27017",
        "mongodb://db:27017",
        "mongodb://db:27017",
    ),
    ("mongodb.database", "FLOWRA_MONGODB_DATABASE", "flowra", "chat", "chat"),
    ("mongodb.timeout", "FLOWRA_MONGODB_TIMEOUT", 10.0, "3s", 3.0),
    ("mongodb.max_pool_size", "FLOWRA_MONGODB_MAX_POOL_SIZE", 100, "50", 50),
    ("redis.addr", "FLOWRA_REDIS_ADDR", "localhost:6379", "redis:6379", "redis:6379"),
    ("redis.password", "FLOWRA_REDIS_PASSWORD", "", "redis-pass", "redis-pass"),
    ("redis.db", "FLOWRA_REDIS_DB", 0, "2", 2),
    ("redis.pool_size", "FLOWRA_REDIS_POOL_SIZE", 10, "20", 20),
    (
        "keycloak.url",
        "FLOWRA_KEYCLOAK_URL",
        "http://localhost:8090",
        "http://keycloak:8080",
        "http://keycloak:8080",
    ),
    (
        "keycloak.public_url",
        "FLOWRA_KEYCLOAK_PUBLIC_URL",
        "http://localhost:8090",
        "https://auth.example.com",
        "https://auth.example.com",
    ),
    ("keycloak.realm", "FLOWRA_KEYCLOAK_REALM", "flowra", "acme", "acme"),
    ("keycloak.client_id", "FLOWRA_KEYCLOAK_CLIENT_ID", "flowra-backend", "backend", "backend"),
    ("keycloak.client_secret", "FLOWRA_KEYCLOAK_CLIENT_SECRET", "", "kc-secret", "kc-secret"),
    ("keycloak.audience", "FLOWRA_KEYCLOAK_AUDIENCE", "", "flowra-api", "flowra-api"),
    ("keycloak.admin_username", "FLOWRA_KEYCLOAK_ADMIN_USERNAME", "", "svc", "svc"),
    ("keycloak.admin_password", "FLOWRA_KEYCLOAK_ADMIN_PASSWORD", "", "adm-pass", "adm-pass"),
    (
        "keycloak.jwks_refresh_interval",
        "FLOWRA_KEYCLOAK_JWKS_REFRESH_INTERVAL",
        3600.0,
        "30m",
        1800.0,
    ),
    ("auth.provider", "FLOWRA_AUTH_PROVIDER", "local", "keycloak", "keycloak"),
    ("auth.jwt_secret", "FLOWRA_AUTH_JWT_SECRET", "", "j" * 40, "j" * 40),
    ("auth.access_token_ttl", "FLOWRA_AUTH_ACCESS_TOKEN_TTL", 900.0, "5m", 300.0),
    ("auth.refresh_token_ttl", "FLOWRA_AUTH_REFRESH_TOKEN_TTL", 604800.0, "30d", 2592000.0),
    ("eventbus.type", "FLOWRA_EVENTBUS_TYPE", "inmemory", "redis", "redis"),
    (
        "eventbus.redis_channel_prefix",
        "FLOWRA_EVENTBUS_REDIS_CHANNEL_PREFIX",
        "events.",
        "flowra.events.",
        "flowra.events.",
    ),
    ("log.level", "FLOWRA_LOG_LEVEL", "info", "debug", "debug"),
    ("log.format", "FLOWRA_LOG_FORMAT", "json", "text", "text"),
    ("websocket.read_buffer_size", "FLOWRA_WEBSOCKET_READ_BUFFER_SIZE", 1024, "4KiB", 4096),
    ("websocket.write_buffer_size", "FLOWRA_WEBSOCKET_WRITE_BUFFER_SIZE", 1024, "2048", 2048),
    ("websocket.ping_interval", "FLOWRA_WEBSOCKET_PING_INTERVAL", 30.0, "20s", 20.0),
    ("websocket.pong_timeout", "FLOWRA_WEBSOCKET_PONG_TIMEOUT", 60.0, "90s", 90.0),
    ("websocket.max_frame_size", "FLOWRA_WEBSOCKET_MAX_FRAME_SIZE", 65536, "1MiB", 1048576),
    ("websocket.send_queue_size", "FLOWRA_WEBSOCKET_SEND_QUEUE_SIZE", 256, "512", 512),
    (
        "websocket.max_connections_per_user",
        "FLOWRA_WEBSOCKET_MAX_CONNECTIONS_PER_USER",
        20,
        "5",
        5,
    ),
    ("websocket.ticket_ttl", "FLOWRA_WEBSOCKET_TICKET_TTL", 30.0, "1m", 60.0),
    ("websocket.resume_window", "FLOWRA_WEBSOCKET_RESUME_WINDOW", 86400.0, "48h", 172800.0),
    ("websocket.presence_grace", "FLOWRA_WEBSOCKET_PRESENCE_GRACE", 5.0, "10s", 10.0),
    ("storage.backend", "FLOWRA_STORAGE_BACKEND", "memory", "mongo", "mongo"),
    ("uploads.dir", "FLOWRA_UPLOADS_DIR", "./uploads", "/data/uploads", "/data/uploads"),
    ("uploads.max_size", "FLOWRA_UPLOADS_MAX_SIZE", 10485760, "25MiB", 26214400),
    (
        "cors.allowed_origins",
        "FLOWRA_CORS_ALLOWED_ORIGINS",
        (),
        "https://a.example.com,https://b.example.com",
        ("https://a.example.com", "https://b.example.com"),
    ),
    ("rate_limit.enabled", "FLOWRA_RATE_LIMIT_ENABLED", False, "true", True),
    ("rate_limit.window", "FLOWRA_RATE_LIMIT_WINDOW", 60.0, "30s", 30.0),
    ("rate_limit.user_limit", "FLOWRA_RATE_LIMIT_USER_LIMIT", 600, "1000", 1000),
    ("rate_limit.ip_limit", "FLOWRA_RATE_LIMIT_IP_LIMIT", 120, "60", 60),
    ("rate_limit.auth_limit", "FLOWRA_RATE_LIMIT_AUTH_LIMIT", 30, "10", 10),
    ("metrics.enabled", "FLOWRA_METRICS_ENABLED", True, "false", False),
    ("worker.embedded", "FLOWRA_WORKER_EMBEDDED", False, "true", True),
    ("worker.metrics_port", "FLOWRA_WORKER_METRICS_PORT", 9091, "0", 0),
    ("worker.relay_interval", "FLOWRA_WORKER_RELAY_INTERVAL", 1.0, "250ms", 0.25),
    ("worker.relay_batch_size", "FLOWRA_WORKER_RELAY_BATCH_SIZE", 100, "500", 500),
    ("worker.catchup_interval", "FLOWRA_WORKER_CATCHUP_INTERVAL", 5.0, "10s", 10.0),
    ("worker.user_sync_enabled", "FLOWRA_WORKER_USER_SYNC_ENABLED", True, "no", False),
    ("worker.user_sync_interval", "FLOWRA_WORKER_USER_SYNC_INTERVAL", 900.0, "1h", 3600.0),
    ("worker.repair_interval", "FLOWRA_WORKER_REPAIR_INTERVAL", 30.0, "1m30s", 90.0),
    ("audit.enabled", "FLOWRA_AUDIT_ENABLED", True, "false", False),
    ("audit.retention", "FLOWRA_AUDIT_RETENTION", 365 * 86400.0, "30d", 30 * 86400.0),
    ("webhooks.timeout", "FLOWRA_WEBHOOKS_TIMEOUT", 10.0, "5s", 5.0),
    (
        "webhooks.allow_private_targets",
        "FLOWRA_WEBHOOKS_ALLOW_PRIVATE_TARGETS",
        False,
        "true",
        True,
    ),
    (
        "webhooks.allowed_hosts",
        "FLOWRA_WEBHOOKS_ALLOWED_HOSTS",
        (),
        "ci.internal,10.0.0.5",
        ("ci.internal", "10.0.0.5"),
    ),
    ("webhooks.delivery_interval", "FLOWRA_WEBHOOKS_DELIVERY_INTERVAL", 2.0, "1s", 1.0),
    (
        "webhooks.delivery_retention",
        "FLOWRA_WEBHOOKS_DELIVERY_RETENTION",
        30 * 86400.0,
        "7d",
        7 * 86400.0,
    ),
]
# Variables a row needs so that its sample is visible (memory storage forces unified mode).
ROW_CONTEXT: dict[str, dict[str, str]] = {"worker.embedded": {"FLOWRA_STORAGE_BACKEND": "mongo"}}


def test_model_has_exactly_the_keys_of_the_spec_table() -> None:
    assert [(spec.key, spec.env_var) for spec in key_specs()] == [
        (key, variable) for key, variable, *_ in KEY_TABLE
    ]


@pytest.mark.parametrize(("key", "default"), [(row[0], row[2]) for row in KEY_TABLE])
def test_built_in_defaults_match_the_spec(key: str, default: object) -> None:
    assert value_at(Settings(), key) == default


@pytest.mark.parametrize(
    ("key", "variable", "sample", "expected"), [(r[0], r[1], r[3], r[4]) for r in KEY_TABLE]
)
def test_every_variable_is_honoured(key: str, variable: str, sample: str, expected: object) -> None:
    context = ROW_CONTEXT.get(key, {})
    baseline = load_settings(environ=context).settings
    loaded = load_settings(environ={**context, variable: sample})
    assert value_at(loaded.settings, key) == expected
    assert value_at(loaded.settings, key) != value_at(baseline, key)
    assert key in loaded.explicit_keys


@pytest.mark.parametrize(("key", "sample", "expected"), [(r[0], r[3], r[4]) for r in KEY_TABLE])
def test_every_yaml_key_is_honoured(
    key: str, sample: str, expected: object, tmp_path: Path
) -> None:
    section, _, name = key.rpartition(".")
    data: dict[str, Any] = {section: {name: sample}} if section else {name: sample}
    if key in ROW_CONTEXT:
        data["storage"] = {"backend": "mongo"}
    loaded = load_settings(write_yaml(tmp_path / "c.yaml", data), environ={})
    assert value_at(loaded.settings, key) == expected
    assert key in loaded.explicit_keys


# --- the deployment guide --------------------------------------------------------------------

# Every variable of the guide's "Environment Variables" tables, with a sample value.
GUIDE_VARIABLES = {
    "FLOWRA_SERVER_HOST": "127.0.0.1",
    "FLOWRA_SERVER_PORT": "9090",
    "FLOWRA_SERVER_READ_TIMEOUT": "20s",
    "FLOWRA_SERVER_WRITE_TIMEOUT": "25s",
    "FLOWRA_SERVER_SHUTDOWN_TIMEOUT": "5s",
    "FLOWRA_MONGODB_URI": "mongodb://mongodb:27017",
    "FLOWRA_MONGODB_DATABASE": "flowra_test",
    "FLOWRA_MONGODB_TIMEOUT": "5s",
    "FLOWRA_MONGODB_MAX_POOL_SIZE": "20",
    "FLOWRA_REDIS_ADDR": "redis:6379",
    "FLOWRA_REDIS_PASSWORD": "redis-pass",
    "FLOWRA_REDIS_DB": "1",
    "FLOWRA_REDIS_POOL_SIZE": "5",
    "FLOWRA_KEYCLOAK_URL": "http://keycloak:8080",
    "FLOWRA_KEYCLOAK_REALM": "acme",
    "FLOWRA_KEYCLOAK_CLIENT_ID": "acme-backend",
    "FLOWRA_KEYCLOAK_CLIENT_SECRET": "acme-client-secret",
    "FLOWRA_AUTH_JWT_SECRET": "an-operator-chosen-secret-of-forty-bytes!",
    "FLOWRA_AUTH_ACCESS_TOKEN_TTL": "10m",
    "FLOWRA_AUTH_REFRESH_TOKEN_TTL": "14d",
    "FLOWRA_LOG_LEVEL": "warn",
    "FLOWRA_LOG_FORMAT": "text",
    "FLOWRA_ENV": "staging",
    "FLOWRA_WEBSOCKET_READ_BUFFER_SIZE": "2048",
    "FLOWRA_WEBSOCKET_WRITE_BUFFER_SIZE": "4096",
    "FLOWRA_WEBSOCKET_PING_INTERVAL": "15s",
    "FLOWRA_WEBSOCKET_PONG_TIMEOUT": "45s",
}

GUIDE_CONFIG_YAML = """
server:
  host: "0.0.0.0"
  port: 8080
  read_timeout: 30s
  write_timeout: 30s
  shutdown_timeout: 10s

mongodb:
  uri: "mongodb://admin:admin123@localhost:27017"
  database: "flowra"
  timeout: 10s
  max_pool_size: 100

redis:
  addr: "localhost:6379"
  password: ""
  db: 0
  pool_size: 10

keycloak:
  url: "http://localhost:8090"
  realm: "flowra"
  client_id: "flowra-backend"
  client_secret: "your-client-secret"
  admin_username: "admin"
  admin_password: "admin123"

auth:
  jwt_secret: "your-secure-jwt-secret"
  access_token_ttl: 15m
  refresh_token_ttl: 7d

eventbus:
  type: "redis"  # redis | inmemory
  redis_channel_prefix: "events."

log:
  level: "info"  # debug | info | warn | error
  format: "json"  # json | text

websocket:
  read_buffer_size: 1024
  write_buffer_size: 1024
  ping_interval: 30s
  pong_timeout: 60s
"""


def test_every_guide_variable_is_honoured_together() -> None:
    specs = {spec.env_var: spec for spec in key_specs()}
    loaded = load_settings(environ=GUIDE_VARIABLES)
    for variable, sample in GUIDE_VARIABLES.items():
        spec = specs[variable]
        assert value_at(loaded.settings, spec.key) == spec.convert(sample), variable
        assert value_at(loaded.settings, spec.key) != value_at(Settings(), spec.key), variable
    assert loaded.warnings == []


def test_guide_config_yaml_loads_without_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(GUIDE_CONFIG_YAML, encoding="utf-8")
    loaded = load_settings(str(path), environ={})
    assert loaded.source == str(path)
    assert loaded.warnings == []
    assert loaded.settings.eventbus.type == "redis"
    assert loaded.settings.mongodb.uri == "mongodb://admin:admin123@localhost:27017"
    assert loaded.settings.keycloak.admin_username == "admin"
    assert loaded.settings.auth.refresh_token_ttl == 7 * 86400.0


def test_guide_config_yaml_is_refused_in_production(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(GUIDE_CONFIG_YAML, encoding="utf-8")
    with pytest.raises(SettingsError) as excinfo:
        load_settings(str(path), environ={"FLOWRA_ENV": "production"})
    keys = {line.split(":")[0].split(" ")[0] for line in problems_of(excinfo)}
    assert {"auth.jwt_secret", "keycloak.client_secret", "mongodb.uri"} <= keys


# --- embedded default profile, sources and precedence -----------------------------------------


def test_no_file_and_no_variables_give_the_embedded_profile() -> None:
    loaded = load_settings(environ={})
    settings = loaded.settings
    assert loaded.source is None
    assert settings.env == "development"
    assert settings.server.port == 8080
    assert settings.storage.backend == "memory"
    assert settings.eventbus.type == "inmemory"
    assert settings.auth.provider == "local"
    assert settings.worker.embedded is True  # unified mode is forced by the memory backend
    assert settings.rate_limit.enabled is False
    assert settings.is_ephemeral
    assert not settings.is_production
    assert loaded.explicit_keys == frozenset()


def test_empty_jwt_secret_outside_production_gets_a_random_secret_and_a_warning() -> None:
    first = load_settings(environ={})
    second = load_settings(environ={})
    assert len(first.settings.auth.jwt_secret) >= 64
    assert first.settings.auth.jwt_secret != second.settings.auth.jwt_secret
    assert any("auth.jwt_secret is empty" in warning for warning in first.warnings)


def test_process_environment_is_used_when_no_mapping_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLOWRA_SERVER_PORT", "8181")
    assert load_settings().settings.server.port == 8181


def test_yaml_overrides_defaults_and_environment_overrides_yaml(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "c.yaml",
        {"server": {"port": 9000, "host": "10.1.1.1"}, "log": {"level": "warn"}},
    )
    loaded = load_settings(path, environ={"FLOWRA_SERVER_PORT": "9500"})
    assert loaded.settings.server.port == 9500  # environment wins
    assert loaded.settings.server.host == "10.1.1.1"  # file wins over the default
    assert loaded.settings.log.level == "warn"
    assert loaded.settings.log.format == "json"  # default
    assert loaded.explicit_keys == {"server.port", "server.host", "log.level"}


def test_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "c.yaml", {"server": {"port": 9000}})
    environ = {"FLOWRA_SERVER_PORT": "", "FLOWRA_LOG_LEVEL": "", "FLOWRA_CONFIG": ""}
    loaded = load_settings(path, environ=environ)
    assert loaded.settings.server.port == 9000
    assert loaded.settings.log.level == "info"
    assert load_settings(environ=environ).source is None


def test_yaml_null_leaves_the_default(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "c.yaml", {"server": {"port": None}, "log": None})
    assert load_settings(path, environ={}).settings.server.port == 8080


def test_config_file_discovery_order(isolated_cwd: Path) -> None:
    etc_file = write_yaml(isolated_cwd / "etc/config.yaml", {"server": {"port": 3}})
    cwd_file = write_yaml(isolated_cwd / "config.yaml", {"server": {"port": 2}})
    configs_file = write_yaml(isolated_cwd / "configs/config.yaml", {"server": {"port": 1}})
    found: list[tuple[str | None, int]] = []
    for used in (configs_file, cwd_file, etc_file):
        loaded = load_settings(environ={})
        found.append((loaded.source, loaded.settings.server.port))
        Path(used).unlink()
    assert found == [(configs_file, 1), (cwd_file, 2), (etc_file, 3)]
    assert load_settings(environ={}).source is None


def test_default_candidates_are_the_documented_ones() -> None:
    assert loader_module.CONFIG_ENV_VAR == "FLOWRA_CONFIG"
    # The fixture patches the module attribute; the documented value stays in the source.
    source = Path(loader_module.__file__).read_text(encoding="utf-8")
    assert (
        'DEFAULT_CONFIG_CANDIDATES = ("./configs/config.yaml", "./config.yaml", '
        '"/etc/flowra/config.yaml")'
    ) in source


def test_flowra_config_names_the_file_and_the_argument_wins(isolated_cwd: Path) -> None:
    write_yaml(isolated_cwd / "configs/config.yaml", {"server": {"port": 1}})
    from_env = write_yaml(isolated_cwd / "env.yaml", {"server": {"port": 2}})
    from_arg = write_yaml(isolated_cwd / "arg.yaml", {"server": {"port": 3}})
    assert load_settings(environ={"FLOWRA_CONFIG": "env.yaml"}).source == from_env
    loaded = load_settings(from_arg, environ={"FLOWRA_CONFIG": from_env})
    assert (loaded.source, loaded.settings.server.port) == (from_arg, 3)


# --- unknown keys and file errors ---------------------------------------------------------------


def test_unknown_yaml_keys_and_variables_are_warnings(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "c.yaml",
        {"server": {"port": 9000, "prot": 1}, "databse": {"x": 1}, "server.host": "h"},
    )
    loaded = load_settings(path, environ={"FLOWRA_SERVER_PROT": "1"})
    assert loaded.settings.server.port == 9000
    assert loaded.settings.server.host == ALL_INTERFACES
    joined = "\n".join(loaded.warnings)
    for fragment in ("'server.prot'", "'databse'", "'server.host'", "FLOWRA_SERVER_PROT"):
        assert fragment in joined


@pytest.mark.parametrize("via_env", [False, True])
def test_missing_named_file_is_an_error(via_env: bool) -> None:
    config_path, environ = (
        (None, {"FLOWRA_CONFIG": "missing.yaml"}) if via_env else ("missing.yaml", {})
    )
    with pytest.raises(SettingsError) as excinfo:
        load_settings(config_path, environ=environ)
    [problem] = problems_of(excinfo)
    assert "'missing.yaml' does not exist" in problem
    assert ("FLOWRA_CONFIG" in problem) is via_env


@pytest.mark.parametrize(
    "content",
    [
        "server: [\n  bad",
        "- a\n- b\n",
        "just a string\n",
        "a: 1\n---\nb: 2\n",
        "x: !!python/name:os.system\n",
    ],
)
def test_file_that_does_not_parse_is_an_error(content: str, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError) as excinfo:
        load_settings(str(path), environ={})
    [problem] = problems_of(excinfo)
    assert "does not parse" in problem


def test_file_must_be_yaml(tmp_path: Path) -> None:
    path = tmp_path / "flowra.conf"
    path.write_text("server: {port: 1}\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"is not a \.yaml or \.yml file"):
        load_settings(str(path), environ={})


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    loaded = load_settings(str(path), environ={})
    assert loaded.source == str(path)
    assert loaded.settings.server.port == 8080


def test_a_sibling_local_file_merged_by_dynaconf_is_reported(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "config.yaml", {"server": {"port": 9000}})
    local = write_yaml(tmp_path / "config.local.yaml", {"log": {"level": "warn"}})
    loaded = load_settings(path, environ={})
    assert loaded.source == path
    assert loaded.settings.log.level == "warn"
    assert any(local in warning for warning in loaded.warnings)


def test_yaml_values_are_literal(tmp_path: Path) -> None:
    # dynaconf would otherwise expand "@format"/"@read_file" tokens.
    path = write_yaml(tmp_path / "c.yaml", {"redis": {"password": "@format {env[HOME]}"}})
    assert load_settings(path, environ={}).settings.redis.password == "@format {env[HOME]}"


def test_dynaconf_reads_no_environment_or_dotenv_on_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = write_yaml(tmp_path / "main.yaml", {"server": {"port": 7000}})
    other = write_yaml(tmp_path / "other.yaml", {"server": {"port": 1111, "host": "evil"}})
    (tmp_path / ".env").write_text("FLOWRA_SERVER_PORT=2222\nDYNACONF_SERVER__PORT=3333\n")
    for name, value in {
        "DYNACONF_SERVER__HOST": "evil",
        "FLOWRA_SERVER_HOST": "from-process-env",
        "SETTINGS_FILE_FOR_DYNACONF": other,
        "INCLUDES_FOR_DYNACONF": other,
        "PRELOAD_FOR_DYNACONF": other,
        "SECRETS_FOR_DYNACONF": other,
        "ENVVAR_FOR_DYNACONF": "MY_SETTINGS",
        "MY_SETTINGS": other,
        "LOADERS_FOR_DYNACONF": '["dynaconf.loaders.env_loader"]',
        "ENVVAR_PREFIX_FOR_DYNACONF": "FLOWRA",
        "LOAD_DOTENV_FOR_DYNACONF": "true",
        "ENVIRONMENTS_FOR_DYNACONF": "true",
        "AUTO_CAST_FOR_DYNACONF": "true",
    }.items():
        monkeypatch.setenv(name, value)
    loaded = load_settings(main, environ={})
    assert (loaded.settings.server.port, loaded.settings.server.host) == (7000, ALL_INTERFACES)
    assert "FLOWRA_SERVER_PORT" not in os.environ


# --- invalid values -----------------------------------------------------------------------------


def test_every_problem_is_reported_with_key_value_and_what_is_allowed(tmp_path: Path) -> None:
    path = write_yaml(
        tmp_path / "c.yaml",
        {
            "server": {"port": 80, "read_timeout": "soon"},
            "websocket": {"ping_interval": "60s", "pong_timeout": "30s"},
            "rate_limit": {"user_limit": 0},
            "cors": {"allowed_origins": ["*"]},
            "metrics": "on",
        },
    )
    environ = {
        "FLOWRA_SERVER_PORT": "abc",
        "FLOWRA_WORKER_METRICS_PORT": "70000",
        "FLOWRA_WORKER_RELAY_INTERVAL": "0s",
        "FLOWRA_UPLOADS_MAX_SIZE": "10MB",
        "FLOWRA_WORKER_USER_SYNC_ENABLED": "maybe",
        "FLOWRA_LOG_LEVEL": "verbose",
        "FLOWRA_REDIS_DB": "-1",
    }
    with pytest.raises(SettingsError) as excinfo:
        load_settings(path, environ=environ)
    expected = [
        "metrics: 'on' is not a mapping of metrics.* keys",
        "server.port (FLOWRA_SERVER_PORT): 'abc' is not an integer between 1 and 65535",
        "server.read_timeout: 'soon' is not a duration: expected an integer number of seconds "
        "or one or more <integer><unit> groups with units ms, s, m, h, d "
        "(e.g. 500ms, 30s, 1h30m, 7d)",
        "redis.db (FLOWRA_REDIS_DB): '-1' is not an integer >= 0",
        "log.level (FLOWRA_LOG_LEVEL): 'verbose' is not one of: debug, error, info, warn",
        "uploads.max_size (FLOWRA_UPLOADS_MAX_SIZE): '10MB' is not a size: expected a number "
        "of bytes or an integer with KiB, MiB or GiB (e.g. 65536, 64KiB, 10MiB)",
        "rate_limit.user_limit: 0 is not an integer >= 1",
        "worker.metrics_port (FLOWRA_WORKER_METRICS_PORT): '70000' is not an integer between "
        "0 and 65535",
        "worker.relay_interval (FLOWRA_WORKER_RELAY_INTERVAL): '0s' is not a duration > 0",
        "worker.user_sync_enabled (FLOWRA_WORKER_USER_SYNC_ENABLED): 'maybe' is not a boolean: "
        "expected true/false, 1/0 or yes/no",
        "websocket.pong_timeout: '30s' is not greater than websocket.ping_interval (60s)",
        "cors.allowed_origins: ['*'] contains '*'; list exact origins instead",
    ]
    assert sorted(problems_of(excinfo)) == sorted(expected)
    assert str(excinfo.value).startswith("invalid configuration (12 problems):")


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("FLOWRA_SERVER_PORT", "0", "'0' is not an integer between 1 and 65535"),
        ("FLOWRA_SERVER_PORT", "65536", "'65536' is not an integer between 1 and 65535"),
        ("FLOWRA_AUTH_ACCESS_TOKEN_TTL", "0", "'0' is not a duration > 0"),
        ("FLOWRA_WEBSOCKET_TICKET_TTL", "0ms", "'0ms' is not a duration > 0"),
        ("FLOWRA_KEYCLOAK_JWKS_REFRESH_INTERVAL", "0s", "'0s' is not a duration > 0"),
        ("FLOWRA_WEBSOCKET_READ_BUFFER_SIZE", "0", "'0' is not a size > 0"),
        ("FLOWRA_WEBSOCKET_PONG_TIMEOUT", "30s", "'30s' is not greater than"),
        ("FLOWRA_CORS_ALLOWED_ORIGINS", "https://a.example,*", "'https://a.example,*' contains"),
        ("FLOWRA_ENV", "prod", "'prod' is not one of: development, production, staging, test"),
        ("FLOWRA_STORAGE_BACKEND", "postgres", "'postgres' is not one of: memory, mongo"),
    ],
)
def test_rule_violations_are_refused(variable: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as excinfo:
        load_settings(environ={variable: value})
    [problem] = problems_of(excinfo)
    assert f"({variable}): {fragment}" in problem


def test_secrets_are_never_printed(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "c.yaml", {"redis": {"password": ["hunter2", "x"]}})
    with pytest.raises(SettingsError) as excinfo:
        load_settings(
            path, environ={"FLOWRA_KEYCLOAK_ADMIN_PASSWORD": "admin123", "FLOWRA_ENV": "production"}
        )
    text = str(excinfo.value)
    assert "redis.password: *** is not a string" in text
    assert "keycloak.admin_password (FLOWRA_KEYCLOAK_ADMIN_PASSWORD): ***" in text
    assert "hunter2" not in text
    assert "admin123" not in text


def test_settings_repr_masks_secrets() -> None:
    loaded = load_settings(
        environ={"FLOWRA_REDIS_PASSWORD": "hunter2", "FLOWRA_KEYCLOAK_CLIENT_SECRET": "kc-s3cr3t"}
    )
    text = repr(loaded.settings)
    assert "hunter2" not in text
    assert "kc-s3cr3t" not in text
    assert loaded.settings.auth.jwt_secret not in text
    assert "password='***'" in text


# --- derived defaults ---------------------------------------------------------------------------


def test_keycloak_public_url_defaults_to_url() -> None:
    loaded = load_settings(environ={"FLOWRA_KEYCLOAK_URL": "http://kc:8080"})
    assert loaded.settings.keycloak.public_url == "http://kc:8080"
    assert loaded.settings.keycloak.issuer == "http://kc:8080/realms/flowra"
    explicit = load_settings(
        environ={"FLOWRA_KEYCLOAK_URL": "http://kc:8080", "FLOWRA_KEYCLOAK_PUBLIC_URL": "https://a"}
    )
    assert explicit.settings.keycloak.public_url == "https://a"


def test_rate_limit_defaults_to_enabled_in_production_only() -> None:
    production = load_settings(environ=PRODUCTION)
    assert production.settings.rate_limit.enabled is True
    assert load_settings(environ={"FLOWRA_ENV": "staging"}).settings.rate_limit.enabled is False
    disabled = load_settings(environ={**PRODUCTION, "FLOWRA_RATE_LIMIT_ENABLED": "false"})
    assert disabled.settings.rate_limit.enabled is False


def test_memory_backend_forces_unified_mode() -> None:
    loaded = load_settings(environ={"FLOWRA_WORKER_EMBEDDED": "false"})
    assert loaded.settings.worker.embedded is True
    assert any("worker.embedded (FLOWRA_WORKER_EMBEDDED) is forced" in w for w in loaded.warnings)
    mongo = load_settings(environ={"FLOWRA_STORAGE_BACKEND": "mongo"})
    assert mongo.settings.worker.embedded is False


# --- production safety (operations.md §3) -------------------------------------------------------

PRODUCTION = {
    "FLOWRA_ENV": "production",
    "FLOWRA_STORAGE_BACKEND": "mongo",
    "FLOWRA_EVENTBUS_TYPE": "redis",
    "FLOWRA_AUTH_PROVIDER": "keycloak",
    "FLOWRA_AUTH_JWT_SECRET": "0123456789abcdef0123456789abcdef",  # exactly 32 bytes
    "FLOWRA_KEYCLOAK_CLIENT_SECRET": "a-real-client-secret",
    "FLOWRA_KEYCLOAK_ADMIN_PASSWORD": "a-real-admin-password",
    "FLOWRA_MONGODB_URI": "mongodb://flowra:strong-pass@mongodb:27017",
    "FLOWRA_REDIS_PASSWORD": "redis-pass",
    "FLOWRA_SERVER_PUBLIC_URL": "https://chat.example.com",
    "FLOWRA_CORS_ALLOWED_ORIGINS": "https://chat.example.com",
}


def test_a_safe_production_configuration_loads_without_warnings() -> None:
    loaded = load_settings(environ=PRODUCTION)
    assert loaded.settings.is_production
    assert loaded.warnings == []
    assert loaded.settings.auth.jwt_secret == PRODUCTION["FLOWRA_AUTH_JWT_SECRET"]


# variable, value, key refused, fragment of the reason.
REFUSALS = [
    ("FLOWRA_AUTH_JWT_SECRET", "", "auth.jwt_secret", "'' (empty) is not allowed"),
    ("FLOWRA_AUTH_JWT_SECRET", "0123456789abcdef0123456789abcde", "auth.jwt_secret", "shorter"),
    ("FLOWRA_AUTH_JWT_SECRET", "dev-secret-change-in-production", "auth.jwt_secret", "known"),
    ("FLOWRA_AUTH_JWT_SECRET", "your-secure-jwt-secret", "auth.jwt_secret", "known default"),
    ("FLOWRA_AUTH_JWT_SECRET", "change-me", "auth.jwt_secret", "known default"),
    ("FLOWRA_AUTH_JWT_SECRET", "secret", "auth.jwt_secret", "known default"),
    ("FLOWRA_STORAGE_BACKEND", "memory", "storage.backend", "'memory' is not allowed"),
    ("FLOWRA_EVENTBUS_TYPE", "inmemory", "eventbus.type", "'inmemory' is not allowed"),
    ("FLOWRA_AUTH_PROVIDER", "local", "auth.provider", "'local' is not allowed"),
    ("FLOWRA_KEYCLOAK_CLIENT_SECRET", "", "keycloak.client_secret", "'' (empty) is not allowed"),
    ("FLOWRA_KEYCLOAK_CLIENT_SECRET", "your-client-secret", "keycloak.client_secret", "known"),
    (
        "FLOWRA_KEYCLOAK_CLIENT_SECRET",
        "flowra-dev-secret-change-in-production",
        "keycloak.client_secret",
        "known default",
    ),
    ("FLOWRA_KEYCLOAK_ADMIN_PASSWORD", "admin", "keycloak.admin_password", "known default"),
    ("FLOWRA_KEYCLOAK_ADMIN_PASSWORD", "admin123", "keycloak.admin_password", "known default"),
    ("FLOWRA_MONGODB_URI", "mongodb://admin:admin123@db:27017", "mongodb.uri", "admin:admin123"),
    (
        "FLOWRA_MONGODB_URI",
        "mongodb+srv://admin:admin123@a.example,b.example/flowra",
        "mongodb.uri",
        "known default credentials",
    ),
    ("FLOWRA_CORS_ALLOWED_ORIGINS", "*", "cors.allowed_origins", "contains '*'"),
    ("FLOWRA_SERVER_PUBLIC_URL", "http://chat.example.com", "server.public_url", "https://"),
]


@pytest.mark.parametrize(("variable", "value", "key", "fragment"), REFUSALS)
def test_each_production_condition_is_refused(
    variable: str, value: str, key: str, fragment: str
) -> None:
    with pytest.raises(SettingsError) as excinfo:
        load_settings(environ={**PRODUCTION, variable: value})
    [problem] = problems_of(excinfo)
    assert problem.startswith(key)
    assert fragment in problem
    if value and ("secret" in key or "password" in key):
        assert repr(value) not in problem


def test_multibyte_jwt_secret_is_measured_in_bytes() -> None:
    loaded = load_settings(environ={**PRODUCTION, "FLOWRA_AUTH_JWT_SECRET": "é" * 16})
    assert loaded.settings.auth.jwt_secret == "é" * 16


@pytest.mark.parametrize(
    ("variable", "value", "warning"),
    [
        ("FLOWRA_REDIS_PASSWORD", "", "redis.password is empty"),
        ("FLOWRA_RATE_LIMIT_ENABLED", "false", "rate_limit.enabled is false"),
        ("FLOWRA_AUDIT_ENABLED", "false", "audit.enabled is false"),
        ("FLOWRA_LOG_LEVEL", "debug", "log.level is debug"),
    ],
)
def test_production_warnings_do_not_refuse(variable: str, value: str, warning: str) -> None:
    loaded = load_settings(environ={**PRODUCTION, variable: value})
    assert [w for w in loaded.warnings if warning in w] != []


def test_production_refusals_are_all_listed_and_safety_is_usable_alone() -> None:
    production_defaults = Settings(env="production", log=LogSettings(level="debug"))
    report = check_production(production_defaults)
    assert {problem.key for problem in report.problems} == {
        "auth.jwt_secret",
        "storage.backend",
        "eventbus.type",
        "auth.provider",
        "keycloak.client_secret",
        "server.public_url",
    }
    assert len(report.warnings) == 3
    with pytest.raises(SettingsError):
        ensure_production_safe(production_defaults)
    assert check_production(Settings()).problems == []


def test_example_config_holds_every_key_and_selects_external_services() -> None:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    in_file = set()
    for top, content in data.items():
        in_file |= {f"{top}.{name}" for name in content} if isinstance(content, dict) else {top}
    assert in_file == {spec.key for spec in key_specs()}
    loaded: LoadedSettings = load_settings(str(EXAMPLE_CONFIG), environ={})
    assert loaded.warnings == []
    settings = loaded.settings
    assert (settings.storage.backend, settings.eventbus.type, settings.auth.provider) == (
        "mongo",
        "redis",
        "keycloak",
    )
    assert settings.keycloak.client_secret == "your-client-secret"
    assert settings.auth.jwt_secret == "your-secure-jwt-secret"
    assert settings.worker.embedded is False


def test_example_config_is_refused_in_production() -> None:
    with pytest.raises(SettingsError) as excinfo:
        load_settings(str(EXAMPLE_CONFIG), environ={"FLOWRA_ENV": "production"})
    problems = problems_of(excinfo)
    for key in ("auth.jwt_secret", "keycloak.client_secret", "keycloak.admin_password"):
        assert any(problem.startswith(f"{key}: ***") for problem in problems), key
    assert any(problem.startswith("mongodb.uri") for problem in problems)
    assert "your-secure-jwt-secret" not in str(excinfo.value)
