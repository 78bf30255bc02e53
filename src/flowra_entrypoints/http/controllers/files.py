"""File routes (http-api.md "Files"): multipart upload into a chat, download by id.

The upload route lives in its own router whose body limit is `uploads.max_size` plus the
multipart overhead (the app-wide limit is the 1 MiB of JSON bodies); a body over it is
413 FILE_TOO_LARGE. The limits middleware already refuses an announced oversized body;
this catches streamed (chunked) ones.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, MultipartBody
from litestar.types import ControllerRouterHandler

from flowra_core.domain.errors import ErrorCode
from flowra_entrypoints.http.auth import Core, CurrentActor
from flowra_entrypoints.http.dto.constraints import (
    Id,
)
from flowra_entrypoints.http.dto.files import (
    FileResponse,
    UploadForm,
    download_headers,
    file_response,
)
from flowra_entrypoints.http.error_contract import problems
from flowra_entrypoints.http.limits import MULTIPART_OVERHEAD
from flowra_entrypoints.http.problems import STATUS_OF, problem_response

C = "/api/v1/workspaces/{workspace_id:str}/chats/{chat_id:str}"
# Documented type of downloads; each response carries the file's own Content-Type.
BYTES = "application/octet-stream"

# The largest accepted file (`uploads.max_size`), injected by the upload router.
UploadMaxSize = NamedDependency[int]


def file_too_large(request: Request[Any, Any, Any], exc: RequestEntityTooLarge) -> Response[Any]:
    return problem_response(
        request,
        status=STATUS_OF[ErrorCode.FILE_TOO_LARGE],
        code=ErrorCode.FILE_TOO_LARGE,
        detail="The upload is larger than the size limit",
    )


async def read_unannounced_body(request: Request[Any, Any, Any]) -> None:
    """Read a streamed (chunked) upload whole, under the route's limit, before it is parsed:
    Litestar's multipart parser leaves the part it is writing open when the limit trips in
    the middle of it. A body with a Content-Length was checked against the limit upfront."""
    if "content-length" not in request.headers:
        await request.body()


class UploadController(Controller):
    path = C
    tags = ["files"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @problems(
        ErrorCode.FORBIDDEN,
        ErrorCode.NOT_PARTICIPANT,
        ErrorCode.FILE_TOO_LARGE,
        ErrorCode.UNSUPPORTED_FILE_TYPE,
    )
    @post(
        "/files",
        summary="Upload a file into the chat (multipart, one part `file`)",
        exception_handlers={RequestEntityTooLarge: file_too_large},
        before_request=read_unannounced_body,
    )
    async def upload(
        self,
        workspace_id: FromPath[Id],
        chat_id: FromPath[Id],
        data: MultipartBody[UploadForm],
        actor: CurrentActor,
        core: Core,
        upload_max_size: UploadMaxSize,
    ) -> Response[FileResponse]:
        view = await core.files.upload(
            actor,
            workspace_id,
            chat_id,
            file_name=data.file.filename,
            content_type=data.file.content_type,
            data=await data.file.read(),
            max_size=upload_max_size,
        )
        return Response(file_response(view), status_code=201, headers={"Location": view.url})


class DownloadsController(Controller):
    path = "/api/v1/files"
    tags = ["files"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @problems(ErrorCode.FILE_NOT_FOUND)
    @get("/{file_id:str}", media_type=BYTES, summary="Download a file")
    async def download(
        self, file_id: FromPath[Id], actor: CurrentActor, core: Core
    ) -> Response[bytes]:
        view, content = await core.files.download(actor, file_id)
        return Response(content, headers=download_headers(view))

    @problems(ErrorCode.FILE_NOT_FOUND)
    @get(
        "/{file_id:str}/{file_name:str}",
        media_type=BYTES,
        summary="Download a file (the name is ignored)",
    )
    async def download_named(
        self, file_id: FromPath[Id], file_name: FromPath[str], actor: CurrentActor, core: Core
    ) -> Response[bytes]:
        view, content = await core.files.download(actor, file_id)
        return Response(content, headers=download_headers(view))


def file_routes(upload_max_size: int) -> list[ControllerRouterHandler]:
    """The file routes, for the app's route handlers; `upload_max_size` = `uploads.max_size`."""

    def provide_upload_max_size() -> int:
        return upload_max_size

    uploads = Router(
        path="/",
        route_handlers=[UploadController],
        request_max_body_size=upload_max_size + MULTIPART_OVERHEAD,
        dependencies={"upload_max_size": Provide(provide_upload_max_size, sync_to_thread=False)},
    )
    return [uploads, DownloadsController]
