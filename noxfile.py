"""Check sessions. They run in the project's own `.venv` (set up by `make install`).

Every session fails on a non-zero exit, so pytest's exit code 5 ("no tests collected")
fails the run instead of passing silently.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "unit", "integration", "integration_mongo", "e2e"]
nox.options.error_on_missing_interpreters = True

PYTEST = ("pytest", "-p", "no:cacheprovider")


@nox.session
def lint(session: nox.Session) -> None:
    """Style, formatting and the dependency rule between layers."""
    session.run("ruff", "check", "src", "tests", "benchmarks", "tools", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "tools", "noxfile.py")
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the code, the tests, the benchmarks and this file."""
    session.run("mypy", "--strict", "src", "tests", "benchmarks", "tools", "noxfile.py")


@nox.session
def unit(session: nox.Session) -> None:
    """Fast tests against the in-memory adapters: no network. One pytest-xdist worker per core
    (at most four): the tests share nothing but the interpreter's imports."""
    session.run(*PYTEST, "tests/unit", "-q", "-n", "auto", "--maxprocesses", "4", *session.posargs)


@nox.session
def integration(session: nox.Session) -> None:
    """Real adapters against the servers started by `scripts/services.sh up`."""
    session.run(*PYTEST, "tests/integration", "-q", "-m", "integration", *session.posargs)


@nox.session
def integration_mongo(session: nox.Session) -> None:
    """The HTTP black-box suite again with every app on `storage.backend=mongo`, each on a
    fresh database of the server started by `scripts/services.sh up` (FerretDB here)."""
    session.run(
        *PYTEST, "tests/unit/http", "-q", *session.posargs, env={"FLOWRA_TEST_STORAGE": "mongo"}
    )


@nox.session
def e2e(session: nox.Session) -> None:
    """The web client in a real browser: Playwright driving Debian's Chromium (installed by
    `scripts/services.sh up`) against `flowra-api` processes started by the tests."""
    session.run(*PYTEST, "tests/e2e", "-q", *session.posargs)
