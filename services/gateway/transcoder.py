"""HTTP request -> request message and response message -> JSON, per the protobuf JSON
mapping: proto field names, enum names, unknown fields rejected, unpopulated fields printed.

Where each request field comes from (google.api.http semantics):
- path variables, parsed by the field's type (a value that does not parse is a 400);
- the body: `body: "*"` is the whole message, `body: "field"` that one field;
- query parameters for every other field when the body is not "*": `name=value` with
  proto (or JSON) field names, dotted paths into nested messages, repeated fields by
  repeating the parameter, enums by name (or number).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from services.gateway.descriptors import (
    HttpBinding,
    RpcKind,
    is_map,
    is_repeated,
    variable_path,
    variable_root,
)
from services.kernel.errors import InvalidArgument
from services.kernel.validation import check_json_value, text_problem

#: Well-known types that the JSON mapping writes as one string (usable in path and query).
STRING_LIKE_TYPES = frozenset(
    {
        "google.protobuf.Timestamp",
        "google.protobuf.Duration",
        "google.protobuf.FieldMask",
        "google.protobuf.StringValue",
        "google.protobuf.BytesValue",
        "google.protobuf.Int32Value",
        "google.protobuf.Int64Value",
        "google.protobuf.UInt32Value",
        "google.protobuf.UInt64Value",
        "google.protobuf.FloatValue",
        "google.protobuf.DoubleValue",
        "google.protobuf.BoolValue",
    }
)
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class TranscodeError(ValueError):
    """The HTTP request does not make a valid request message (a 400)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


def _is_bool(field: FieldDescriptor) -> bool:
    if field.type == FieldDescriptor.TYPE_BOOL:
        return True
    return (
        field.type == FieldDescriptor.TYPE_MESSAGE
        and field.message_type.full_name == "google.protobuf.BoolValue"
    )


def text_to_json(name: str, field: FieldDescriptor, text: str) -> Any:
    """The JSON value the protobuf JSON parser takes for `text` given for `field`."""
    if _is_bool(field):
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise TranscodeError(name, "must be true or false")
    return text


def _is_query_leaf(field: FieldDescriptor) -> bool:
    if is_map(field):
        return False
    if field.type != FieldDescriptor.TYPE_MESSAGE:
        return True
    return field.message_type.full_name in STRING_LIKE_TYPES


def _field_named(message: Descriptor, name: str) -> FieldDescriptor | None:
    field = message.fields_by_name.get(name)
    if field is None:
        field = message.fields_by_camelcase_name.get(name)
    return field


