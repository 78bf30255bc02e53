"""Log lines: one JSON object (or one text line) per record, with the spec's fields."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from loguru import logger

from flowra_entrypoints.logging import configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    logger.remove()


def test_json_lines_carry_time_level_msg_logger_and_extras() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    logger.bind(logger="http", method="GET", status=200).info("HTTP request")
    line = json.loads(stream.getvalue())
    assert line["level"] == "INFO"
    assert line["msg"] == "HTTP request"
    assert line["logger"] == "http"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["time"].endswith("Z")
    assert len(line["time"]) == len("2026-01-28T10:30:00.123Z")


def test_warnings_are_named_warn_and_debug_is_filtered_at_info() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    logger.debug("hidden")
    logger.warning("shown")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["level"] for line in lines] == ["WARN"]


def test_text_lines_escape_newlines_and_json_encode_values() -> None:
    stream = io.StringIO()
    configure_logging("debug", "text", stream=stream)
    logger.bind(logger="ws", user_id="u1").info("two\nlines")
    text = stream.getvalue()
    assert text.count("\n") == 1
    assert ' INFO ws two\\nlines user_id="u1"' in text


def test_errors_carry_type_message_and_stack() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    try:
        raise ValueError("bad value")
    except ValueError:
        logger.exception("failed")
    line = json.loads(stream.getvalue())
    assert line["level"] == "ERROR"
    assert line["error_type"] == "ValueError"
    assert line["error"] == "bad value"
    assert "Traceback" in line["stack"]


def test_standard_library_records_reach_the_same_sink() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    logging.getLogger("uvicorn.error").warning("from uvicorn")
    line = json.loads(stream.getvalue())
    assert line["msg"] == "from uvicorn"
    assert line["logger"] == "uvicorn.error"
