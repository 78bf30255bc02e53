"""What the OpenAPI document says beyond Litestar's own derivation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.openapi.spec import Schema
from litestar.plugins import OpenAPISchemaPlugin

from flowra_entrypoints.http.dto.common import RequestBody

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
        return schema
