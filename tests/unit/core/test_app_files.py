"""Uploads and downloads (http-api.md "Files"): who may, size and type rules, the stored
name, and when a file stops being downloadable."""

from __future__ import annotations

from collections.abc import Awaitable

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.messages.file_rules import resolve_mime_type, sanitize_file_name
from flowra_core.app.messages.files import FileView
from flowra_core.domain.chat import NewChat
from flowra_core.domain.errors import ErrorCode, FlowraError, ValidationFailed
from flowra_core.testing.builder import TestCore

LIMIT = 1024
PNG = b"\x89PNG\r\n\x1a\n"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def code_of(call: Awaitable[object]) -> ErrorCode | None:
    try:
        await call
    except FlowraError as error:
        return error.code
    return None


async def discussion(
    tc: TestCore, creator: Actor, workspace_id: str, *others: Actor, is_public: bool = True
) -> str:
    draft = NewChat(
        title="Launch", is_public=is_public, participant_ids=[o.user_id for o in others]
    )
    view = await tc.core.chats.create(creator, workspace_id, draft)
    return view.chat.id


async def upload(
    tc: TestCore,
    actor: Actor,
    workspace_id: str,
    chat_id: str,
    *,
    name: str = "diagram.png",
    content_type: str | None = "image/png",
    data: bytes = PNG,
) -> FileView:
    return await tc.core.files.upload(
        actor,
        workspace_id,
        chat_id,
        file_name=name,
        content_type=content_type,
        data=data,
        max_size=LIMIT,
    )


