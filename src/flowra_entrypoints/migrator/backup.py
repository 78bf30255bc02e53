"""`flowra-migrator export --out DIR` and `import --from DIR`: backup and restore on any
MongoDB-compatible server, and moving between servers (FerretDB → MongoDB).

DIR holds one `<collection>.jsonl` per non-derived collection (the journal and what is written
directly: users, uploads' metadata, read markers, summary drafts, invite tokens, API tokens,
bots, audit log, webhook endpoints and deliveries), `uploads/` (a copy of `uploads.dir`) and
`manifest.json` (format, schema version, counts and SHA-256 checksums). An import checks the
manifest and every checksum, refuses a newer schema or a target holding data, loads the files
at the manifest's schema, applies the later migrations, then rebuilds every projection from the
journal. Stop writers during an export for an exact snapshot."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import shutil
from pathlib import Path

import msgspec

from flowra_adapters.mongo.audit import MongoAuditLog
from flowra_adapters.mongo.backup import (
    EXPORTED_COLLECTIONS,
    data_collections,
    dump_collection,
    file_sha256,
    load_collection,
)
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.locks import MongoLeaseLocks
from flowra_adapters.mongo.migrations import MIGRATIONS, HeldLease, Migrator
from flowra_adapters.mongo.migrations.runner import LOCK_NAME, applied_records
from flowra_adapters.mongo.rebuild import everything
from flowra_adapters.system import SystemClock, Uuid4Ids
from flowra_core.domain.audit import AuditAction, AuditEntry, AuditOutcome
from flowra_core.domain.datetimes import format_timestamp
from flowra_entrypoints.migrator.progress import ProgressBar
from flowra_entrypoints.migrator.rebuild import ProjectionRebuild, projection_core
from flowra_entrypoints.settings import Settings

FORMAT = "flowra-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads"
EXIT_OK = 0


class BackupRefused(Exception):
    """The export or import was refused before it changed anything."""


class CollectionFile(msgspec.Struct, frozen=True):
    file: str
    count: int
    sha256: str


class UploadsCopy(msgspec.Struct, frozen=True):
    files: int
    bytes: int
    sha256: str  # over every (relative path, file SHA-256), in path order


class Manifest(msgspec.Struct, frozen=True):
    format: str
    format_version: int
    schema_version: str  # the last migration applied to the exported database
    created_at: str
    database: str
    collections: dict[str, CollectionFile]
    uploads: UploadsCopy


def _say(line: str) -> None:
    print(line)  # noqa: T201


def _uploads_digest(root: Path) -> UploadsCopy:
    digest = hashlib.sha256()
    files = size = 0
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            relative = path.relative_to(root).as_posix()
            digest.update(f"{relative}\0{file_sha256(path)}\n".encode())
            files += 1
            size += path.stat().st_size
    return UploadsCopy(files=files, bytes=size, sha256=digest.hexdigest())


async def _schema_version(database: MongoDatabase) -> str:
    applied = sorted(await applied_records(database))
    known = {migration.version for migration in MIGRATIONS}
    unknown = [version for version in applied if version not in known]
    if unknown:
        raise BackupRefused(
            f"the database has migrations this flowra does not know ({', '.join(unknown)}): "
            "export it with the newer flowra"
        )
    if not applied:
        raise BackupRefused("the database has no migration applied: nothing to export")
    return applied[-1]


def _new_directory(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        raise BackupRefused(f"{out} is not empty: export into a new directory")
    out.mkdir(parents=True, exist_ok=True)


def _copy_uploads(source: Path, target: Path) -> UploadsCopy:
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        target.mkdir()
    return _uploads_digest(target)


async def export(database: MongoDatabase, settings: Settings, args: argparse.Namespace) -> int:
    out = Path(args.out)
    schema = await _schema_version(database)
    await asyncio.to_thread(_new_directory, out)
    started = SystemClock().now()
    collections: dict[str, CollectionFile] = {}
    for name in EXPORTED_COLLECTIONS:
        file = f"{name}.jsonl"
        progress = ProgressBar(f"exporting {name}")
        dumped = await dump_collection(database, name, out / file, progress)
        collections[name] = CollectionFile(file=file, count=dumped.count, sha256=dumped.sha256)
    uploads = await asyncio.to_thread(_copy_uploads, Path(settings.uploads.dir), out / UPLOADS)
    manifest = Manifest(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        schema_version=schema,
        created_at=format_timestamp(started),
        database=database.name,
        collections=collections,
        uploads=uploads,
    )
    (out / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest)) + b"\n")
    if settings.audit.enabled:
        await MongoAuditLog(database).append(_export_entry(database.name))
    total = sum(entry.count for entry in collections.values())
    _say(
        f"exported {total} documents of {len(collections)} collections and "
        f"{manifest.uploads.files} uploads (schema {schema}) to {out}"
    )
    return EXIT_OK


def _export_entry(database: str) -> AuditEntry:
    """The export is a data export: the source database's audit log records it."""
    now = SystemClock().now()
    return AuditEntry(
        id=Uuid4Ids().new_id(),
        at=now,
        action=AuditAction.DATA_EXPORTED,
        outcome=AuditOutcome.SUCCESS,
        actor_id=None,
        target_type="database",
        target_id=database,
        user_agent="flowra-migrator export",
    )


