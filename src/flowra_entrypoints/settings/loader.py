"""``load_settings``: built-in defaults < YAML file < ``FLOWRA_*`` variables (operations.md §2),
then the derived defaults, the cross-key rules and the production rules of §3.

Every problem is collected and raised together as one ``SettingsError``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

import msgspec

from .errors import Problem, SettingsError
from .keys import ENV_PREFIX, build_settings, key_specs, section_names
from .model import Settings
from .safety import check_production
from .yaml_source import YamlSourceError, read_yaml_file

CONFIG_ENV_VAR = "FLOWRA_CONFIG"
DEFAULT_CONFIG_CANDIDATES = ("./configs/config.yaml", "./config.yaml", "/etc/flowra/config.yaml")

_FROM_ENV = "env"
_FROM_FILE = "file"
_SPECS = {spec.key: spec for spec in key_specs()}


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    source: str | None  # the YAML file used, None when running on defaults + environment
    warnings: list[str] = field(default_factory=list)
    # Keys given in the file or the environment, e.g. to tell an explicit `uploads.dir`.
    explicit_keys: frozenset[str] = frozenset()


@dataclass
class _RawValue:
    value: object
    origin: str  # _FROM_ENV or _FROM_FILE


def load_settings(
    config_path: str | None = None, environ: Mapping[str, str] | None = None
) -> LoadedSettings:
    env = {
        name: value
        for name, value in (os.environ if environ is None else environ).items()
        if value != ""  # an empty variable counts as unset
    }
    warnings: list[str] = []
    source = _choose_config_file(config_path, env)
    file_values, file_problems = _read_file_values(source, warnings) if source else ({}, [])
    raw = _collect_raw_values(file_values, env)
    warnings.extend(_unknown_variable_warnings(env))

    problems: list[Problem] = list(file_problems)
    values: dict[str, object] = {}
    for key, item in raw.items():
        try:
            values[key] = _SPECS[key].convert(item.value)
        except ValueError as exc:
            problems.append(Problem(key, str(exc)))

    settings = _apply_derived_defaults(build_settings(values), set(values), raw, warnings)
    # Checks on keys that already failed would only restate the failure with a default value.
    problems.extend(_cross_key_problems(settings, raw, failed=_keys(problems)))
    safety = check_production(settings)
    problems.extend(p for p in safety.problems if p.key not in _keys(problems))
    if problems:
        raise SettingsError([f"{_label(p.key, raw)}: {p.message}" for p in problems])
    warnings.extend(safety.warnings)

    if not settings.auth.jwt_secret and not settings.is_production:
        settings = _replace(settings, "auth", jwt_secret=secrets.token_urlsafe(48))
        warnings.append(
            "auth.jwt_secret is empty: using a random per-process secret; "
            "sessions and local tokens do not survive a restart"
        )
    return LoadedSettings(
        settings=settings, source=source, warnings=warnings, explicit_keys=frozenset(raw)
    )


def _choose_config_file(config_path: str | None, env: Mapping[str, str]) -> str | None:
    named, label = (config_path, "config file") if config_path else (None, "")
    if named is None and CONFIG_ENV_VAR in env:
        named, label = env[CONFIG_ENV_VAR], f"config file ({CONFIG_ENV_VAR})"
    if named is not None:
        path = os.path.abspath(named)
        if not os.path.isfile(path):
            raise SettingsError([f"{label}: {named!r} does not exist or is not a file"])
        if not path.endswith((".yaml", ".yml")):
            raise SettingsError([f"{label}: {named!r} is not a .yaml or .yml file"])
        return path
    for candidate in DEFAULT_CONFIG_CANDIDATES:
        if os.path.isfile(candidate):
            return os.path.abspath(candidate)
    return None


def _read_file_values(path: str, warnings: list[str]) -> tuple[dict[str, object], list[Problem]]:
    """The file's known keys as ``section.name`` → YAML value; unknown keys become warnings."""
    try:
        data, contributors = read_yaml_file(path)
    except YamlSourceError as exc:
        raise SettingsError([f"config file {path!r} does not parse: {exc}"]) from None
    warnings.extend(f"config file {other!r} was merged too" for other in contributors[1:])
    sections = section_names()
    problems: list[Problem] = []
    values: dict[str, object] = {}
    for top, content in data.items():
        if top in _SPECS and _SPECS[top].section is None:
            values[top] = content
        elif top not in sections:
            warnings.append(f"unknown key {top!r} in {path} (ignored)")
        elif isinstance(content, dict):
            for name, value in content.items():
                key = f"{top}.{str(name).lower()}"
                if key in _SPECS:
                    values[key] = value
                else:
                    warnings.append(f"unknown key {key!r} in {path} (ignored)")
        elif content is not None:
            problems.append(Problem(top, f"{content!r} is not a mapping of {top}.* keys"))
    # A YAML null (`key:` with no value) leaves the key unset.
    return {key: value for key, value in values.items() if value is not None}, problems


