"""The OpenAPI 3 document of the gateway, generated from the same bindings it serves.

Messages become component schemas named by their full proto name: `<name>` describes a
response (fields without explicit presence are `required`, because the gateway always
prints them) and `<name>-input` a request (nothing required, nothing unknown allowed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from services.gateway.descriptors import (
    HttpBinding,
    RpcKind,
    is_map,
    is_repeated,
    variable_path,
    variable_root,
)
from services.gateway.errors import HTTP_STATUS
from services.gateway.transcoder import STRING_LIKE_TYPES

OPENAPI_VERSION = "3.0.3"
ERROR_SCHEMA = "tagen.gateway.Error"
HEALTH_SCHEMA = "tagen.gateway.Health"
INPUT_SUFFIX = "-input"
MAX_QUERY_DEPTH = 3

_NON_FINITE = {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}
_INT64 = {"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"}
_UINT64 = {"type": "string", "format": "uint64", "pattern": "^[0-9]+$"}
_INT32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
_UINT32 = {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**32 - 1}
F = FieldDescriptor
SCALARS: dict[int, dict[str, Any]] = {
    F.TYPE_DOUBLE: {"oneOf": [{"type": "number", "format": "double"}, _NON_FINITE]},
    F.TYPE_FLOAT: {"oneOf": [{"type": "number", "format": "float"}, _NON_FINITE]},
    F.TYPE_INT64: _INT64,
    F.TYPE_SINT64: _INT64,
    F.TYPE_SFIXED64: _INT64,
    F.TYPE_UINT64: _UINT64,
    F.TYPE_FIXED64: _UINT64,
    F.TYPE_INT32: _INT32,
    F.TYPE_SINT32: _INT32,
    F.TYPE_SFIXED32: _INT32,
    F.TYPE_UINT32: _UINT32,
    F.TYPE_FIXED32: _UINT32,
    F.TYPE_BOOL: {"type": "boolean"},
    F.TYPE_STRING: {"type": "string"},
    F.TYPE_BYTES: {"type": "string", "format": "byte"},
}
_WRAPPERS = {
    "google.protobuf.DoubleValue": F.TYPE_DOUBLE,
    "google.protobuf.FloatValue": F.TYPE_FLOAT,
    "google.protobuf.Int64Value": F.TYPE_INT64,
    "google.protobuf.UInt64Value": F.TYPE_UINT64,
    "google.protobuf.Int32Value": F.TYPE_INT32,
    "google.protobuf.UInt32Value": F.TYPE_UINT32,
    "google.protobuf.BoolValue": F.TYPE_BOOL,
    "google.protobuf.StringValue": F.TYPE_STRING,
    "google.protobuf.BytesValue": F.TYPE_BYTES,
}
WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Struct": {"type": "object", "additionalProperties": {}},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Empty": {"type": "object", "additionalProperties": False},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
        "additionalProperties": {},
    },
    **{name: SCALARS[kind] for name, kind in _WRAPPERS.items()},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


class SchemaBuilder:
    """Component schemas of the messages and enums that the operations use."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def field(self, field: FieldDescriptor, output: bool) -> dict[str, Any]:
        if is_map(field):
            value = field.message_type.fields_by_name["value"]
            return {"type": "object", "additionalProperties": self.single(value, output)}
        if is_repeated(field):
            return {"type": "array", "items": self.single(field, output)}
        return self.single(field, output)

    def single(self, field: FieldDescriptor, output: bool) -> dict[str, Any]:
        if field.type == F.TYPE_ENUM:
            return self.enum(field)
        if field.type in (F.TYPE_MESSAGE, F.TYPE_GROUP):
            return self.message(field.message_type, output)
        return dict(SCALARS[field.type])

    def enum(self, field: FieldDescriptor) -> dict[str, Any]:
        enum = field.enum_type
        if enum.full_name == "google.protobuf.NullValue":
            return {}
        if enum.full_name not in self.components:
            self.components[enum.full_name] = {
                "type": "string",
                "enum": [value.name for value in enum.values],
            }
        return _ref(enum.full_name)

    def message(self, message: Descriptor, output: bool) -> dict[str, Any]:
        known = WELL_KNOWN.get(message.full_name)
        if known is not None:
            return dict(known)
        name = message.full_name + ("" if output else INPUT_SUFFIX)
        if name not in self.components:
            self.components[name] = {}  # placeholder: recursive messages refer to it
            self.components[name] = self.object(message, output)
        return _ref(name)

    def object(
        self, message: Descriptor, output: bool, exclude: Iterable[str] = ()
    ) -> dict[str, Any]:
        skip = set(exclude)
        fields = [f for f in message.fields if f.name not in skip]
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {f.name: self.field(f, output) for f in fields},
            "additionalProperties": False,
        }
        required = [f.name for f in fields if not f.has_presence]
        if output and required:
            schema["required"] = required
        return schema


