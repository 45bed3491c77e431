"""Routes from the protos: every generated `tagen.<context>.v<N>` module is imported at
start-up and each RPC with a `google.api.http` option becomes one binding per HTTP rule
(the rule itself and its additional bindings)."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any

from google.api import annotations_pb2, http_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from services.gateway.path_template import PathTemplate, TemplateError, parse_template

log = logging.getLogger(__name__)

ROOT_PACKAGE = "tagen"
_VERSION = re.compile(r"^v[0-9]+[a-z0-9]*$")
_PACKAGE = re.compile(r"^tagen\.([a-z][a-z0-9_]*)\.v[0-9]+[a-z0-9]*$")
_HTTP_METHODS = ("get", "put", "post", "delete", "patch")
FILE_INFO = "tagen.files.v1.FileInfo"


class BindingError(ValueError):
    """An http annotation that cannot be served (bad template, unknown field)."""


class RpcKind(Enum):
    UNARY = "unary"
    UPLOAD = "upload"  # client streaming: oneof data { <X>Metadata metadata; bytes chunk; }
    DOWNLOAD = "download"  # server streaming: oneof data { FileInfo info; bytes chunk; }


@dataclass(frozen=True)
class RpcMethod:
    """One RPC of a backend service."""

    context: str
    descriptor: MethodDescriptor
    request_class: type[Message]
    response_class: type[Message]
    kind: RpcKind

    @property
    def path(self) -> str:
        """The gRPC method path, /package.Service/Method."""
        return f"/{self.descriptor.containing_service.full_name}/{self.descriptor.name}"

    @property
    def operation_id(self) -> str:
        return f"{self.descriptor.containing_service.name}_{self.descriptor.name}"


@dataclass(frozen=True)
class HttpBinding:
    """One HTTP method and path template bound to an RPC."""

    rpc: RpcMethod
    http_method: str
    template: PathTemplate
    body: str  # "" no body, "*" the whole request, else a top-level field name
    response_body: str
    index: int  # 0 for the rule itself, 1.. for additional bindings

    @property
    def operation_id(self) -> str:
        return self.rpc.operation_id + (f"_{self.index + 1}" if self.index else "")


def is_repeated(field: FieldDescriptor) -> bool:
    flag = getattr(field, "is_repeated", None)
    if flag is not None:
        return bool(flag)
    return field.label == FieldDescriptor.LABEL_REPEATED  # protobuf < 5.29


def is_map(field: FieldDescriptor) -> bool:
    return (
        field.type == FieldDescriptor.TYPE_MESSAGE
        and field.message_type.GetOptions().map_entry
        and is_repeated(field)
    )


def resolve_field_path(message: Descriptor, path: Iterable[str]) -> list[FieldDescriptor]:
    """The fields along a dotted path; every step but the last must be a singular message."""
    fields: list[FieldDescriptor] = []
    current: Descriptor | None = message
    for name in path:
        if current is None:
            raise BindingError(f"{'.'.join(path)}: {fields[-1].name} is not a message")
        field = current.fields_by_name.get(name)
        if field is None:
            raise BindingError(f"{message.full_name} has no field {name!r}")
        fields.append(field)
        singular_message = field.type == FieldDescriptor.TYPE_MESSAGE and not is_repeated(field)
        current = field.message_type if singular_message else None
    return fields


def discover_modules(package: str = ROOT_PACKAGE) -> list[ModuleType]:
    """Import every generated `*_pb2` module of `<package>.<context>.<version>`."""
    try:
        root = importlib.import_module(package)
    except ImportError:
        log.warning("no generated %s package; run `make proto`", package)
        return []
    modules: list[ModuleType] = []
    seen: set[str] = set()
    for base in list(root.__path__):
        for context_dir in sorted(p for p in Path(base).iterdir() if p.is_dir()):
            if not context_dir.name.isidentifier():
                continue
            for version_dir in sorted(p for p in context_dir.iterdir() if p.is_dir()):
                if not _VERSION.match(version_dir.name):
                    continue
                prefix = f"{package}.{context_dir.name}.{version_dir.name}."
                for info in pkgutil.iter_modules([str(version_dir)], prefix):
                    if info.name.endswith("_pb2") and info.name not in seen:
                        seen.add(info.name)
                        modules.append(importlib.import_module(info.name))
    return modules


def rpc_kind(method: MethodDescriptor) -> RpcKind | None:
    """How the gateway serves an RPC, or None when it cannot (other streaming shapes)."""
    if not method.client_streaming and not method.server_streaming:
        return RpcKind.UNARY
    if method.client_streaming and not method.server_streaming:
        return RpcKind.UPLOAD if upload_fields(method.input_type) else None
    if method.server_streaming and not method.client_streaming:
        return RpcKind.DOWNLOAD if download_fields(method.output_type) else None
    return None


def upload_fields(message: Descriptor) -> tuple[FieldDescriptor, FieldDescriptor] | None:
    """(metadata, chunk) of an upload request: `oneof data { <X> metadata; bytes chunk; }`."""
    oneof = message.oneofs_by_name.get("data")
    if oneof is None:
        return None
    metadata = [f for f in oneof.fields if f.type == FieldDescriptor.TYPE_MESSAGE]
    chunk = [f for f in oneof.fields if f.type == FieldDescriptor.TYPE_BYTES]
    if len(metadata) != 1 or len(chunk) != 1 or len(oneof.fields) != 2:
        return None
    return metadata[0], chunk[0]


def download_fields(message: Descriptor) -> tuple[FieldDescriptor, FieldDescriptor] | None:
    """(info, chunk) of a download response: `oneof data { FileInfo info; bytes chunk; }`."""
    oneof = message.oneofs_by_name.get("data")
    if oneof is None:
        return None
    info = [
        f
        for f in oneof.fields
        if f.type == FieldDescriptor.TYPE_MESSAGE and f.message_type.full_name == FILE_INFO
    ]
    chunk = [f for f in oneof.fields if f.type == FieldDescriptor.TYPE_BYTES]
    if len(info) != 1 or len(chunk) != 1 or len(oneof.fields) != 2:
        return None
    return info[0], chunk[0]


def context_of(package: str) -> str | None:
    """`identity` for `tagen.identity.v1`; None for packages outside the convention."""
    match = _PACKAGE.match(package)
    return match.group(1) if match else None


def load_bindings(modules: Iterable[ModuleType]) -> list[HttpBinding]:
    """Every HTTP binding of every annotated RPC in `modules`; bad annotations raise."""
    bindings: list[HttpBinding] = []
    seen: set[str] = set()
    for module in modules:
        file = module.DESCRIPTOR
        context = context_of(file.package)
        for service in file.services_by_name.values():
            if context is None or service.full_name in seen:
                continue
            seen.add(service.full_name)
            for method in service.methods:
                bindings.extend(_method_bindings(context, method))
    return bindings


def _method_bindings(context: str, method: MethodDescriptor) -> list[HttpBinding]:
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return []
    kind = rpc_kind(method)
    if kind is None:
        log.warning("%s: streaming shape not served over HTTP", method.full_name)
        return []
    rpc = RpcMethod(
        context=context,
        descriptor=method,
        request_class=GetMessageClass(method.input_type),
        response_class=GetMessageClass(method.output_type),
        kind=kind,
    )
    rule: Any = options.Extensions[annotations_pb2.http]
    rules = [rule, *rule.additional_bindings]
    return [_binding(rpc, r, index) for index, r in enumerate(rules)]


def _binding(rpc: RpcMethod, rule: http_pb2.HttpRule, index: int) -> HttpBinding:
    where = f"{rpc.descriptor.full_name} (binding {index})"
    pattern = rule.WhichOneof("pattern")
    if pattern == "custom":
        http_method, path = rule.custom.kind.upper(), rule.custom.path
    elif pattern in _HTTP_METHODS:
        http_method, path = pattern.upper(), getattr(rule, pattern)
    else:
        raise BindingError(f"{where}: no HTTP method and path")
    try:
        template = parse_template(path)
    except TemplateError as exc:
        raise BindingError(f"{where}: {exc}") from None
    binding = HttpBinding(rpc, http_method, template, rule.body, rule.response_body, index)
    _check_fields(binding, where)
    return binding


def variable_root(binding: HttpBinding) -> Descriptor:
    """The message whose fields the path variables and query parameters name: the request,
    or for an upload the metadata message of its first stream message."""
    request = binding.rpc.descriptor.input_type
    if binding.rpc.kind is RpcKind.UPLOAD:
        fields = upload_fields(request)
        assert fields is not None
        return fields[0].message_type
    return request


def variable_path(binding: HttpBinding, field_path: tuple[str, ...]) -> tuple[str, ...]:
    """A path variable's field path relative to `variable_root` (an upload may name it
    either `{request_id}` or `{metadata.request_id}`)."""
    if binding.rpc.kind is RpcKind.UPLOAD and len(field_path) > 1:
        fields = upload_fields(binding.rpc.descriptor.input_type)
        assert fields is not None
        if field_path[0] == fields[0].name:
            return field_path[1:]
    return field_path


def _check_fields(binding: HttpBinding, where: str) -> None:
    root = variable_root(binding)
    try:
        for variable in binding.template.variables:
            path = variable_path(binding, variable.field_path)
            leaf = resolve_field_path(root, path)[-1]
            if is_repeated(leaf) or (
                leaf.type == FieldDescriptor.TYPE_MESSAGE
                and not leaf.message_type.full_name.startswith("google.protobuf.")
            ):
                raise BindingError(f"path variable {variable.name} must name a scalar field")
        if binding.body not in ("", "*"):
            if binding.rpc.kind is not RpcKind.UNARY:
                raise BindingError("a streaming RPC takes body '*' or none")
            resolve_field_path(binding.rpc.descriptor.input_type, [binding.body])
        if binding.response_body:
            if binding.rpc.kind is not RpcKind.UNARY:
                raise BindingError("response_body is for unary RPCs")
            resolve_field_path(binding.rpc.descriptor.output_type, [binding.response_body])
    except BindingError as exc:
        raise BindingError(f"{where}: {exc}") from None