class TestUpload:
    async def test_a_participant_uploads(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        view = await upload(tc, owner, workspace_id, chat_id)

        assert view == FileView(
            id=view.id,
            chat_id=chat_id,
            workspace_id=workspace_id,
            file_name="diagram.png",
            size=len(PNG),
            mime_type="image/png",
            uploaded_by=owner.user_id,
            created_at=tc.clock.now(),
            url=f"/api/v1/files/{view.id}/diagram.png",
        )
        record = await tc.adapters.files.get(view.id)
        assert record is not None
        assert record.message_id is None
        assert await tc.adapters.blobs.open(record.storage_key) == PNG

    @pytest.mark.parametrize(
        ("caller", "private", "expected"),
        [
            ("member", False, ErrorCode.NOT_PARTICIPANT),
            ("sysadmin", True, ErrorCode.NOT_PARTICIPANT),
            ("member", True, ErrorCode.CHAT_NOT_FOUND),
            ("non-member", False, ErrorCode.WORKSPACE_NOT_FOUND),
        ],
    )
    async def test_only_participants_upload(
        self,
        tc: TestCore,
        owner: Actor,
        workspace_id: str,
        callers: dict[str, Actor],
        caller: str,
        private: bool,
        expected: ErrorCode,
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, is_public=not private)

        code = await code_of(upload(tc, callers[caller], workspace_id, chat_id))

        assert code is expected
        assert tc.adapters.blobs.keys() == []

    async def test_a_deleted_chat_takes_no_uploads(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        await tc.core.chats.delete(owner, workspace_id, chat_id)

        assert await code_of(upload(tc, owner, workspace_id, chat_id)) is ErrorCode.CHAT_NOT_FOUND

    async def test_the_size_limit_is_inclusive(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        at_limit = await upload(tc, owner, workspace_id, chat_id, data=b"x" * LIMIT)
        over = await code_of(upload(tc, owner, workspace_id, chat_id, data=b"x" * (LIMIT + 1)))

        assert at_limit.size == LIMIT
        assert over is ErrorCode.FILE_TOO_LARGE

    async def test_an_empty_file_is_invalid(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        with pytest.raises(ValidationFailed) as failure:
            await upload(tc, owner, workspace_id, chat_id, data=b"")

        assert [error.field for error in failure.value.errors] == ["file"]

    @pytest.mark.parametrize(
        ("name", "content_type"),
        [
            ("logo.svg", "image/png"),
            ("page.html", "text/plain"),
            ("setup.exe", "application/pdf"),
            ("blob", "image/svg+xml"),
            ("blob", "text/html; charset=utf-8"),
            ("blob", None),
            ("data.json", "text/plain"),
        ],
    )
    async def test_unsupported_types_are_refused(
        self, tc: TestCore, owner: Actor, workspace_id: str, name: str, content_type: str | None
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        code = await code_of(
            upload(tc, owner, workspace_id, chat_id, name=name, content_type=content_type)
        )

        assert code is ErrorCode.UNSUPPORTED_FILE_TYPE
        assert tc.adapters.blobs.keys() == []


class TestFileRules:
    @pytest.mark.parametrize(
        ("name", "content_type", "expected"),
        [
            ("photo.JPG", "text/html", "image/jpeg"),
            ("notes.md", None, "text/markdown"),
            ("sheet.xlsx", "application/octet-stream", XLSX),
            ("talk.odp", None, "application/vnd.oasis.opendocument.presentation"),
            ("backup.tar.gz", None, "application/gzip"),
            ("build.log", "Text/Plain; charset=utf-8", "text/plain"),
            ("README", "text/markdown", "text/markdown"),
        ],
    )
    def test_the_extension_decides_when_known_else_the_part(
        self, name: str, content_type: str | None, expected: str
    ) -> None:
        assert resolve_mime_type(name, content_type) == expected

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("report.pdf", "report.pdf"),
            ("C:\\Users\\me\\report.pdf", "report.pdf"),
            ("../../etc/passwd", "passwd"),
            ('a"b<c>d:e*f?g|h.txt', "a_b_c_d_e_f_g_h.txt"),
            ("tab\there\x00.txt", "tab_here_.txt"),
            ("  spaced out.txt  ", "spaced out.txt"),
            ("", "file"),
            ("   ", "file"),
            ("dir/", "file"),
            ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
            ("y" * 300, "y" * 255),
        ],
    )
    def test_file_names_are_sanitised(self, raw: str, expected: str) -> None:
        assert sanitize_file_name(raw) == expected

    async def test_the_stored_name_is_the_sanitised_one(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        view = await upload(tc, owner, workspace_id, chat_id, name="scans/a:b.png")

        assert (view.file_name, view.url) == ("a_b.png", f"/api/v1/files/{view.id}/a_b.png")


class TestDownload:
    @pytest.mark.parametrize(
        ("caller", "private", "expected"),
        [
            ("owner", True, None),
            ("member", False, None),
            ("sysadmin", True, None),
            ("member", True, ErrorCode.FILE_NOT_FOUND),
            ("non-member", False, ErrorCode.FILE_NOT_FOUND),
        ],
    )
    async def test_whoever_reads_the_chat_downloads(
        self,
        tc: TestCore,
        owner: Actor,
        workspace_id: str,
        callers: dict[str, Actor],
        caller: str,
        private: bool,
        expected: ErrorCode | None,
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, is_public=not private)
        view = await upload(tc, owner, workspace_id, chat_id)

        code = await code_of(tc.core.files.download(callers[caller], view.id))

        assert code is expected

    async def test_the_bytes_come_with_the_file(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        view = await upload(tc, owner, workspace_id, chat_id)

        downloaded, data = await tc.core.files.download(owner, view.id)

        assert (downloaded, data) == (view, PNG)

    async def test_an_unknown_file_is_not_found(self, tc: TestCore, owner: Actor) -> None:
        assert await code_of(tc.core.files.download(owner, "nope")) is ErrorCode.FILE_NOT_FOUND

    async def test_a_file_of_a_deleted_chat_is_gone(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        view = await upload(tc, owner, workspace_id, chat_id)
        await tc.core.chats.delete(owner, workspace_id, chat_id)

        assert await code_of(tc.core.files.download(owner, view.id)) is ErrorCode.FILE_NOT_FOUND

    async def test_a_file_of_a_deleted_message_is_gone(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        view = await upload(tc, owner, workspace_id, chat_id)
        sent = await tc.core.messages.send(
            owner, workspace_id, chat_id, content="", attachment_ids=[view.id]
        )
        before = await code_of(tc.core.files.download(owner, view.id))

        await tc.core.messages.delete(owner, workspace_id, chat_id, sent.message.message.id)

        assert before is None
        assert await code_of(tc.core.files.download(owner, view.id)) is ErrorCode.FILE_NOT_FOUND

    async def test_a_file_of_a_deleted_workspace_is_gone(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        view = await upload(tc, owner, workspace_id, chat_id)
        await tc.core.workspaces.delete(owner, workspace_id)

        assert await code_of(tc.core.files.download(owner, view.id)) is ErrorCode.FILE_NOT_FOUND
