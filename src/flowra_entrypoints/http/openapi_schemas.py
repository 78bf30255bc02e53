"""Request schemas in the OpenAPI document straight from msgspec: `msgspec.json.schema` of the
very annotations the server decodes with (body structs, query and path parameters), so every
`Meta` constraint, pattern and format is documented exactly as it is enforced. Litestar's own
derivation loses constraints inside `X | None` and on parameters."""

from __future__ import annotations

from typing import Annotated, Any, get_args, get_origin

import msgspec
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg, KwargDefinition, ParameterKwarg

from flowra_entrypoints.http.dto.common import PatchBody, RequestBody

REF = "#/components/schemas/{name}"


def unwrapped(annotation: Any) -> Any:
    """`FromQuery[X]` / `JSONBody[X]` → `X` (Litestar's markers are `Annotated` metadata)."""
    if get_origin(annotation) is Annotated:
        inner, *extras = get_args(annotation)
        kept = [e for e in extras if not isinstance(e, KwargDefinition | BodyKwarg)]
        if len(kept) < len(extras):
            # Nested `Annotated` are flattened: keep msgspec's `Meta` next to the marker.
            return Annotated[(unwrapped(inner), *kept)] if kept else unwrapped(inner)
    return annotation


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = [o for o in schema.get("anyOf", []) if o != {"type": "null"}]
    if "anyOf" in schema and len(options) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**options[0], **rest}
    return schema


def _hints(handler: HTTPRouteHandler) -> dict[str, Any]:
    """The handler's parameters' annotations as Litestar resolved them, extras included."""
    return {name: field.raw for name, field in handler.parsed_fn_signature.parameters.items()}


def _aliased(annotation: Any) -> str | None:
    """The name a parameter goes by in the query (`QueryParameter(name="state")`)."""
    if get_origin(annotation) is not Annotated:
        return None
    return next(
        (
            extra.query or getattr(extra, "name", None)
            for extra in get_args(annotation)[1:]
            if isinstance(extra, ParameterKwarg)
        ),
        None,
    )


def parameter_schema(handler: HTTPRouteHandler, name: str) -> dict[str, Any] | None:
    """The JSON Schema of a query/path parameter (a query parameter is absent, never null)."""
    hints = _hints(handler)
    python_name = next((p for p, a in hints.items() if _aliased(a) == name), name)
    annotation = hints.get(python_name)
    if annotation is None:
        return None
    schema = _without_null(msgspec.json.schema(unwrapped(annotation)))
    default = handler.parsed_fn_signature.parameters[python_name].default
    if isinstance(default, bool | int | str):
        schema["default"] = default
    return schema


def body_struct(handler: HTTPRouteHandler) -> type[RequestBody] | None:
    """The request body struct of a JSON-body handler (`X` of `data: X | None`)."""
    annotation = _hints(handler).get("data")
    if annotation is None:
        return None
    candidates = [unwrapped(annotation), *get_args(unwrapped(annotation))]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, RequestBody)), None)


def body_components(bodies: list[type[RequestBody]]) -> dict[str, Any]:
    """Component schemas of the body structs, with the two rules msgspec states elsewhere:
    unknown fields are refused, and a PATCH needs at least one field."""
    _, components = msgspec.json.schema_components(bodies, ref_template=REF)
    for body in bodies:
        schema = components[body.__name__]
        schema["additionalProperties"] = False
        if issubclass(body, PatchBody):
            schema["minProperties"] = 1
    return components
