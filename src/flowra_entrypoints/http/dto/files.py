"""Upload form, File resource and download headers (http-api.md "Files")."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

import msgspec
from litestar.datastructures import UploadFile

from flowra_core.app.messages.files import FileView
from flowra_entrypoints.http.dto.common import Struct, Timestamp, ts

DOWNLOAD_CACHE_CONTROL = "private, max-age=3600"
_FALLBACK_UNSAFE = frozenset('"\\%')


class UploadForm(msgspec.Struct, kw_only=True):
    """The multipart body: the part named `file` (422 without it); other parts are ignored."""

    file: UploadFile


class FileResponse(Struct):
    id: str
    chat_id: str
    workspace_id: str
    file_name: str
    size: int
    mime_type: str
    uploaded_by: str
    created_at: Timestamp
    url: str


def file_response(view: FileView) -> FileResponse:
    return FileResponse(
        id=view.id,
        chat_id=view.chat_id,
        workspace_id=view.workspace_id,
        file_name=view.file_name,
        size=view.size,
        mime_type=view.mime_type,
        uploaded_by=view.uploaded_by,
        created_at=ts(view.created_at),
        url=view.url,
    )


def shown_inline(mime_type: str) -> bool:
    """Images and PDFs open in the browser; everything else is downloaded."""
    return mime_type.startswith("image/") or mime_type == "application/pdf"


def ascii_file_name(file_name: str) -> str:
    """The `filename=` fallback for clients without RFC 6266 support: accents dropped, any
    other non-ASCII, quote, backslash or percent character replaced by `_`."""
    decomposed = unicodedata.normalize("NFKD", file_name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if " " <= c <= "~" and c not in _FALLBACK_UNSAFE else "_" for c in stripped)


def content_disposition(file_name: str, mime_type: str) -> str:
    """RFC 6266: an ASCII `filename` plus the exact name as UTF-8 in `filename*`."""
    disposition = "inline" if shown_inline(mime_type) else "attachment"
    encoded = quote(file_name, safe="")
    return f"{disposition}; filename=\"{ascii_file_name(file_name)}\"; filename*=UTF-8''{encoded}"


def download_headers(view: FileView) -> dict[str, str]:
    """Sent exactly: the stored type (no charset guessed for text files), no sniffing."""
    return {
        "Content-Type": view.mime_type,
        "Content-Disposition": content_disposition(view.file_name, view.mime_type),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": DOWNLOAD_CACHE_CONTROL,
    }
