"""Process-wide logging on loguru: one line per record on stdout, JSON or text.

JSON lines carry the fields of operations.md §9 (time, level, msg, logger, plus the
record's bound extras). Standard-library logging (uvicorn, asyncio, pymongo) is routed
into the same sink so every line has one shape.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC
from typing import TYPE_CHECKING, Any, Literal, TextIO

import msgspec
from loguru import logger

if TYPE_CHECKING:
    from loguru import Message, Record

LogFormat = Literal["json", "text"]
LogLevel = Literal["debug", "info", "warn", "error"]

# loguru's names → the spec's names.
_LEVEL_NAMES = {"WARNING": "WARN", "CRITICAL": "ERROR", "SUCCESS": "INFO", "TRACE": "DEBUG"}
_LOGURU_LEVELS = {"debug": "DEBUG", "info": "INFO", "warn": "WARNING", "error": "ERROR"}
_encoder = msgspec.json.Encoder()


def _timestamp(record: Record) -> str:
    return record["time"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _level(record: Record) -> str:
    name = record["level"].name
    return _LEVEL_NAMES.get(name, name)


def _error_fields(record: Record) -> dict[str, Any]:
    exception = record["exception"]
    if exception is None or exception.type is None:
        return {}
    fields: dict[str, Any] = {"error": str(exception.value), "error_type": exception.type.__name__}
    if record["level"].no >= logging.ERROR:
        import traceback

        fields["stack"] = "".join(traceback.format_exception(exception.value))
    return fields


def render_json(record: Record) -> bytes:
    """One JSON object for a record (without the trailing newline)."""
    extra = dict(record["extra"])
    line: dict[str, Any] = {
        "time": _timestamp(record),
        "level": _level(record),
        "msg": record["message"],
        "logger": extra.pop("logger", record["name"] or "flowra"),
    }
    line.update(extra)
    line.update(_error_fields(record))
    return _encoder.encode(line)


def render_text(record: Record) -> str:
    """`time level logger msg key=value …`, values JSON-encoded so newlines are escaped."""
    extra = dict(record["extra"])
    name = extra.pop("logger", record["name"] or "flowra")
    message = _encoder.encode(record["message"]).decode()[1:-1]
    parts = [_timestamp(record), _level(record), str(name), message]
    fields = {**extra, **_error_fields(record)}
    parts.extend(f"{key}={_encoder.encode(value).decode()}" for key, value in fields.items())
    return " ".join(parts)


class _Sink:
    """Writes whole lines so concurrent records never interleave."""

    def __init__(self, stream: TextIO, log_format: LogFormat) -> None:
        self._stream = stream
        self._format = log_format

    def __call__(self, message: Message) -> None:
        record = message.record
        line = render_json(record).decode() if self._format == "json" else render_text(record)
        self._stream.write(line + "\n")
        self._stream.flush()


class _InterceptHandler(logging.Handler):
    """Forwards standard-library records to loguru, keeping their logger name."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.bind(logger=record.name).opt(exception=record.exc_info).log(
            level, record.getMessage()
        )


def configure_logging(
    level: LogLevel = "info", log_format: LogFormat = "json", stream: TextIO | None = None
) -> None:
    """Replace every handler with one stdout sink; safe to call more than once."""
    logger.remove()
    logger.add(
        _Sink(stream or sys.stdout, log_format),
        level=_LOGURU_LEVELS[level],
        format="{message}",
        backtrace=False,
        diagnose=False,
    )
    logging.basicConfig(handlers=[_InterceptHandler()], level=logging.INFO, force=True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        std_logger = logging.getLogger(name)
        std_logger.handlers = [_InterceptHandler()]
        std_logger.propagate = False
    # Our access middleware writes the request lines; uvicorn's would duplicate them.
    logging.getLogger("uvicorn.access").disabled = True
