"""Files over HTTP: multipart upload into a chat and download by id, with the size limit,
the type whitelist, name sanitising, download headers and privacy.

Uploads go to an explicit `uploads.dir` on disk with `uploads.max_size` = 2048 bytes.
Acme is owned by olga; adam is an admin, max and mia are members, zed belongs to no workspace.
`chat_id` is olga's public discussion with max; `private_chat_id` olga's private one with max.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowra_entrypoints.container import build_container
from flowra_entrypoints.settings import load_settings

from .http_kit import Headers, Login, assert_problem

MAX_SIZE = 2048
MULTIPART_OVERHEAD = 64 * 1024
FILE_FIELDS = {
    "id",
    "chat_id",
    "workspace_id",
    "file_name",
    "size",
    "mime_type",
    "uploaded_by",
    "created_at",
    "url",
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


@pytest.fixture
def uploads_dir(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def app_config(uploads_dir: Path) -> str:
    return f"uploads:\n  dir: {uploads_dir}\n  max_size: {MAX_SIZE}\n"


def files_url(workspace_id: str, chat_id: str) -> str:
    return f"/api/v1/workspaces/{workspace_id}/chats/{chat_id}/files"


def stored_blobs(uploads_dir: Path) -> list[Path]:
    return [p for p in uploads_dir.rglob("*") if p.is_file()] if uploads_dir.exists() else []


def temporary_upload_dirs(root: Path) -> list[Path]:
    return list(root.glob("flowra-uploads-*"))


async def upload(
    client: httpx.AsyncClient,
    url: str,
    headers: Headers,
    name: str,
    content: bytes,
    content_type: str = "application/octet-stream",
) -> httpx.Response:
    return await client.post(url, files={"file": (name, content, content_type)}, headers=headers)


async def uploaded(
    client: httpx.AsyncClient, url: str, headers: Headers, name: str, content: bytes
) -> dict[str, Any]:
    response = await upload(client, url, headers, name, content)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestUpload:
    async def test_an_image_is_stored_on_disk_and_described(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        chat_id: str,
        uploads_dir: Path,
    ) -> None:
        response = await upload(
            client, files_url(workspace_id, chat_id), await login("max"), "Photo.PNG", PNG
        )

        assert response.status_code == 201
        body = response.json()
        assert set(body) == FILE_FIELDS
        assert body["file_name"] == "Photo.PNG"
        assert body["mime_type"] == "image/png"  # from the extension, not the part's type
        assert body["size"] == len(PNG)
        assert body["chat_id"] == chat_id
        assert body["workspace_id"] == workspace_id
        assert body["uploaded_by"] == user_ids["max"]
        assert body["url"] == f"/api/v1/files/{body['id']}/Photo.PNG"
        assert response.headers["location"] == body["url"]
        assert [blob.read_bytes() for blob in stored_blobs(uploads_dir)] == [PNG]

    async def test_without_a_known_extension_the_part_type_decides(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        response = await upload(
            client,
            files_url(workspace_id, chat_id),
            await login("max"),
            "README",
            b"hello",
            "Text/Plain; charset=utf-8",
        )
        assert response.status_code == 201
        assert response.json()["mime_type"] == "text/plain"

    @pytest.mark.parametrize(
        ("sent", "stored"),
        [
            ("../../etc/pa:ss?.txt", "pa_ss_.txt"),
            ("C:\\Users\\me\\report.csv", "report.csv"),
            ("  spaced out .md  ", "spaced out .md"),
            ('say "hi" <b>|*.txt', "say _hi_ _b___.txt"),
            ("x" * 300 + ".txt", "x" * 251 + ".txt"),
        ],
    )
    async def test_file_names_are_sanitised(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        sent: str,
        stored: str,
    ) -> None:
        response = await upload(
            client, files_url(workspace_id, chat_id), await login("max"), sent, b"x", "text/plain"
        )
        assert response.status_code == 201, response.text
        assert response.json()["file_name"] == stored

    @pytest.mark.parametrize(
        ("name", "content_type"),
        [
            ("logo.svg", "image/svg+xml"),
            ("page.html", "text/html"),
            ("page", "text/html"),
            ("tool.exe", "application/octet-stream"),
        ],
    )
    async def test_refused_types_are_415_and_store_nothing(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        uploads_dir: Path,
        name: str,
        content_type: str,
    ) -> None:
        response = await upload(
            client,
            files_url(workspace_id, chat_id),
            await login("max"),
            name,
            b"<svg onload=alert(1)>",
            content_type,
        )
        assert_problem(response, 415, "UNSUPPORTED_FILE_TYPE")
        assert stored_blobs(uploads_dir) == []

    async def test_the_largest_allowed_file_is_accepted(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        response = await upload(
            client, files_url(workspace_id, chat_id), await login("max"), "big.txt", b"x" * MAX_SIZE
        )
        assert response.status_code == 201
        assert response.json()["size"] == MAX_SIZE

    async def test_a_file_over_the_limit_is_413(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        uploads_dir: Path,
    ) -> None:
        response = await upload(
            client,
            files_url(workspace_id, chat_id),
            await login("max"),
            "big.txt",
            b"x" * (MAX_SIZE + 1),
        )
        assert_problem(response, 413, "FILE_TOO_LARGE")
        assert stored_blobs(uploads_dir) == []

    async def test_an_announced_body_over_the_limit_is_413_before_anything_else(
        self, client: httpx.AsyncClient, workspace_id: str, chat_id: str
    ) -> None:
        response = await client.post(
            files_url(workspace_id, chat_id),
            files={"file": ("big.txt", b"x" * (MAX_SIZE + MULTIPART_OVERHEAD), "text/plain")},
        )
        assert_problem(response, 413, "FILE_TOO_LARGE")

    async def test_a_streamed_body_within_the_limit_is_accepted(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="s.txt"\r\n\r\n'
            yield b"streamed"
            yield b"\r\n--b--\r\n"

        response = await client.post(
            files_url(workspace_id, chat_id),
            content=chunks(),
            headers={**await login("max"), "content-type": "multipart/form-data; boundary=b"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["size"] == len(b"streamed")

    async def test_a_streamed_body_over_the_limit_is_413(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        uploads_dir: Path,
    ) -> None:
        boundary = "flowra-boundary"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()

        async def chunks() -> AsyncIterator[bytes]:
            yield head
            for _ in range(10):
                yield b"x" * ((MAX_SIZE + MULTIPART_OVERHEAD) // 8)
            yield f"\r\n--{boundary}--\r\n".encode()

        response = await client.post(
            files_url(workspace_id, chat_id),
            content=chunks(),
            headers={
                **await login("max"),
                "content-type": f"multipart/form-data; boundary={boundary}",
            },
        )
        assert "content-length" not in response.request.headers
        assert_problem(response, 413, "FILE_TOO_LARGE")
        assert stored_blobs(uploads_dir) == []

    async def test_a_missing_file_part_is_422(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        response = await client.post(
            files_url(workspace_id, chat_id),
            files={"attachment": ("a.txt", b"x", "text/plain")},
            headers=await login("max"),
        )
        assert_problem(response, 422, "VALIDATION_ERROR", "file")

    async def test_a_file_part_without_a_file_is_422(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        response = await client.post(
            files_url(workspace_id, chat_id),
            files={"file": (None, b"just text")},
            headers=await login("max"),
        )
        assert_problem(response, 422, "VALIDATION_ERROR", "file")

    async def test_an_empty_file_is_422(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        response = await upload(
            client, files_url(workspace_id, chat_id), await login("max"), "empty.txt", b""
        )
        assert_problem(response, 422, "VALIDATION_ERROR", "file")

    async def test_broken_multipart_is_malformed(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        response = await client.post(
            files_url(workspace_id, chat_id),
            content=b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end',
            headers={**await login("max"), "content-type": "multipart/form-data; boundary=b"},
        )
        assert_problem(response, 400, "MALFORMED_REQUEST")

    async def test_a_json_body_is_an_unsupported_media_type(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        response = await client.post(
            files_url(workspace_id, chat_id), json={"file": "x"}, headers=await login("max")
        )
        assert_problem(response, 415, "UNSUPPORTED_MEDIA_TYPE")

    async def test_a_reader_who_is_not_a_participant_cannot_upload(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        uploads_dir: Path,
    ) -> None:
        response = await upload(
            client, files_url(workspace_id, chat_id), await login("mia"), "a.txt", b"x"
        )
        assert_problem(response, 403, "NOT_PARTICIPANT")
        assert stored_blobs(uploads_dir) == []

    @pytest.mark.parametrize(
        ("user", "code"), [("mia", "CHAT_NOT_FOUND"), ("zed", "WORKSPACE_NOT_FOUND")]
    )
    async def test_a_private_chat_is_not_found_for_others(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        private_chat_id: str,
        user: str,
        code: str,
    ) -> None:
        response = await upload(
            client, files_url(workspace_id, private_chat_id), await login(user), "a.txt", b"x"
        )
        assert_problem(response, 404, code)

    async def test_an_anonymous_upload_is_unauthenticated(
        self, client: httpx.AsyncClient, workspace_id: str, chat_id: str
    ) -> None:
        response = await upload(client, files_url(workspace_id, chat_id), {}, "a.txt", b"x")
        assert_problem(response, 401, "UNAUTHENTICATED")


class TestDownload:
    async def test_an_image_is_served_inline_with_safe_headers(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        file = await uploaded(
            client, files_url(workspace_id, chat_id), await login("max"), "shot.png", PNG
        )

        response = await client.get(file["url"], headers=await login("mia"))

        assert response.status_code == 200
        assert response.content == PNG
        assert response.headers["content-type"] == "image/png"
        assert response.headers["content-length"] == str(len(PNG))
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "private, max-age=3600"
        assert response.headers["content-disposition"] == (
            "inline; filename=\"shot.png\"; filename*=UTF-8''shot.png"
        )

    async def test_other_files_are_attachments_with_an_ascii_fallback_name(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        file = await uploaded(
            client,
            files_url(workspace_id, chat_id),
            await login("max"),
            "Résumé – 100%.txt",
            b"plain text",
        )

        response = await client.get(f"/api/v1/files/{file['id']}", headers=await login("max"))

        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain"
        assert response.headers["content-disposition"] == (
            'attachment; filename="Resume _ 100_.txt"; '
            "filename*=UTF-8''R%C3%A9sum%C3%A9%20%E2%80%93%20100%25.txt"
        )

    async def test_the_name_segment_is_ignored(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        file = await uploaded(
            client, files_url(workspace_id, chat_id), await login("max"), "a.pdf", b"%PDF-1.4"
        )
        response = await client.get(
            f"/api/v1/files/{file['id']}/other.exe", headers=await login("max")
        )
        assert response.status_code == 200
        assert response.content == b"%PDF-1.4"
        assert response.headers["content-disposition"].startswith('inline; filename="a.pdf"')

    async def test_files_of_a_private_chat_are_hidden_from_non_readers(
        self,
        client: httpx.AsyncClient,
        login: Login,
        login_sysadmin: Login,
        workspace_id: str,
        other_workspace_id: str,
        private_chat_id: str,
    ) -> None:
        file = await uploaded(
            client, files_url(workspace_id, private_chat_id), await login("max"), "a.txt", b"x"
        )
        for user in ["mia", "adam", "zed", "otto"]:
            response = await client.get(file["url"], headers=await login(user))
            assert_problem(response, 404, "FILE_NOT_FOUND")
        for headers in [await login("olga"), await login_sysadmin("root")]:
            assert (await client.get(file["url"], headers=headers)).status_code == 200

    async def test_a_file_of_a_deleted_message_is_gone(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        headers = await login("max")
        file = await uploaded(client, files_url(workspace_id, chat_id), headers, "a.txt", b"x")
        messages = f"/api/v1/workspaces/{workspace_id}/chats/{chat_id}/messages"
        sent = await client.post(messages, json={"attachment_ids": [file["id"]]}, headers=headers)
        assert (await client.get(file["url"], headers=headers)).status_code == 200

        await client.delete(f"{messages}/{sent.json()['id']}", headers=headers)

        assert_problem(await client.get(file["url"], headers=headers), 404, "FILE_NOT_FOUND")

    async def test_a_file_of_a_deleted_chat_is_gone(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        file = await uploaded(
            client, files_url(workspace_id, chat_id), await login("max"), "a.txt", b"x"
        )
        deleted = await client.delete(
            f"/api/v1/workspaces/{workspace_id}/chats/{chat_id}", headers=await login("olga")
        )
        assert deleted.status_code == 204
        response = await client.get(file["url"], headers=await login("olga"))
        assert_problem(response, 404, "FILE_NOT_FOUND")

    async def test_an_unknown_file_is_not_found(
        self, client: httpx.AsyncClient, login: Login
    ) -> None:
        response = await client.get("/api/v1/files/nope", headers=await login("max"))
        assert_problem(response, 404, "FILE_NOT_FOUND")

    async def test_an_anonymous_download_is_unauthenticated(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        file = await uploaded(
            client, files_url(workspace_id, chat_id), await login("max"), "a.txt", b"x"
        )
        assert_problem(await client.get(file["url"]), 401, "UNAUTHENTICATED")


class TestUploadStorage:
    """The container's blob storage: `uploads.dir` on disk, or with the memory backend and no
    explicit `uploads.dir` a temporary directory removed at shutdown."""

    async def test_by_default_uploads_live_in_a_temporary_directory_until_shutdown(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        config = tmp_path / "config.yaml"
        config.write_text("log:\n  level: error\n")
        loaded = load_settings(str(config), environ={})
        container = build_container(loaded.settings, loaded.explicit_keys)

        blobs = container.blobs()
        await blobs.put("abc123", b"bytes")
        [directory] = temporary_upload_dirs(tmp_path)
        assert stored_blobs(directory) != []
        assert await blobs.open("abc123") == b"bytes"

        container.shutdown_resources()
        assert not directory.exists()

    async def test_an_explicit_directory_is_used_and_kept(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
        uploads = tmp_path / "uploads"
        config = tmp_path / "config.yaml"
        config.write_text("log:\n  level: error\n")
        loaded = load_settings(str(config), environ={"FLOWRA_UPLOADS_DIR": str(uploads)})
        container = build_container(loaded.settings, loaded.explicit_keys)

        await container.blobs().put("abc123", b"bytes")
        container.shutdown_resources()

        assert [blob.read_bytes() for blob in stored_blobs(uploads)] == [b"bytes"]
        assert not (tmp_path / "tmp").exists()