def _collect_raw_values(
    file_values: Mapping[str, object], env: Mapping[str, str]
) -> dict[str, _RawValue]:
    raw: dict[str, _RawValue] = {}
    for spec in key_specs():
        if spec.env_var in env:
            raw[spec.key] = _RawValue(env[spec.env_var], _FROM_ENV)
        elif spec.key in file_values:
            raw[spec.key] = _RawValue(file_values[spec.key], _FROM_FILE)
    return raw


def _unknown_variable_warnings(env: Mapping[str, str]) -> list[str]:
    known = {spec.env_var for spec in key_specs()} | {CONFIG_ENV_VAR}
    return [
        f"unknown variable {name} (ignored)"
        for name in sorted(env)
        if name.startswith(ENV_PREFIX) and name not in known
    ]


def _apply_derived_defaults(
    settings: Settings, given: set[str], raw: Mapping[str, _RawValue], warnings: list[str]
) -> Settings:
    if "keycloak.public_url" not in given or not settings.keycloak.public_url:
        settings = _replace(settings, "keycloak", public_url=settings.keycloak.url)
    if "rate_limit.enabled" not in given:
        settings = _replace(settings, "rate_limit", enabled=settings.is_production)
    if settings.storage.backend == "memory" and not settings.worker.embedded:
        if "worker.embedded" in given:
            warnings.append(
                f"{_label('worker.embedded', raw)} is forced to true: "
                "storage.backend=memory always runs in unified mode"
            )
        settings = _replace(settings, "worker", embedded=True)
    return settings


def _cross_key_problems(
    settings: Settings, raw: Mapping[str, _RawValue], failed: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    ws = settings.websocket
    pong_and_ping = {"websocket.pong_timeout", "websocket.ping_interval"}
    if ws.pong_timeout <= ws.ping_interval and not pong_and_ping & failed:
        shown = _shown("websocket.pong_timeout", raw, f"{ws.pong_timeout:g}s")
        problems.append(
            Problem(
                "websocket.pong_timeout",
                f"{shown} is not greater than websocket.ping_interval ({ws.ping_interval:g}s)",
            )
        )
    if "*" in settings.cors.allowed_origins and "cors.allowed_origins" not in failed:
        shown = _shown("cors.allowed_origins", raw, "*")
        problems.append(
            Problem("cors.allowed_origins", f"{shown} contains '*'; list exact origins instead")
        )
    return problems


def _keys(problems: list[Problem]) -> set[str]:
    return {problem.key for problem in problems}


def _shown(key: str, raw: Mapping[str, _RawValue], default_text: str) -> str:
    return repr(raw[key].value) if key in raw else default_text


def _label(key: str, raw: Mapping[str, _RawValue]) -> str:
    item = raw.get(key)
    if item is not None and item.origin == _FROM_ENV:
        return f"{key} ({_SPECS[key].env_var})"
    return key


def _replace(settings: Settings, section: str, **changes: object) -> Settings:
    updated = msgspec.structs.replace(getattr(settings, section), **changes)
    return msgspec.structs.replace(settings, **{section: updated})
