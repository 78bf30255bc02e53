"""The deployment files stay in step with the code: they parse, name the guide's services,
run the console scripts, and set only variables the settings honour."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from flowra_entrypoints.settings.keys import key_specs

REPO = Path(__file__).resolve().parents[3]
CONSOLE_SCRIPTS = {"flowra-api", "flowra-worker", "flowra-migrator"}


def _compose(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((REPO / "compose" / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def _known_variables() -> set[str]:
    return {spec.env_var for spec in key_specs()}


@pytest.mark.parametrize(
    ("name", "services"),
    [
        ("docker-compose.yml", {"mongodb", "redis", "keycloak", "api", "worker", "migrator"}),
        (
            "docker-compose.prod.yml",
            {"api", "worker", "migrator", "mongodb", "redis", "keycloak", "keycloak-db"},
        ),
    ],
)
def test_compose_files_parse_and_name_the_guides_services(name: str, services: set[str]) -> None:
    compose = _compose(name)
    assert set(compose["services"]) == services


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.prod.yml"])
def test_compose_files_set_only_honoured_variables(name: str) -> None:
    text = (REPO / "compose" / name).read_text()
    used = set(re.findall(r"\b(FLOWRA_[A-Z_]+)\s*:", text))
    assert used, "the compose file configures Flowra through FLOWRA_* variables"
    assert used <= _known_variables()


def test_the_production_stack_runs_in_production_mode_behind_health_checks() -> None:
    compose = _compose("docker-compose.prod.yml")
    api = compose["services"]["api"]
    assert api["environment"]["FLOWRA_ENV"] == "production"
    assert "http://localhost:8080/health" in api["healthcheck"]["test"]
    commands = {tuple(s.get("command", ())) for s in compose["services"].values()}
    assert {("flowra-api",), ("flowra-worker",), ("flowra-migrator", "up")} <= commands


def test_dockerfile_is_multi_stage_non_root_with_a_healthcheck() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert dockerfile.count("\nFROM ") + dockerfile.startswith("FROM ") >= 2
    assert re.search(r"^USER flowra$", dockerfile, re.MULTILINE)
    assert "HEALTHCHECK" in dockerfile
    assert "/health" in dockerfile


@pytest.mark.parametrize("unit", ["flowra-api", "flowra-worker"])
def test_systemd_units_start_the_console_scripts(unit: str) -> None:
    text = (REPO / "deploy" / "systemd" / f"{unit}.service").read_text()
    assert f"ExecStart=/opt/flowra/bin/{unit} " in text
    assert "User=flowra" in text
    assert "Environment=FLOWRA_ENV=production" in text
    assert unit in CONSOLE_SCRIPTS
