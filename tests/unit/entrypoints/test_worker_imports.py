"""The worker stays free of the web stack (issue 13, goal 7): importing what `flowra-worker`
runs loads neither Litestar nor the HTTP, WebSocket or web-client entrypoints, so it starts
fast and stays small. (jinja2 is not on the list: dynaconf imports it by itself whenever it is
installed, and the web client installs it.) Each check runs in a fresh interpreter: this test
process has long since imported everything."""

from __future__ import annotations

import json
import subprocess
import sys

WEB_STACK = ("litestar",)
OUR_WEB_SIDE = ("flowra_entrypoints.http", "flowra_entrypoints.ws", "flowra_entrypoints.web")


def _loaded_after(statement: str) -> set[str]:
    probe = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return set(loaded)


def _top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


WORKER_MODULES = (
    "flowra_entrypoints.worker.main",
    "flowra_entrypoints.worker.process",
    "flowra_entrypoints.worker.dead_letters",
)


def test_the_worker_does_not_import_the_web_stack() -> None:
    loaded = _loaded_after("\n".join(f"import {module}" for module in WORKER_MODULES))
    web = _top_level(loaded) & set(WEB_STACK)
    ours = {name for name in loaded if name.startswith(OUR_WEB_SIDE)}
    assert not web, f"the worker imports {sorted(web)}"
    assert not ours, f"the worker imports {sorted(ours)}"


def test_the_probe_sees_the_web_stack_where_it_is() -> None:
    """The same probe on an HTTP module finds Litestar: the check above can fail."""
    assert "litestar" in _top_level(_loaded_after("import flowra_entrypoints.http.problems"))
