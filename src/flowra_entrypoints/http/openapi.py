"""What the OpenAPI document says beyond Litestar's own derivation: the errors of every
operation (one `Problem` schema, statuses from error_contract.py), request bodies that refuse
unknown fields, and the details Litestar gets wrong for this API (204 bodies, optional bodies,
PATCH bodies that need a field)."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.routes import HTTPRoute

from flowra_entrypoints.http.dto.common import PatchBody, RequestBody
from flowra_entrypoints.http.error_contract import codes_of
from flowra_entrypoints.http.openapi_links import add_links
from flowra_entrypoints.http.openapi_schemas import (
    REF,
    body_components,
    body_struct,
    parameter_schema,
)
from flowra_entrypoints.http.problems import PROBLEM_MEDIA_TYPE, STATUS_OF, Problem, title_for
from flowra_entrypoints.transport_errors import ProblemCode

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition


class RequestBodySchemaPlugin(OpenAPISchemaPlugin):
    """Request bodies refuse unknown fields (http-api.md §1), but Litestar's msgspec schemas
    never say so: this adds `additionalProperties: false` to the schema of every `RequestBody`,
    built otherwise by the plugin that would have built it."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return isinstance(value, type) and issubclass(value, RequestBody)

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return not field_definition.is_union and field_definition.is_subclass_of(RequestBody)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        builtin = next(
            plugin
            for plugin in schema_creator.plugins
            if plugin is not self and schema_creator.plugin_supports_field(plugin, field_definition)
        )
        schema = builtin.to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        if field_definition.is_subclass_of(PatchBody):
            schema.min_properties = 1
        return schema


def _problem_response(status: int, codes: list[ProblemCode]) -> dict[str, Any]:
    listed = ", ".join(f"`{code.value}`" for code in codes)
    return {
        "description": f"{title_for(codes[0]) if len(codes) == 1 else 'Refused'}: {listed}",
        "x-error-codes": [code.value for code in codes],
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF.format(name="Problem")}}},
    }


def _error_responses(codes: set[ProblemCode]) -> dict[str, Any]:
    by_status: dict[int, list[ProblemCode]] = defaultdict(list)
    for code in sorted(codes):
        by_status[STATUS_OF[code]].append(code)
    return {
        str(status): _problem_response(status, by_status[status]) for status in sorted(by_status)
    }


def _operations(app: Litestar) -> list[tuple[str, str, HTTPRouteHandler]]:
    """(path, method, handler) of every documented operation."""
    found: list[tuple[str, str, HTTPRouteHandler]] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            found.extend((route.path_format or "/", m, handler) for m in handler.http_methods)
    return found


_BYTES = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
# Success bodies that are not JSON: Prometheus' text, and a file's bytes in the file's own type.
_RAW_CONTENT: dict[tuple[str, str], dict[str, Any]] = {
    ("/metrics", "get"): {"text/plain": {"schema": {"type": "string"}}},
    ("/api/v1/files/{file_id}", "get"): _BYTES,
    ("/api/v1/files/{file_id}/{file_name}", "get"): _BYTES,
}


def _finish_body(operation: dict[str, Any], handler: Any) -> None:
    """An optional body (`data: X | None = None`) is documented optional, as the object alone."""
    body = operation.get("requestBody")
    data = handler.parsed_fn_signature.parameters.get("data")
    if body is None or data is None or not data.is_optional:
        return
    body["required"] = False
    for media in body["content"].values():
        options = media["schema"].get("oneOf", [])
        objects = [option for option in options if option.get("type") != "null"]
        if len(objects) == 1:
            media["schema"] = objects[0]


def _finish_operation(operation: dict[str, Any], handler: Any, codes: set[ProblemCode]) -> None:
    _finish_body(operation, handler)
    responses: dict[str, Any] = {
        status: response
        for status, response in operation.get("responses", {}).items()
        if int(status) < 400  # Litestar's own 400 body is not what the server sends
    }
    for status, response in responses.items():
        if status == "204":
            response.pop("content", None)
    responses.update(_error_responses(codes))
    operation["responses"] = dict(sorted(responses.items()))


def _parameters_from_msgspec(operation: dict[str, Any], handler: HTTPRouteHandler) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] in ("query", "path"):
            schema = parameter_schema(handler, parameter["name"])
            if schema is not None:
                parameter["schema"] = schema
            if parameter["name"] in handler.opt.get("required_query", ()):
                parameter["required"] = True
                parameter.pop("allowEmptyValue", None)


def build_contract_document(app: Litestar) -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(app.openapi_schema.to_schema())
    operations = _operations(app)
    bodies = sorted(
        {body for _, _, handler in operations if (body := body_struct(handler)) is not None},
        key=lambda body: body.__name__,
    )
    _, problem = msgspec.json.schema_components([Problem], ref_template=REF)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update({**problem, **body_components(bodies)})
    for path, method, handler in operations:
        operation = document["paths"].get(path, {}).get(method.lower())
        if operation is not None:
            _parameters_from_msgspec(operation, handler)
            _finish_operation(operation, handler, codes_of(handler, method, path))
            if (raw := _RAW_CONTENT.get((path, method.lower()))) is not None:
                operation["responses"]["200"]["content"] = raw
    add_links(document)
    return document


def contract_document(app: Litestar) -> dict[str, Any]:
    """The served document, built once per app."""
    assert app.openapi_config is not None
    plugin = next(
        plugin
        for plugin in app.openapi_config.render_plugins
        if isinstance(plugin, ContractJsonRenderPlugin)
    )
    if plugin.document is None:
        plugin.document = build_contract_document(app)
    return plugin.document


class ContractJsonRenderPlugin(JsonRenderPlugin):
    """Serves `contract_document` instead of Litestar's raw derivation, and keeps it: the
    document follows from the app's routes alone, so it outlives a change of the app state."""

    def __init__(self, *, path: str | Sequence[str]) -> None:
        super().__init__(path=path)
        self.document: dict[str, Any] | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return self.render_json(request, contract_document(request.app))
