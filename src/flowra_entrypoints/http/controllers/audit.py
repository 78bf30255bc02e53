"""Audit log routes: a workspace's log for its owners and admins, every workspace's for system
admins; filters by actor, action and time, cursor pages, and a JSON Lines export. There is no
route that edits or deletes an entry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from flowra_core.app.governance.audit import parse_action
from flowra_core.domain.audit import AuditEntry
from flowra_core.domain.errors import ErrorCode, ValidationFailed
from flowra_core.ports.audit import AuditFilter
from flowra_entrypoints.http.auth import CurrentActor
from flowra_entrypoints.http.controllers.tokens import GovernanceDep
from flowra_entrypoints.http.dto.common import ListResponse, Struct, Timestamp, list_response, ts
from flowra_entrypoints.http.dto.constraints import Cursor, Limit
from flowra_entrypoints.http.error_contract import problems

JSON_LINES = "application/x-ndjson"
_READ_ERRORS = (ErrorCode.WORKSPACE_NOT_FOUND, ErrorCode.FORBIDDEN, ErrorCode.VALIDATION_ERROR)


class AuditEntryResponse(Struct):
    id: str
    at: Timestamp
    action: str
    outcome: str
    actor_id: str | None
    token_id: str | None
    workspace_id: str | None
    target_type: str | None
    target_id: str | None
    request_id: str | None
    ip: str | None
    user_agent: str | None
    status: int | None


def entry_response(entry: AuditEntry) -> AuditEntryResponse:
    return AuditEntryResponse(
        id=entry.id,
        at=ts(entry.at),
        action=entry.action.value,
        outcome=entry.outcome.value,
        actor_id=entry.actor_id,
        token_id=entry.token_id,
        workspace_id=entry.workspace_id,
        target_type=entry.target_type,
        target_id=entry.target_id,
        request_id=entry.request_id,
        ip=entry.ip,
        user_agent=entry.user_agent,
        status=entry.status,
    )


def _moment(raw: str | None, field: str) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed.single(field, "must be an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise ValidationFailed.single(field, "must carry a timezone")
    return moment


def audit_filter(
    workspace_id: str | None,
    actor_id: str | None,
    action: str | None,
    since: str | None,
    until: str | None,
) -> AuditFilter:
    return AuditFilter(
        workspace_id=workspace_id,
        actor_id=actor_id,
        action=parse_action(action),
        since=_moment(since, "since"),
        until=_moment(until, "until"),
    )


async def json_lines(entries: AsyncIterator[AuditEntry]) -> AsyncIterator[bytes]:
    encoder = msgspec.json.Encoder()
    async for entry in entries:
        yield encoder.encode(entry_response(entry)) + b"\n"


class WorkspaceAuditController(Controller):
    path = "/api/v1/workspaces/{workspace_id:str}/audit"
    tags = ["audit"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @problems(*_READ_ERRORS)
    @get("/", summary="This workspace's audit log, newest first (owners, admins)")
    async def read(
        self,
        workspace_id: FromPath[str],
        actor: CurrentActor,
        governance: GovernanceDep,
        actor_id: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[Cursor | None] = None,
    ) -> ListResponse[AuditEntryResponse]:
        where = audit_filter(workspace_id, actor_id, action, since, until)
        page = await governance.audit.read(actor, where, limit=limit, cursor=cursor)
        return list_response(page, entry_response)

    @problems(*_READ_ERRORS)
    @get("/export", summary="This workspace's audit log as JSON Lines", media_type=JSON_LINES)
    async def export(
        self,
        workspace_id: FromPath[str],
        actor: CurrentActor,
        governance: GovernanceDep,
        actor_id: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
    ) -> Stream:
        where = audit_filter(workspace_id, actor_id, action, since, until)
        entries = await governance.audit.export(actor, where)
        return Stream(json_lines(entries), media_type=JSON_LINES)


class SystemAuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @problems(*_READ_ERRORS)
    @get("/", summary="Every workspace's audit log, newest first (system admins)")
    async def read(
        self,
        actor: CurrentActor,
        governance: GovernanceDep,
        workspace_id: FromQuery[str | None] = None,
        actor_id: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[Cursor | None] = None,
    ) -> ListResponse[AuditEntryResponse]:
        where = audit_filter(workspace_id, actor_id, action, since, until)
        page = await governance.audit.read(actor, where, limit=limit, cursor=cursor)
        return list_response(page, entry_response)

    @problems(*_READ_ERRORS)
    @get(
        "/export",
        summary="Every workspace's audit log as JSON Lines (system admins)",
        media_type=JSON_LINES,
    )
    async def export(
        self,
        actor: CurrentActor,
        governance: GovernanceDep,
        actor_id: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
    ) -> Stream:
        where = audit_filter(None, actor_id, action, since, until)
        entries = await governance.audit.export(actor, where)
        return Stream(json_lines(entries), media_type=JSON_LINES)
