"""The export's manifest and files, checked before an import changes anything: format, schema
version, checksums; and the Extended JSON lines keep BSON types exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from bson import Int64, json_util

from flowra_adapters.mongo.backup import JSON_OPTIONS, file_sha256
from flowra_adapters.mongo.migrations import MIGRATIONS
from flowra_entrypoints.migrator.backup import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    UPLOADS,
    BackupRefused,
    CollectionFile,
    Manifest,
    UploadsCopy,
    read_manifest,
    verify_files,
)


def write_export(root: Path, *, schema: str | None = None, fmt: str = FORMAT) -> Manifest:
    (root / UPLOADS).mkdir(parents=True)
    (root / "commits.jsonl").write_text('{"_id": "c1"}\n')
    manifest = Manifest(
        format=fmt,
        format_version=FORMAT_VERSION,
        schema_version=schema or MIGRATIONS[-1].version,
        created_at="2026-01-01T00:00:00.000Z",
        database="flowra",
        collections={
            "commits": CollectionFile("commits.jsonl", 1, file_sha256(root / "commits.jsonl"))
        },
        uploads=UploadsCopy(
            files=0,
            bytes=0,
            sha256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
    )
    (root / MANIFEST).write_bytes(msgspec.json.encode(manifest))
    return manifest


def test_a_sound_export_passes(tmp_path: Path) -> None:
    manifest = write_export(tmp_path)
    assert read_manifest(tmp_path) == manifest
    verify_files(tmp_path, manifest)


@pytest.mark.parametrize(
    ("schema", "fmt", "message"),
    [("9999", FORMAT, "newer than this flowra's"), (None, "other", "unsupported export format")],
)
def test_a_newer_schema_or_another_format_is_refused(
    tmp_path: Path, schema: str | None, fmt: str, message: str
) -> None:
    write_export(tmp_path, schema=schema, fmt=fmt)
    with pytest.raises(BackupRefused, match=message):
        read_manifest(tmp_path)


def test_a_missing_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BackupRefused, match="not a flowra export"):
        read_manifest(tmp_path)


def test_a_changed_file_or_an_extra_upload_is_refused(tmp_path: Path) -> None:
    manifest = write_export(tmp_path)
    (tmp_path / UPLOADS / "stray").write_bytes(b"x")
    with pytest.raises(BackupRefused, match="differs from the manifest"):
        verify_files(tmp_path, manifest)
    (tmp_path / UPLOADS / "stray").unlink()
    (tmp_path / "commits.jsonl").write_text('{"_id": "c2"}\n')
    with pytest.raises(BackupRefused, match="checksum differs"):
        verify_files(tmp_path, manifest)


def test_extended_json_lines_keep_bson_types() -> None:
    document = {
        "_id": "x",
        "at": datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC),
        "version": Int64(7),
        "n": 3,
        "none": None,
    }
    line = json_util.dumps(document, json_options=JSON_OPTIONS)
    back = json_util.loads(line, json_options=JSON_OPTIONS)
    assert back == document
    assert isinstance(back["version"], Int64)
