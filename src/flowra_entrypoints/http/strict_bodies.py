"""Inputs are read as strictly as the document describes them. Litestar converts in msgspec's
lax mode (a body's `0` passes for `false`), reads a query value `null` or empty as absent,
and ignores the `Meta` constraints of query parameters. This `before_request` first checks
every query value against its parameter's full annotation and decodes the raw body strictly
with the handler's own struct: a 422 naming the field."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, get_args, get_origin

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter

from flowra_entrypoints.http.dto.common import RequestBody
from flowra_entrypoints.http.openapi_schemas import body_struct, unwrapped
from flowra_entrypoints.transport_errors import TransportCode, TransportError

_NOT_AN_OBJECT = "The request body must be a JSON object"


@cache
def _struct_of(handler: HTTPRouteHandler) -> type[RequestBody] | None:
    return body_struct(handler)


@cache
def _query_types(handler: HTTPRouteHandler) -> dict[str, Any]:
    """Query name → the annotated type its value is validated against (None left out)."""
    found: dict[str, Any] = {}
    for name, field in handler.parsed_fn_signature.parameters.items():
        raw = field.raw
        if get_origin(raw) is not Annotated:
            continue
        inner, *extras = get_args(raw)
        marker = next((e for e in extras if isinstance(e, QueryParameter)), None)
        if marker is None:
            continue
        value_type = unwrapped(inner)
        options = [a for a in get_args(value_type) if a is not type(None)]
        if options and len(options) < len(get_args(value_type)):
            value_type = options[0] if len(options) == 1 else value_type
        found[marker.query or name] = value_type
    return found


def _validate_queries(request: Request[Any, Any, Any]) -> None:
    """Litestar drops the `Meta` of a query parameter's annotation and reads `null` or an
    empty value as absent; each value given is checked here against its full annotation."""
    judged_by_core = request.route_handler.opt.get("required_query", ())
    for name, wanted in _query_types(request.route_handler).items():
        text = request.query_params.get(name)
        if text is None or name in judged_by_core:
            continue
        try:
            msgspec.convert(text, type=wanted, strict=False)
        except msgspec.ValidationError as exc:
            raise ValidationException(
                extra=[{"message": str(exc), "key": name, "source": "query"}]
            ) from None


async def strict_json_body(request: Request[Any, Any, Any]) -> None:
    _validate_queries(request)
    struct = _struct_of(request.route_handler)
    if struct is None:
        return
    raw = await request.body()
    if not raw.strip():
        return  # absent: the handler's own rule (required or optional body)
    try:
        msgspec.json.decode(raw, type=struct)
    except msgspec.ValidationError as exc:
        if str(exc).startswith("Expected `object`"):  # the body itself is not an object
            raise TransportError(TransportCode.MALFORMED_REQUEST, _NOT_AN_OBJECT) from None
        raise ValidationException(extra=[{"message": str(exc), "source": "body"}]) from None
    except msgspec.DecodeError:
        return  # not JSON: Litestar's own 400


async def optional_strict_body(request: Request[Any, Any, Any]) -> None:
    """For routes whose body is optional: no body, or a JSON object (a bare `null` is a body
    that is not an object: 400), decoded strictly."""
    if (await request.body()).strip() == b"null":
        raise TransportError(TransportCode.MALFORMED_REQUEST, _NOT_AN_OBJECT)
    await strict_json_body(request)
