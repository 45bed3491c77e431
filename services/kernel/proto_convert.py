"""Small converters between proto messages and Python values, shared by every servicer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from google.protobuf import json_format, struct_pb2, timestamp_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from services.kernel.errors import InvalidArgument

E = TypeVar("E", bound=StrEnum)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    """As Timestamp.FromDatetime (a naive value is UTC), in C-level arithmetic."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return timestamp_pb2.Timestamp(
        seconds=delta.days * 86_400 + delta.seconds, nanos=delta.microseconds * 1000
    )


def text(value: object | None) -> str:
    """Proto strings have no null: None becomes ""."""
    return "" if value is None else str(value)


def uuid_text(value: uuid.UUID | None) -> str:
    return "" if value is None else str(value)


def struct(value: dict[str, Any] | None) -> struct_pb2.Struct | None:
    if value is None:
        return None
    message = struct_pb2.Struct()
    message.update(value)
    return message


def struct_to_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(message)


def enum_to_proto(wrapper: EnumTypeWrapper, value: StrEnum) -> int:
    return int(wrapper.Value(value.value))


def enum_from_proto(wrapper: EnumTypeWrapper, enum_type: type[E], number: int, field: str) -> E:
    """The Python enum of a proto enum number; UNSPECIFIED or unknown numbers are refused."""
    try:
        name = wrapper.Name(number)
        return enum_type(name)
    except ValueError:
        raise InvalidArgument(
            field, f"must be one of {', '.join(m.value for m in enum_type)}"
        ) from None
