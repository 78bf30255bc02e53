"""Upload rules of http-api.md "Files": the stored file name and the MIME type we trust."""

from __future__ import annotations

import mimetypes
import unicodedata
from types import MappingProxyType
from typing import Final

FILE_NAME_MAX_CHARS: Final = 255
EMPTY_FILE_NAME: Final = "file"
_UNSAFE_CHARACTERS: Final = frozenset('"<>\\/:*?|')

ALLOWED_TYPES: Final = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "text/markdown",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/zip",
        "application/x-tar",
        "application/gzip",
    }
)
ALLOWED_TYPE_FAMILIES: Final = (
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
)

_OOXML: Final = "application/vnd.openxmlformats-officedocument."
_ODF: Final = "application/vnd.oasis.opendocument."

# The extensions of the allowed types, fixed here so the answer never depends on the host's
# mime.types; other extensions fall back to Python's built-in table (without host files).
_ALLOWED_BY_EXTENSION: Final = MappingProxyType(
    {
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".jpe": "image/jpeg",
        ".gif": "image/gif",
        ".webp": "image/webp",
        ".pdf": "application/pdf",
        ".txt": "text/plain",
        ".text": "text/plain",
        ".csv": "text/csv",
        ".md": "text/markdown",
        ".markdown": "text/markdown",
        ".doc": "application/msword",
        ".dot": "application/msword",
        ".xls": "application/vnd.ms-excel",
        ".xlt": "application/vnd.ms-excel",
        ".ppt": "application/vnd.ms-powerpoint",
        ".pps": "application/vnd.ms-powerpoint",
        ".pot": "application/vnd.ms-powerpoint",
        ".docx": _OOXML + "wordprocessingml.document",
        ".dotx": _OOXML + "wordprocessingml.template",
        ".xlsx": _OOXML + "spreadsheetml.sheet",
        ".xltx": _OOXML + "spreadsheetml.template",
        ".pptx": _OOXML + "presentationml.presentation",
        ".ppsx": _OOXML + "presentationml.slideshow",
        ".potx": _OOXML + "presentationml.template",
        ".odt": _ODF + "text",
        ".ods": _ODF + "spreadsheet",
        ".odp": _ODF + "presentation",
        ".odg": _ODF + "graphics",
        ".zip": "application/zip",
        ".tar": "application/x-tar",
        ".gz": "application/gzip",
        ".tgz": "application/gzip",
    }
)
_BUILT_IN_TYPES: Final = mimetypes.MimeTypes(filenames=())


def sanitize_file_name(raw: str) -> str:
    """Basename only; control characters and `"<>\\/:*?|` become `_`; trimmed; at most 255
    characters with the extension kept; `file` when nothing is left."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(
        "_" if c in _UNSAFE_CHARACTERS or unicodedata.category(c) == "Cc" else c for c in base
    ).strip()
    if len(cleaned) > FILE_NAME_MAX_CHARS:
        cleaned = _shortened(cleaned)
    return cleaned or EMPTY_FILE_NAME


def _shortened(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) + 1 >= FILE_NAME_MAX_CHARS:
        return name[:FILE_NAME_MAX_CHARS]
    return stem[: FILE_NAME_MAX_CHARS - len(extension) - 1] + dot + extension


def _extension(file_name: str) -> str:
    stem, dot, extension = file_name.rpartition(".")
    return f".{extension.lower()}" if dot and stem else ""


def _media_type(content_type: str | None) -> str:
    """`Text/Plain; charset=utf-8` → `text/plain`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def resolve_mime_type(file_name: str, content_type: str | None) -> str:
    """From the extension when it is known, otherwise from the part's `Content-Type`."""
    extension = _extension(file_name)
    known = _ALLOWED_BY_EXTENSION.get(extension) or _BUILT_IN_TYPES.types_map[True].get(extension)
    return known or _media_type(content_type)


def is_allowed_type(mime_type: str) -> bool:
    """The upload whitelist; SVG and HTML are never on it."""
    return mime_type in ALLOWED_TYPES or mime_type.startswith(ALLOWED_TYPE_FAMILIES)
