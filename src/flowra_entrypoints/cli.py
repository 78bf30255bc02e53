"""What every console script does first: settings (exit 2 on a bad one) and logging."""

from __future__ import annotations

import sys

from loguru import logger

from flowra_entrypoints.logging import configure_logging
from flowra_entrypoints.settings import LoadedSettings, SettingsError, load_settings

EXIT_RUNTIME_FAILURE = 1
EXIT_CONFIG_ERROR = 2
EXIT_MIGRATIONS_PENDING = 3


def load_or_exit(config_path: str | None) -> LoadedSettings:
    """Settings, or exit 2 listing every problem, one per line, on stderr."""
    try:
        return load_settings(config_path)
    except SettingsError as error:
        for problem in error.problems:
            print(f"configuration error: {problem}", file=sys.stderr)  # noqa: T201
        sys.exit(EXIT_CONFIG_ERROR)


def start_process(config_path: str | None, component: str) -> LoadedSettings:
    """Load and validate settings, configure logging, and log the settings warnings."""
    loaded = load_or_exit(config_path)
    settings = loaded.settings
    configure_logging(settings.log.level, settings.log.format)
    log = logger.bind(logger=component)
    for warning in loaded.warnings:
        log.warning(warning)
    return loaded


def refuse(message: str, code: int = EXIT_CONFIG_ERROR) -> None:
    print(f"configuration error: {message}", file=sys.stderr)  # noqa: T201
    sys.exit(code)