def _put(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for name in path[:-1]:
        tree = tree.setdefault(name, {})
    tree[path[-1]] = value


def parse_into(tree: Mapping[str, Any], message: Message, where: str = "") -> None:
    """Merge a JSON object into `message`; any failure is a TranscodeError."""
    try:
        json_format.ParseDict(tree, message, ignore_unknown_fields=False)
    except json_format.ParseError as exc:
        raise TranscodeError(where, str(exc)) from None
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise TranscodeError(where, f"invalid value ({exc.__class__.__name__})") from None


class RequestTranscoder:
    """Builds the request message (or an upload's metadata message) of one binding."""

    def __init__(self, binding: HttpBinding) -> None:
        self.binding = binding
        self.root = variable_root(binding)
        self.body = binding.body
        self._variables: list[tuple[str, tuple[str, ...], FieldDescriptor]] = []
        for variable in binding.template.variables:
            path = variable_path(binding, variable.field_path)
            leaf = self._resolve(path)
            assert leaf is not None
            self._variables.append((variable.name, path, leaf))
        self._bound = {path for _, path, _ in self._variables}
        self._simple = all(
            len(path) == 1 and leaf.type == FieldDescriptor.TYPE_STRING
            for _, path, leaf in self._variables
        )
        self._query_paths: dict[str, tuple[tuple[str, ...], FieldDescriptor]] = {}

    def _resolve(self, path: tuple[str, ...]) -> FieldDescriptor | None:
        message: Descriptor | None = self.root
        field: FieldDescriptor | None = None
        for name in path:
            if message is None:
                return None
            field = _field_named(message, name)
            if field is None:
                return None
            nested = field.type == FieldDescriptor.TYPE_MESSAGE and not is_repeated(field)
            message = field.message_type if nested else None
        return field

    @property
    def accepts_query(self) -> bool:
        """Query parameters fill the fields the body does not (an upload's form fields too)."""
        return self.body != "*" or self.binding.rpc.kind is RpcKind.UPLOAD

    def build(self, variables: Mapping[str, str], query_string: bytes, body: Any | None) -> Message:
        """The request message from path variables, the query string and the parsed JSON
        body (None when the request had no body)."""
        message_class = self.binding.rpc.request_class
        if self._simple and body is None and not query_string:
            _check_texts(variables.items())
            return message_class(**{path[0]: variables[name] for name, path, _ in self._variables})
        message = message_class()
        if body is not None and self.body:
            self._merge_body(message, body)
        self.fill(message, variables, parse_query(query_string))
        return message

    def fill(
        self, message: Message, variables: Mapping[str, str], params: list[tuple[str, str]]
    ) -> None:
        """Set the path variables and the parameters (query or form fields) on `message`,
        a message of type `root`."""
        entries: list[tuple[str, tuple[str, ...], Any]] = []
        _check_texts([*params, *variables.items()])
        if params:
            self._param_entries(entries, params)
        for name, path, leaf in self._variables:
            entries.append((name, path, text_to_json(name, leaf, variables[name])))
        if not entries:
            return
        tree: dict[str, Any] = {}
        for _, path, value in entries:
            _put(tree, path, value)
        try:
            parse_into(tree, message)
        except TranscodeError:
            self._blame(message, entries)
            raise

    @staticmethod
    def _blame(message: Message, entries: list[tuple[str, tuple[str, ...], Any]]) -> None:
        """Raise the error of the first entry that does not parse on its own (so that the
        error names the parameter)."""
        for name, path, value in entries:
            tree: dict[str, Any] = {}
            _put(tree, path, value)
            try:
                parse_into(tree, type(message)())
            except TranscodeError as exc:
                raise TranscodeError(name, exc.reason) from None

    def _merge_body(self, message: Message, body: Any) -> None:
        if self.body == "*":
            if not isinstance(body, dict):
                raise TranscodeError("", "the body must be a JSON object")
            parse_into(body, message)
            return
        parse_into({self.body: body}, message, self.body)

    def query_field(self, key: str) -> tuple[tuple[str, ...], FieldDescriptor]:
        """The field a query parameter names, or TranscodeError."""
        known = self._query_paths.get(key)
        if known is not None:
            return known
        if not self.accepts_query:
            raise TranscodeError(key, "query parameters are not accepted here (body is '*')")
        parts = tuple(key.split("."))
        field = self._resolve(parts)
        if field is None:
            raise TranscodeError(key, "unknown query parameter")
        path = tuple(self._canonical(parts))
        if any(path[: len(bound)] == bound for bound in self._bound):
            raise TranscodeError(key, "is given by the path")
        if self.body and path[0] == self.body:
            raise TranscodeError(key, "is given by the body")
        if not _is_query_leaf(field):
            raise TranscodeError(key, "cannot be given as a query parameter")
        self._query_paths[key] = (path, field)
        return path, field

    def _canonical(self, parts: tuple[str, ...]) -> list[str]:
        message: Descriptor | None = self.root
        names: list[str] = []
        for name in parts:
            assert message is not None
            field = _field_named(message, name)
            assert field is not None
            names.append(field.name)
            message = field.message_type if field.type == FieldDescriptor.TYPE_MESSAGE else None
        return names

    def _param_entries(
        self, entries: list[tuple[str, tuple[str, ...], Any]], pairs: list[tuple[str, str]]
    ) -> None:
        repeated: dict[tuple[str, ...], tuple[str, list[Any]]] = {}
        single: set[tuple[str, ...]] = set()
        for key, text in pairs:
            path, field = self.query_field(key)
            value = text_to_json(key, field, text)
            if is_repeated(field):
                repeated.setdefault(path, (key, []))[1].append(value)
                continue
            if path in single:
                raise TranscodeError(key, "is given more than once")
            single.add(path)
            entries.append((key, path, value))
        for path, (key, values) in repeated.items():
            entries.append((key, path, values))


def _check_texts(pairs: Iterable[tuple[str, str]]) -> None:
    """Refuse a path variable or parameter that is not storable text (NUL, lone surrogate)."""
    for name, text in pairs:
        problem = text_problem(text)
        if problem is not None:
            raise TranscodeError(name, problem)


def parse_query(query_string: bytes) -> list[tuple[str, str]]:
    """The (name, value) pairs of a query string; TranscodeError when it does not decode."""
    if not query_string:
        return []
    try:
        return parse_qsl(
            query_string.decode("latin-1"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=1000,
        )
    except ValueError as exc:
        raise TranscodeError("", f"malformed query string ({exc.__class__.__name__})") from None


def decode_json_body(raw: bytes) -> Any:
    """The parsed JSON body; TranscodeError when it is not JSON (invalid UTF-8 included), is
    nested too deeply, or holds a string that is not storable text (NUL, lone surrogates)."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not valid JSON"
        raise TranscodeError("", f"malformed JSON body: {reason}") from None
    try:
        check_json_value("", value)
    except InvalidArgument as exc:
        raise TranscodeError(exc.field, exc.reason) from None
    return value


def message_to_json(message: Message) -> Any:
    """The JSON value of a message: proto field names, enum names, unpopulated fields
    (those without explicit presence) printed with their default value."""
    return json_format.MessageToDict(
        message,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )


def response_json(message: Message, response_body: str = "") -> bytes:
    """The HTTP response body of a unary RPC's response."""
    value = message_to_json(message)
    if response_body:
        value = value.get(response_body)
    return _encode_json(value).encode()


def encode_json(value: Any) -> bytes:
    return _encode_json(value).encode()
