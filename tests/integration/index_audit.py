"""A pytest plugin: every query the Mongo adapters send during the run is checked against the
indexes the migrations declare, and every query made while serving a request against the
collection's shard key (issue 13, goal 4; `flowra_adapters.mongo.index_coverage`).

PyMongo's command monitoring sees each command as it starts, on the stack of the code that
issued it, so the audit knows who asked:
- a command with no adapter frame on its stack is the test's own look (not audited);
- migrations and `rebuild-projections` walk whole collections on purpose (the allow-list);
- a command under an HTTP or WebSocket handler is on the hot path: it must also pin the shard
  key (`flowra_adapters.mongo.sharding`, `docs/scaling.md`).

Shapes in `index_audit_known.txt` are the debt on record: reported, not failed. A shape that
is neither served nor on record fails the run with the command printed; a recorded shape the
run no longer sees is reported so the record can shrink. `FLOWRA_INDEX_AUDIT_REPORT=PATH`
writes every shape the run found in the record's format.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from pymongo import monitoring

from flowra_adapters.mongo.index_coverage import pins, shapes_of
from flowra_adapters.mongo.index_coverage import serving_index as _serving_index
from flowra_adapters.mongo.migrations.index_catalog import declared_indexes
from flowra_adapters.mongo.sharding import SHARD_KEYS

KNOWN = Path(__file__).with_name("index_audit_known.txt")
UNSERVED = "unserved"
SCATTER = "scatter"
_ADAPTERS = f"{os.sep}flowra_adapters{os.sep}mongo{os.sep}"
_ALLOWED = (f"{_ADAPTERS}migrations{os.sep}", f"{_ADAPTERS}rebuild.py")
_HOT = (
    f"{os.sep}flowra_entrypoints{os.sep}http{os.sep}",
    f"{os.sep}flowra_entrypoints{os.sep}ws{os.sep}",
)


@dataclass
class Finding:
    kind: str
    shape: str
    command: dict[str, Any]
    origin: str
    count: int = 1

    @property
    def key(self) -> str:
        return f"{self.kind}\t{self.shape}"


@dataclass
class Audit(monitoring.CommandListener):
    catalog: dict[str, Any] = field(default_factory=declared_indexes)
    findings: dict[str, Finding] = field(default_factory=dict)
    audited: int = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        origin, hot = _caller()
        if origin is None:
            return
        for query in shapes_of(event.command):
            self.audited += 1
            if _serving_index(query, self.catalog.get(query.collection, ())) is None:
                self._note(UNSERVED, query.describe(), event.command, origin)
            shard_key = SHARD_KEYS.get(query.collection)
            if hot and shard_key is not None and not pins(query, shard_key):
                self._note(SCATTER, query.describe(), event.command, origin)

    def _note(self, kind: str, shape: str, command: Any, origin: str) -> None:
        finding = Finding(kind, shape, dict(command), origin)
        if finding.key in self.findings:
            self.findings[finding.key].count += 1
        else:
            self.findings[finding.key] = finding

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Only the start is audited."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Only the start is audited."""


def _caller() -> tuple[str | None, bool]:
    """The adapter frame that issued the command (None: not audited), and whether a request
    handler is on the stack."""
    origin: str | None = None
    hot = False
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if origin is None and _ADAPTERS in filename and "index_coverage" not in filename:
            if any(part in filename for part in _ALLOWED):
                return None, False
            origin = f"{filename.split(_ADAPTERS)[-1]}:{frame.f_lineno} {frame.f_code.co_name}"
        if any(part in filename for part in _HOT):
            hot = True
        frame = frame.f_back
    return origin, hot


def _known() -> set[str]:
    lines = KNOWN.read_text().splitlines() if KNOWN.exists() else []
    return {line for line in lines if line.strip() and not line.startswith("#")}


_AUDIT = Audit()


def pytest_configure(config: pytest.Config) -> None:
    monitoring.register(_AUDIT)


def _trim(command: dict[str, Any]) -> str:
    shown = {k: v for k, v in command.items() if k not in ("lsid", "$db", "$clusterTime")}
    return repr(shown)[:600]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    new = [f for key, f in _AUDIT.findings.items() if key not in _known()]
    if new and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    report = os.environ.get("FLOWRA_INDEX_AUDIT_REPORT")
    if report:
        worker = os.environ.get("PYTEST_XDIST_WORKER")  # one file per pytest-xdist worker
        path = Path(f"{report}.{worker}" if worker else report)
        path.write_text("".join(f"{key}\n" for key in sorted(_AUDIT.findings)))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    write = terminalreporter.write_line
    known = _known()
    found = _AUDIT.findings
    new = [f for key, f in sorted(found.items()) if key not in known]
    recorded = [f for key, f in sorted(found.items()) if key in known]
    write(
        f"index audit: {_AUDIT.audited} queries checked, {len(recorded)} recorded shapes seen, "
        f"{len(new)} new"
    )
    for finding in new:
        write(f"NEW {finding.kind}: {finding.shape}  (x{finding.count}, {finding.origin})")
        write(f"    {_trim(finding.command)}")
    gone = sorted(known - set(found))
    if gone and _AUDIT.audited:
        # A partial run sees part of the record; after a whole run these are fixed.
        write(f"index audit: {len(gone)} recorded shapes not seen in this run, e.g.:")
        for key in gone[:5]:
            write(f"    {key}")
