"""Small converters between proto messages and Python values, shared by every servicer."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from google.protobuf import json_format, struct_pb2, timestamp_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from services.kernel.errors import InvalidArgument

E = TypeVar("E", bound=StrEnum)


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value)
    return ts


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
