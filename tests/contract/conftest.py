"""A real `flowra-api` (uvicorn) on the embedded profile on a free port, for the contract
tests: the schema fuzzer, the generated client and the docs page in a browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_healthy(base_url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"flowra-api exited with {proc.returncode} during start-up")
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling a condition (the port answering), with a deadline
    raise TimeoutError(f"flowra-api did not answer /health within {STARTUP_TIMEOUT}s")


@pytest.fixture(scope="session")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a running `flowra-api` (memory storage, local identity provider)."""
    port = free_port()
    workdir: Path = tmp_path_factory.mktemp("flowra-api")
    env = {
        **os.environ,
        "FLOWRA_ENV": "development",
        "FLOWRA_SERVER_HOST": "127.0.0.1",
        "FLOWRA_SERVER_PORT": str(port),
        "FLOWRA_LOG_LEVEL": "error",
        "FLOWRA_UPLOADS_DIR": str(workdir / "uploads"),
        "FLOWRA_AUTH_ACCESS_TOKEN_TTL": "1h",
    }
    env.pop("FLOWRA_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from flowra_entrypoints.http.main import main; main([])"],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, proc)
        yield base_url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def dev_token(api_url: str, username: str) -> str:
    response = httpx.post(f"{api_url}/api/v1/auth/dev/token", json={"username": username})
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token
