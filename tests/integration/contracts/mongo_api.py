"""`flowra-api` run as a process on MongoDB, and a client that uses it as a person would: the
helpers of the test_http_on_mongo* suites."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient
from pymongo.errors import PyMongoError

REPO = Path(__file__).resolve().parents[3]
API = str(Path(sys.executable).with_name("flowra-api"))
FERRETDB = Path(os.environ.get("FLOWRA_CACHE_DIR", REPO / ".cache")) / "bin" / "ferretdb"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
MONGODB_TIMEOUT_S = 1.0
Headers = dict[str, str]
Document = dict[str, Any]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `condition` (each call is a bounded request) until it holds or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout}s")
        time.sleep(0.1)


class FerretDB:
    """A FerretDB process of this test's own: stopped and started at will."""

    def __init__(self, data_dir: Path) -> None:
        if not FERRETDB.exists():
            pytest.fail(f"{FERRETDB} is missing: build it with `scripts/services.sh up ferretdb`")
        self.port = free_port()
        self.uri = f"mongodb://127.0.0.1:{self.port}"
        self._data_dir = data_dir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                *(str(FERRETDB), "-listen-addr", f"127.0.0.1:{self.port}"),
                *("-data-dir", str(self._data_dir), "-log-level", "error"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        until(self.answers, timeout=START_TIMEOUT_S, what="the test's FerretDB answering")

    def stop(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        self._process.wait(timeout=STOP_TIMEOUT_S)
        self._process = None

    def answers(self) -> bool:
        try:
            with MongoClient[Document](self.uri, serverSelectionTimeoutMS=500) as client:
                client.admin.command("ping")
        except PyMongoError:
            return False
        return True

    def pause(self) -> None:
        """SIGSTOP: connections stay open and nothing answers (a database that hangs)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)  # a paused process cannot die otherwise
            self._process.kill()
            self._process.wait()


class ApiProcess:
    """`flowra-api` on one database; its output is collected while it runs."""

    def __init__(self, tmp_path: Path, mongodb_uri: str, database: str, **env: str) -> None:
        """`env`: more FLOWRA_* variables, over the defaults below."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._cwd = tmp_path
        self._env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FLOWRA_")},
            "FLOWRA_SERVER_HOST": "127.0.0.1",
            "FLOWRA_SERVER_PORT": str(self.port),
            "FLOWRA_STORAGE_BACKEND": "mongo",
            "FLOWRA_MONGODB_URI": mongodb_uri,
            "FLOWRA_MONGODB_DATABASE": database,
            "FLOWRA_MONGODB_TIMEOUT": f"{int(MONGODB_TIMEOUT_S * 1000)}ms",
            "FLOWRA_AUTH_JWT_SECRET": "test-secret-that-is-long-enough-for-hs256",
            "FLOWRA_UPLOADS_DIR": str(tmp_path / "uploads"),
            "FLOWRA_LOG_FORMAT": "text",
            **env,
        }
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def process(self) -> subprocess.Popen[str]:
        assert self._process is not None, "start() it first"
        return self._process

    @property
    def env(self) -> dict[str, str]:
        """The process's environment (for a worker on the same database)."""
        return dict(self._env)

    def run_to_exit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [API, *args],
            cwd=self._cwd,
            env=self._env,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            check=False,
        )

    def start(self, *args: str) -> None:
        self._process = subprocess.Popen(
            [API, *args],
            cwd=self._cwd,
            env=self._env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=_pump, args=(self._process, lines), daemon=True)
        self._reader.start()
        seen: list[str] = []
        deadline = time.monotonic() + START_TIMEOUT_S
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                code = self._process.wait()
                pytest.fail(f"flowra-api exited with {code}: {''.join(seen)[-3000:]}")
            seen.append(line)
            if "Application startup complete" in line:
                return
        pytest.fail(f"flowra-api did not start in {START_TIMEOUT_S}s: {''.join(seen)[-3000:]}")

    def stop(self) -> int:
        """SIGTERM, then the exit code."""
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        code = self._process.wait(timeout=STOP_TIMEOUT_S)
        self._release()
        return code

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._release()

    def _release(self) -> None:
        """Read the output to its end and close it."""
        assert self._process is not None
        if self._reader is not None:
            self._reader.join(timeout=STOP_TIMEOUT_S)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None
        self._reader = None


def _pump(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)
    lines.put(None)


class Client:
    """A user's view of the API: logs in with the dev token flow. Close it (`with`)."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=f"{url}/api/v1", timeout=10.0)
        self.headers: dict[str, Headers] = {}

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def login(self, username: str) -> str:
        response = self.http.post("/auth/dev/token", json={"username": username})
        assert response.status_code == 200, response.text
        self.headers[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        user_id: str = response.json()["user"]["id"]
        return user_id

    def call(self, method: str, url: str, who: str, body: Any = None) -> httpx.Response:
        return self.http.request(method, url, json=body, headers=self.headers[who])

    def ok(self, method: str, url: str, who: str, body: Any = None) -> Any:
        response = self.call(method, url, who, body)
        assert response.status_code < 300, f"{method} {url}: {response.text}"
        return response.json() if response.content else None


def contents(page: Any) -> list[str]:
    return [message["content"] for message in page["items"]]
