"""The `repair` worker job (operations.md §5): its interval comes from
`worker.repair_interval`, and each run deletes the uploads never attached for 24 h. The worker
knows every job name of the guide; `catchup` and `dispatch` name the reaction sweep (`relay`)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from flowra_core.app.messages.upload_sweep import UNATTACHED_UPLOAD_MAX_AGE
from flowra_core.domain.chat import NewChat
from flowra_core.testing.builder import build_test_core
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import load_settings
from flowra_entrypoints.worker.job_names import (
    CATCHUP,
    DISPATCH,
    KNOWN_JOBS,
    RELAY,
    REPAIR,
    job_names,
)
from flowra_entrypoints.worker.jobs import build_jobs
from flowra_entrypoints.worker.main import selected_jobs
from flowra_entrypoints.worker.repair_job import build_repair_job


async def test_a_run_deletes_a_stale_unattached_upload() -> None:
    tc = await build_test_core()
    alice = await tc.user("alice")
    workspace = (await tc.core.workspaces.create(alice, name="W", description=None)).workspace
    chat = (await tc.core.chats.create(alice, workspace.id, NewChat(type="task", title="T"))).chat
    upload = await tc.core.files.upload(
        alice,
        workspace.id,
        chat.id,
        file_name="left.txt",
        content_type="text/plain",
        data=b"never attached",
        max_size=1024,
    )
    settings = load_settings(None, environ={"FLOWRA_WORKER_REPAIR_INTERVAL": "45s"}).settings
    job = build_repair_job(tc.core, settings)
    tc.clock.advance(UNATTACHED_UPLOAD_MAX_AGE + timedelta(seconds=1))

    await job.run_once()

    assert job.interval == 45.0
    assert await tc.adapters.files.get(upload.id) is None


async def test_the_worker_knows_every_job_of_the_guide() -> None:
    tc = await build_test_core()
    settings = load_settings(None, environ={}).settings
    async with httpx.AsyncClient() as http_client:
        jobs = build_jobs(tc.core, settings, Metrics(), http_client, tc.adapters.bus)

    repair = next(job for job in jobs if job.name == REPAIR)
    assert repair.interval == 30.0  # the default of worker.repair_interval
    assert REPAIR in KNOWN_JOBS
    assert selected_jobs("relay, repair") == ["relay", REPAIR]
    assert {RELAY, REPAIR} <= {job.name for job in jobs}
    assert job_names([CATCHUP]) == job_names([DISPATCH]) == {RELAY}