def _error_schema() -> dict[str, Any]:
    codes = sorted(code.name for code in HTTP_STATUS if code.name != "OK")
    return {
        "type": "object",
        "description": "Every error. `code` is the gRPC status name; `details` are the "
        "backend's google.rpc error details (e.g. BadRequest) in the protobuf JSON mapping.",
        "properties": {
            "code": {"type": "string", "enum": codes},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["code", "message", "details"],
        "additionalProperties": False,
    }


def _health_schema() -> dict[str, Any]:
    status = {"type": "string"}
    return {
        "type": "object",
        "properties": {
            "status": status,
            "backends": {"type": "object", "additionalProperties": status},
        },
        "required": ["status", "backends"],
    }


def _operations_paths() -> dict[str, dict[str, Any]]:
    """The gateway's own endpoints: readiness (and its alias), liveness, metrics."""

    def readiness(operation_id: str, summary: str) -> dict[str, Any]:
        return {
            "get": {
                "operationId": operation_id,
                "tags": ["Gateway"],
                "summary": summary,
                "security": [],
                "responses": {
                    "200": _json_response(
                        "every backend is serving (SERVING) or some are (DEGRADED)",
                        _ref(HEALTH_SCHEMA),
                    ),
                    "503": _json_response("no backend is serving", _ref(HEALTH_SCHEMA)),
                },
            }
        }

    plain = {"schema": {"type": "string"}}
    return {
        "/readyz": readiness("Gateway_Ready", "Readiness: each backend's gRPC health"),
        "/healthz": readiness("Gateway_Health", "Alias of /readyz"),
        "/livez": {
            "get": {
                "operationId": "Gateway_Live",
                "tags": ["Gateway"],
                "summary": "Liveness: the gateway process answers (backends not consulted)",
                "security": [],
                "responses": {
                    "200": _json_response(
                        "alive",
                        {
                            "type": "object",
                            "properties": {"status": {"type": "string"}},
                            "required": ["status"],
                        },
                    )
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "Gateway_Metrics",
                "tags": ["Gateway"],
                "summary": "Prometheus metrics of the gateway process",
                "security": [],
                "responses": {
                    "200": {
                        "description": "text exposition format",
                        "content": {"text/plain": plain},
                    }
                },
            }
        },
    }


class OpenApiBuilder:
    def __init__(self, title: str, version: str) -> None:
        self.title, self.version = title, version
        self.schemas = SchemaBuilder()

    def build(self, bindings: Iterable[HttpBinding]) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        for binding in bindings:
            query = self.query_parameters(binding)
            taken = frozenset(p["name"] for p in query)
            path = paths.setdefault(binding.template.openapi_path(taken), {})
            path[binding.http_method.lower()] = self.operation(binding, taken, query)
        paths.update(_operations_paths())
        components = dict(sorted(self.schemas.components.items()))
        components[ERROR_SCHEMA] = _error_schema()
        components[HEALTH_SCHEMA] = _health_schema()
        return {
            "openapi": OPENAPI_VERSION,
            "info": {"title": self.title, "version": self.version},
            "paths": dict(sorted(paths.items())),
            "components": {
                "schemas": components,
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                },
            },
            "security": [{"bearerAuth": []}, {}],
        }

    def operation(
        self, binding: HttpBinding, taken: frozenset[str], query: list[dict[str, Any]]
    ) -> dict[str, Any]:
        rpc = binding.rpc
        operation: dict[str, Any] = {
            "operationId": binding.operation_id,
            "tags": [rpc.descriptor.containing_service.name],
            "summary": rpc.descriptor.full_name,
            "parameters": [
                *self.path_parameters(binding, taken),
                *query,
            ],
            "responses": {
                "200": self.success(binding),
                "default": _json_response("an error", _ref(ERROR_SCHEMA)),
            },
        }
        body = self.request_body(binding)
        if body is not None:
            operation["requestBody"] = body
        return operation

    def path_parameters(self, binding: HttpBinding, taken: frozenset[str]) -> list[dict[str, Any]]:
        root = variable_root(binding)
        parameters = []
        names = binding.template.parameter_names(taken)
        for variable in binding.template.variables:
            leaf = _leaf(root, variable_path(binding, variable.field_path))
            parameters.append(
                {
                    "name": names[variable],
                    "in": "path",
                    "required": True,
                    "schema": self.schemas.single(leaf, output=False),
                }
            )
        return parameters

    def query_parameters(self, binding: HttpBinding) -> list[dict[str, Any]]:
        if binding.body == "*" and binding.rpc.kind is not RpcKind.UPLOAD:
            return []
        root = variable_root(binding)
        bound = {variable_path(binding, v.field_path) for v in binding.template.variables}
        excluded = {(binding.body,)} if binding.body not in ("", "*") else set()
        if binding.rpc.kind is RpcKind.UPLOAD:
            return []  # an upload's extra fields go in the form
        parameters = []
        for path, field in _query_leaves(root, (), bound | excluded, set()):
            parameters.append(
                {
                    "name": ".".join(path),
                    "in": "query",
                    "required": False,
                    "schema": self.schemas.field(field, output=False),
                    **({"style": "form", "explode": True} if is_repeated(field) else {}),
                }
            )
        return parameters

    def request_body(self, binding: HttpBinding) -> dict[str, Any] | None:
        if binding.rpc.kind is RpcKind.UPLOAD:
            return self.upload_body(binding)
        if not binding.body:
            return None
        request = binding.rpc.descriptor.input_type
        if binding.body == "*":
            top_bound = {
                v.field_path[0] for v in binding.template.variables if len(v.field_path) == 1
            }
            schema = self.schemas.object(request, output=False, exclude=top_bound)
        else:
            schema = self.schemas.field(request.fields_by_name[binding.body], output=False)
        return {"required": False, "content": {"application/json": {"schema": schema}}}

    def upload_body(self, binding: HttpBinding) -> dict[str, Any]:
        metadata = variable_root(binding)
        bound = {variable_path(binding, v.field_path)[0] for v in binding.template.variables}
        properties: dict[str, Any] = {}
        for path, field in _query_leaves(metadata, (), {(b,) for b in bound}, set()):
            if path[0] not in ("filename", "content_type"):
                properties[".".join(path)] = self.schemas.field(field, output=False)
        properties["file"] = {"type": "string", "format": "binary"}
        schema = {"type": "object", "properties": properties, "required": ["file"]}
        return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}

    def success(self, binding: HttpBinding) -> dict[str, Any]:
        if binding.rpc.kind is RpcKind.DOWNLOAD:
            binary = {"schema": {"type": "string", "format": "binary"}}
            return {
                "description": "the file, with the Content-Type it was stored with",
                "content": {"application/octet-stream": binary, "*/*": binary},
            }
        response = binding.rpc.descriptor.output_type
        if binding.response_body:
            schema = self.schemas.field(response.fields_by_name[binding.response_body], output=True)
        else:
            schema = self.schemas.message(response, output=True)
        return _json_response("OK", schema)


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _leaf(root: Descriptor, path: tuple[str, ...]) -> FieldDescriptor:
    message: Descriptor = root
    field = None
    for name in path:
        field = message.fields_by_name[name]
        if field.type == F.TYPE_MESSAGE:
            message = field.message_type
    assert field is not None
    return field


def _query_leaves(
    message: Descriptor,
    prefix: tuple[str, ...],
    excluded: set[tuple[str, ...]],
    visiting: set[str],
) -> list[tuple[tuple[str, ...], FieldDescriptor]]:
    """Every field path that can be given as a query parameter (no maps, no repeated or
    recursive messages, at most MAX_QUERY_DEPTH deep)."""
    leaves: list[tuple[tuple[str, ...], FieldDescriptor]] = []
    for field in message.fields:
        path = (*prefix, field.name)
        if path in excluded or is_map(field):
            continue
        if field.type != F.TYPE_MESSAGE:
            leaves.append((path, field))
            continue
        if field.message_type.full_name in WELL_KNOWN:
            # Struct, Value, ListValue, Any and Empty do not fit in a query string.
            if field.message_type.full_name in STRING_LIKE_TYPES:
                leaves.append((path, field))
            continue
        nested = field.message_type
        if is_repeated(field) or nested.full_name in visiting or len(path) >= MAX_QUERY_DEPTH:
            continue
        leaves.extend(_query_leaves(nested, path, excluded, {*visiting, nested.full_name}))
    return leaves
