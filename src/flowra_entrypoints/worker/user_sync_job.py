"""The user_sync job (operations.md §5): Keycloak's realm users mirrored onto Flowra's users
every `worker.user_sync_interval`, and once at start (the runner's first tick).

It runs only with `auth.provider=keycloak` and `worker.user_sync_enabled`, and needs the
Keycloak administrator credentials (`keycloak.admin_username`/`admin_password`); without them
it is disabled with a WARN, which is not fatal.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from loguru import logger

from flowra_adapters.keycloak import KeycloakAdminApi, KeycloakUserDirectory
from flowra_core.app.core import FlowraCore
from flowra_core.app.users.sync import SyncOutcome, UserSync, UserSyncReport
from flowra_entrypoints.identity import realm_endpoints
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.worker.job_names import USER_SYNC
from flowra_entrypoints.worker.runner import Job

# Failures listed one by one in the log, at most; the rest are only counted.
LOGGED_FAILURES = 20

RunRecorder = Callable[[SyncOutcome], None]


def build_user_sync_job(
    core: FlowraCore,
    settings: Settings,
    http_client: httpx.AsyncClient,
    *,
    record_run: RunRecorder | None = None,
) -> Job | None:
    """The job, or None when the configuration disables it. `record_run(outcome)` is called
    after every run with `ok`, `partial` or `error` (`flowra_user_sync_runs_total`)."""
    if settings.auth.provider != "keycloak" or not settings.worker.user_sync_enabled:
        return None
    keycloak = settings.keycloak
    log = logger.bind(logger=f"worker.{USER_SYNC}", job=USER_SYNC)
    if not keycloak.admin_username or not keycloak.admin_password:
        log.warning("user sync disabled: set keycloak.admin_username and keycloak.admin_password")
        return None
    endpoints = realm_endpoints(settings)
    admin_api = KeycloakAdminApi.as_administrator(
        http=http_client,
        endpoints=endpoints,
        username=keycloak.admin_username,
        password=keycloak.admin_password,
        clock=core.ports.clock,
    )
    sync = UserSync(
        write=core.write,
        users=core.ports.users,
        provisioning=core.users,
        directory=KeycloakUserDirectory(admin_api=admin_api, endpoints=endpoints),
    )

    async def run_once() -> None:
        report = await sync.run_once()
        _log_report(report)
        if record_run is not None:
            record_run(report.outcome)

    return Job(USER_SYNC, settings.worker.user_sync_interval, run_once)


def _log_report(report: UserSyncReport) -> None:
    log = logger.bind(logger=f"worker.{USER_SYNC}", job=USER_SYNC)
    for failure in report.failures[:LOGGED_FAILURES]:
        log.warning("user not synced", external_id=failure.external_id, error=failure.reason)
    counts = {
        "created": report.created,
        "updated": report.updated,
        "reactivated": report.reactivated,
        "deactivated": report.deactivated,
        "unchanged": report.unchanged,
        "skipped": report.skipped,
        "failed": len(report.failures),
    }
    if report.aborted is not None:
        log.warning("user sync ended early", error=report.aborted, **counts)
    elif report.failures:
        log.warning("user sync finished with failures", **counts)
    else:
        log.info("user sync finished", **counts)
