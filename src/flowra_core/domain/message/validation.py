"""Field rules of message input (domain.md §4, http-api.md "Send validation").

Each check returns the `FieldError`s it finds so a command can report every bad field at once.
"""

from collections.abc import Mapping, Sequence

from flowra_core.domain.errors import FieldError
from flowra_core.domain.message.values import (
    ATTACHMENTS_MAX,
    CONTENT_MAX_CHARS,
    EMOJI_MAX_CHARS,
    MessageAttachment,
    UploadedFile,
)


def content_errors(content: str, *, has_attachments: bool) -> list[FieldError]:
    """Content is stored verbatim: the length counts every code point, whitespace included."""
    if len(content) > CONTENT_MAX_CHARS:
        return [FieldError("content", f"content is longer than {CONTENT_MAX_CHARS} characters")]
    if not has_attachments and not content.strip():
        return [FieldError("content", "content is required when there are no attachments")]
    return []


def attachment_errors(
    attachment_ids: Sequence[str],
    files: Mapping[str, UploadedFile],
    *,
    chat_id: str,
    author_id: str,
) -> list[FieldError]:
    """`files` holds the uploaded files found for `attachment_ids`; a missing id is unknown."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, file_id in enumerate(attachment_ids):
        if index >= ATTACHMENTS_MAX:
            problem: str | None = f"a message has at most {ATTACHMENTS_MAX} attachments"
        else:
            problem = _attachment_problem(
                file_id, files.get(file_id), seen=seen, chat_id=chat_id, author_id=author_id
            )
        if problem is not None:
            errors.append(FieldError(f"attachment_ids[{index}]", problem))
        seen.add(file_id)
    return errors


def _attachment_problem(
    file_id: str, file: UploadedFile | None, *, seen: set[str], chat_id: str, author_id: str
) -> str | None:
    if file is None:
        return f"no file {file_id}"
    if file_id in seen:
        return f"file {file_id} is listed twice"
    if file.chat_id != chat_id:
        return f"file {file_id} was uploaded to another chat"
    if file.uploaded_by != author_id:
        return f"file {file_id} was uploaded by another user"
    if file.message_id is not None:
        return f"file {file_id} is already attached to a message"
    return None


def attachments_of(
    attachment_ids: Sequence[str], files: Mapping[str, UploadedFile]
) -> tuple[MessageAttachment, ...]:
    """The validated files as message attachments, in request order."""
    return tuple(files[file_id].as_attachment() for file_id in attachment_ids)


def emoji_errors(emoji: str) -> list[FieldError]:
    if not 1 <= len(emoji) <= EMOJI_MAX_CHARS:
        return [FieldError("emoji", f"emoji must be 1 to {EMOJI_MAX_CHARS} characters")]
    if any(character.isspace() for character in emoji):
        return [FieldError("emoji", "emoji must not contain whitespace")]
    return []
