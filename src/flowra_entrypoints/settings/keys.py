"""The list of known keys, derived from the model, and the conversion of one raw value.

Every key ``a.b`` has the variable ``FLOWRA_A_B``; walking the model (rather than splitting
variable names) keeps keys with underscores such as ``rate_limit.user_limit`` unambiguous.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import msgspec.inspect as mi

from .model import SECRET_MASK, Settings, is_secret_key
from .units import (
    BOOL_HELP,
    DURATION_HELP,
    LIST_HELP,
    SIZE_HELP,
    parse_bool,
    parse_duration,
    parse_int,
    parse_list,
    parse_size,
)

ENV_PREFIX = "FLOWRA_"


@dataclass(frozen=True)
class KeySpec:
    section: str | None
    name: str
    type: mi.Type
    unit: str | None
    default: object

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}" if self.section else self.name

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.key.replace(".", "_").upper()

    @property
    def is_secret(self) -> bool:
        return is_secret_key(self.key)

    def show(self, raw: object) -> str:
        """The value as printed in messages: masked for secrets."""
        return SECRET_MASK if self.is_secret else repr(raw)

    def convert(self, raw: object) -> object:
        """Parse and check a raw env/YAML value; ``ValueError`` says what is allowed."""
        shown = self.show(raw)
        kind = self.type
        if isinstance(kind, mi.LiteralType):
            choice = raw.strip().lower() if isinstance(raw, str) else raw
            if choice not in kind.values:
                raise ValueError(f"{shown} is not one of: {', '.join(map(str, kind.values))}")
            return choice
        if isinstance(kind, mi.BoolType):
            if not isinstance(raw, str | int):
                raise ValueError(f"{shown} is not a boolean: expected {BOOL_HELP}")
            return parse_bool(raw)
        if isinstance(kind, mi.IntType | mi.FloatType):
            return self._convert_number(kind, raw, shown)
        if isinstance(kind, mi.VarTupleType):
            if not isinstance(raw, str | list | tuple):
                raise ValueError(f"{shown} is not a list: expected {LIST_HELP}")
            return parse_list(raw)
        if isinstance(raw, str):
            return raw
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return str(raw)
        raise ValueError(f"{shown} is not a string")

    def _convert_number(self, kind: mi.IntType | mi.FloatType, raw: object, shown: str) -> object:
        bounds = _bounds_text(kind)
        if self.unit == "duration":
            if not isinstance(raw, str | int) or isinstance(raw, bool):
                raise ValueError(f"{shown} is not a duration: expected {DURATION_HELP}")
            value: float = parse_duration(raw)
            what = "a duration"
        elif self.unit == "size":
            if not isinstance(raw, str | int) or isinstance(raw, bool):
                raise ValueError(f"{shown} is not a size: expected {SIZE_HELP}")
            value = parse_size(raw)
            what = "a size"
        else:
            what = "an integer"
            try:
                if not isinstance(raw, str | int):
                    raise ValueError(raw)
                value = parse_int(raw)
            except ValueError:
                raise ValueError(f"{shown} is not {what} {bounds}".rstrip()) from None
        if not _within_bounds(kind, value):
            raise ValueError(f"{shown} is not {what} {bounds}")
        return value


def _bounds_text(kind: mi.IntType | mi.FloatType) -> str:
    if kind.ge is not None and kind.le is not None:
        return f"between {kind.ge} and {kind.le}"
    parts = [
        f"{op} {limit}"
        for op, limit in ((">", kind.gt), (">=", kind.ge), ("<", kind.lt), ("<=", kind.le))
        if limit is not None
    ]
    return " and ".join(parts)


def _within_bounds(kind: mi.IntType | mi.FloatType, value: float) -> bool:
    return not (
        (kind.gt is not None and value <= kind.gt)
        or (kind.ge is not None and value < kind.ge)
        or (kind.lt is not None and value >= kind.lt)
        or (kind.le is not None and value > kind.le)
    )


def _spec(section: str | None, field: mi.Field) -> KeySpec:
    kind, unit = field.type, None
    if isinstance(kind, mi.Metadata):
        unit = (kind.extra or {}).get("unit")
        kind = kind.type
    return KeySpec(section=section, name=field.name, type=kind, unit=unit, default=field.default)


@cache
def _settings_info() -> mi.StructType:
    info = mi.type_info(Settings)
    assert isinstance(info, mi.StructType)
    return info


@cache
def key_specs() -> tuple[KeySpec, ...]:
    """Every key of operations.md §2, in model order."""
    specs: list[KeySpec] = []
    for field in _settings_info().fields:
        if isinstance(field.type, mi.StructType):
            specs.extend(_spec(field.name, sub) for sub in field.type.fields)
        else:
            specs.append(_spec(None, field))
    return tuple(specs)


def section_names() -> frozenset[str]:
    return frozenset(spec.section for spec in key_specs() if spec.section is not None)


def build_settings(values: Mapping[str, object]) -> Settings:
    """Assemble ``Settings`` from already converted values keyed ``section.name``; missing keys
    keep their model default."""
    top: dict[str, Any] = {}
    for field in _settings_info().fields:
        if isinstance(field.type, mi.StructType):
            prefix = f"{field.name}."
            section_values = {
                key.removeprefix(prefix): value
                for key, value in values.items()
                if key.startswith(prefix)
            }
            top[field.name] = field.type.cls(**section_values)
        elif field.name in values:
            top[field.name] = values[field.name]
    return Settings(**top)
