"""`flowra-api` as a process: it serves, moves with its settings and refuses bad ones."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
API = str(Path(sys.executable).with_name("flowra-api"))
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOWRA_")}
    env.update(overrides)
    return env


def wait_until_serving(process: subprocess.Popen[str]) -> None:
    """Block until the server logs that it accepts connections (or fail with its output)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line is None:
            pytest.fail(f"flowra-api exited with {process.wait()}: {''.join(seen)[-2000:]}")
        seen.append(line)
        if "Application startup complete" in line:
            return
    pytest.fail(f"flowra-api did not start within {START_TIMEOUT}s: {''.join(seen)[-2000:]}")


@pytest.fixture
def api_port(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    with subprocess.Popen(
        [API],
        cwd=tmp_path,
        env=clean_env(FLOWRA_SERVER_PORT=str(port), FLOWRA_SERVER_HOST="127.0.0.1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            wait_until_serving(process)
            yield port
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0


def test_embedded_default_serves_health_on_the_configured_port(api_port: int) -> None:
    response = httpx.get(f"http://127.0.0.1:{api_port}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}
    details = httpx.get(f"http://127.0.0.1:{api_port}/health/details").json()
    assert details["components"]["storage"]["backend"] == "memory"


def test_production_with_the_example_config_exits_2_with_reasons(tmp_path: Path) -> None:
    result = subprocess.run(
        [API, "--config", str(REPO / "configs" / "config.example.yaml")],
        cwd=tmp_path,
        env=clean_env(FLOWRA_ENV="production"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines
    assert all(line.startswith("configuration error: ") for line in lines)
    assert any("auth.jwt_secret" in line for line in lines)
    assert "your-client-secret" not in result.stderr


def test_an_invalid_port_exits_2_naming_key_and_value(tmp_path: Path) -> None:
    result = subprocess.run(
        [API],
        cwd=tmp_path,
        env=clean_env(FLOWRA_SERVER_PORT="not-a-port"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "server.port" in result.stderr
    assert "not-a-port" in result.stderr
