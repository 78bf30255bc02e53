"""A migration: a version, a name, a declarative definition and the steps derived from it.

The checksum is the sha256 of the canonical JSON of (version, name, definition): editing what
an applied migration does changes it, and the migrator refuses to run on a changed checksum.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowra_adapters.mongo.database import MongoDatabase

Step = Callable[[MongoDatabase, datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Migration:
    version: str  # "0001": applied in lexical order
    name: str
    definition: Mapping[str, Any]  # JSON-compatible: what the migration does
    apply: Step
    revert: Step | None  # None: irreversible
    irreversible_because: str = ""
    checksum: str = field(init=False)

    def __post_init__(self) -> None:
        canonical = json.dumps(
            {"version": self.version, "name": self.name, "definition": self.definition},
            sort_keys=True,
            separators=(",", ":"),
        )
        object.__setattr__(self, "checksum", hashlib.sha256(canonical.encode()).hexdigest())

    @property
    def reversible(self) -> bool:
        return self.revert is not None

    @property
    def label(self) -> str:
        return f"{self.version} ({self.name})"