def read_manifest(source: Path) -> Manifest:
    try:
        manifest = msgspec.json.decode((source / MANIFEST).read_bytes(), type=Manifest)
    except FileNotFoundError:
        raise BackupRefused(f"{source / MANIFEST} not found: not a flowra export") from None
    except msgspec.DecodeError as error:
        raise BackupRefused(f"{source / MANIFEST} is not a flowra manifest: {error}") from None
    if manifest.format != FORMAT or manifest.format_version != FORMAT_VERSION:
        raise BackupRefused(
            f"unsupported export format {manifest.format} v{manifest.format_version}"
        )
    known = [migration.version for migration in MIGRATIONS]
    if manifest.schema_version > known[-1]:
        raise BackupRefused(
            f"the export has schema {manifest.schema_version}, newer than this flowra's "
            f"{known[-1]}: import it with a flowra at least as new as the one that exported it"
        )
    if manifest.schema_version not in known:
        raise BackupRefused(f"unknown schema version {manifest.schema_version}")
    return manifest


def verify_files(source: Path, manifest: Manifest) -> None:
    for name, entry in manifest.collections.items():
        path = source / entry.file
        if not path.is_file() or file_sha256(path) != entry.sha256:
            raise BackupRefused(f"{path} is missing or its checksum differs ({name})")
    if _uploads_digest(source / UPLOADS) != manifest.uploads:
        raise BackupRefused(f"{source / UPLOADS} differs from the manifest")


def _check_uploads_target(source: Path, target: Path) -> None:
    """Refuse to overwrite an existing upload with other bytes."""
    for path in (p for p in source.rglob("*") if p.is_file()):
        existing = target / path.relative_to(source)
        if existing.exists() and file_sha256(existing) != file_sha256(path):
            raise BackupRefused(f"{existing} exists with other contents")


async def import_(database: MongoDatabase, settings: Settings, args: argparse.Namespace) -> int:
    source = Path(args.source)
    manifest = read_manifest(source)
    await asyncio.to_thread(verify_files, source, manifest)
    holding = await data_collections(database)
    if holding:
        raise BackupRefused(
            f"the target database {database.name} holds data ({', '.join(holding)}): "
            "import into an empty database"
        )
    newer = [v for v in await applied_records(database) if v > manifest.schema_version]
    if newer:
        raise BackupRefused(
            f"the target is already at schema {max(newer)}, newer than the export's "
            f"{manifest.schema_version}: import into an empty database"
        )
    uploads_dir = Path(settings.uploads.dir)
    await asyncio.to_thread(_check_uploads_target, source / UPLOADS, uploads_dir)
    owner = f"flowra-migrator-import:{Uuid4Ids().new_id()}"
    migrator = Migrator(database, owner=owner, clock=SystemClock())
    await migrator.up(to=manifest.schema_version)
    for name, entry in manifest.collections.items():
        progress = ProgressBar(f"importing {name}")
        await load_collection(database, name, source / entry.file, progress, entry.count)
    later = await migrator.up()
    await asyncio.to_thread(shutil.copytree, source / UPLOADS, uploads_dir, dirs_exist_ok=True)
    lease = HeldLease(MongoLeaseLocks(database, SystemClock()), LOCK_NAME, owner)
    async with lease.held():
        rebuild = ProjectionRebuild(database, projection_core(database))
        report = await rebuild.run(everything(), progress=ProgressBar("rebuilding projections"))
    total = sum(entry.count for entry in manifest.collections.values())
    _say(
        f"imported {total} documents and {manifest.uploads.files} uploads "
        f"(schema {manifest.schema_version}, then {len(later)} later migration(s)); "
        f"rebuilt every projection from {report.commits} commits in {report.seconds:.1f} s"
    )
    return EXIT_OK
