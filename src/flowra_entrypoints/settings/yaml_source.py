"""Reading the YAML file through dynaconf, isolated from the process environment.

Out of the box dynaconf also reads ``DYNACONF_*`` / prefixed variables, ``.env`` files and its own
``*_FOR_DYNACONF`` options (extra files, loaders, redis/vault sources) from ``os.environ``. Our
``FLOWRA_*`` mapping must be the only environment input, so every option that matters is pinned
here and the settings class sees an empty environment.
"""

from __future__ import annotations

from typing import Any

from dynaconf import get_history
from dynaconf.base import Settings as DynaconfSettings


class _EnvironmentBlindSettings(DynaconfSettings):  # type: ignore[misc]  # dynaconf is untyped
    @property
    def environ(self) -> dict[str, str]:
        return {}


_ISOLATION_OPTIONS: dict[str, Any] = {
    "ENVIRONMENTS_FOR_DYNACONF": False,  # no [development]/[production] layers in the file
    "ENVVAR_PREFIX_FOR_DYNACONF": "FLOWRA_DYNACONF_DISABLED",  # and its loader is off anyway
    # Names the variable that would replace our file list; no variable name can contain "=".
    "ENVVAR_FOR_DYNACONF": "FLOWRA_DYNACONF=DISABLED",
    "LOADERS_FOR_DYNACONF": [],  # no env loader, no redis/vault loaders
    "REDIS_ENABLED_FOR_DYNACONF": False,
    "VAULT_ENABLED_FOR_DYNACONF": False,
    "LOAD_DOTENV": False,
    "DOTENV_PATH_FOR_DYNACONF": "",
    "CORE_LOADERS_FOR_DYNACONF": ["YAML"],
    "YAML_LOADER_FOR_DYNACONF": "safe_load",
    "ENCODING_FOR_DYNACONF": "utf-8",
    "AUTO_CAST_FOR_DYNACONF": False,  # keep values literal: no "@format {env[...]}", "@read_file"
    "DOTTED_LOOKUP_FOR_DYNACONF": False,  # a top-level "server.port:" is unknown, not nested
    "MERGE_ENABLED_FOR_DYNACONF": False,
    "INCLUDES_FOR_DYNACONF": [],
    "PRELOAD_FOR_DYNACONF": [],
    "SECRETS_FOR_DYNACONF": [],
    "SKIP_FILES_FOR_DYNACONF": [],
    "SYSENV_FALLBACK_FOR_DYNACONF": False,
    "APPLY_DEFAULT_ON_NONE_FOR_DYNACONF": False,
    "SILENT_ERRORS_FOR_DYNACONF": False,
}


class YamlSourceError(Exception):
    """The file could not be read or parsed; the message is one line."""


def read_yaml_file(path: str) -> tuple[dict[str, object], list[str]]:
    """Return the file's top-level mapping (keys lower-cased) and the paths of every file that
    contributed (dynaconf also merges a sibling ``*.local.yaml``)."""
    try:
        # Built directly: the lazy ``Dynaconf`` wrapper re-reads os.environ while setting up.
        dyn = _EnvironmentBlindSettings(SETTINGS_FILE_FOR_DYNACONF=[path], **_ISOLATION_OPTIONS)
        merged: dict[str, object] = dyn.as_dict()
        history: list[dict[str, Any]] = get_history(dyn)
    # dynaconf surfaces parse failures as assorted (vendored ruamel, AttributeError...) types.
    except Exception as exc:
        raise YamlSourceError(" ".join(str(exc).split()) or type(exc).__name__) from exc
    file_entries = [entry for entry in history if entry.get("loader") == "yaml"]
    file_keys = {key for entry in file_entries for key in entry.get("value") or {}}
    data = {key.lower(): value for key, value in merged.items() if key in file_keys}
    contributors = [str(entry.get("identifier")) for entry in file_entries]
    return data, contributors
