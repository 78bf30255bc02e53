"""Uploads from the composer and downloads for previews and links (web-client.md §2
"Chat view": attach up to the upload limit, image preview, download link)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Response
from litestar.types import ControllerRouterHandler

from flowra_core.domain.errors import ValidationFailed
from flowra_entrypoints.http.dto.files import download_headers
from flowra_entrypoints.http.limits import MULTIPART_OVERHEAD
from flowra_entrypoints.web.pages.chats import C, core_of
from flowra_entrypoints.web.pages.common import AnyRequest
from flowra_entrypoints.web.state import web_state
from flowra_entrypoints.web.viewer import CurrentViewer

# A stored file is never a document of this site: no script, no plugin, no form.
_FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


@post(C + "/files", include_in_schema=False, status_code=201)
async def upload(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    chat_id: FromPath[str],
    data: Multipart,
) -> Response[dict[str, object]]:
    """Stores the file; the composer sends its id with the message."""
    given = data.get("file")
    if not isinstance(given, UploadFile):
        raise ValidationFailed.single("file", "choose a file to upload")
    view = await core_of(request).files.upload(
        viewer.actor,
        workspace_id,
        chat_id,
        file_name=given.filename,
        content_type=given.content_type,
        data=await given.read(),
        max_size=web_state(request.app.state).upload_max_size,
    )
    body: dict[str, object] = {
        "id": view.id,
        "file_name": view.file_name,
        "mime_type": view.mime_type,
    }
    return Response(body, status_code=201)


@get("/files/{file_id:str}", include_in_schema=False)
async def download(
    request: AnyRequest,
    viewer: CurrentViewer,
    file_id: FromPath[str],
    download: FromQuery[bool] = False,
) -> Response[bytes]:
    view, content = await core_of(request).files.download(viewer.actor, file_id)
    headers = {**download_headers(view), "Content-Security-Policy": _FILE_CSP}
    if download:
        headers["Content-Disposition"] = headers["Content-Disposition"].replace(
            "inline", "attachment", 1
        )
    return Response(content, headers=headers, media_type=view.mime_type)


def file_routes(upload_max_size: int) -> list[ControllerRouterHandler]:
    """The upload gets the body limit of `uploads.max_size` (the app's is 1 MiB)."""
    uploads = Router(
        path="/",
        route_handlers=[upload],
        request_max_body_size=upload_max_size + MULTIPART_OVERHEAD,
    )
    return [uploads, download]
