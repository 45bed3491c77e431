"""Typed values of system_config: parsing and serialising by value_type."""

from __future__ import annotations

import json
from typing import Any

from services.kernel.errors import InvalidArgument
from services.kernel.runtime_config import parse_bool
from services.kernel.validation import parse_json_text

VALUE_TYPES = ("string", "integer", "boolean", "json", "list")
SECRET_MASK = "********"


def check_value_type(value_type: str) -> str:
    if value_type not in VALUE_TYPES:
        raise InvalidArgument("value_type", f"must be one of {', '.join(VALUE_TYPES)}")
    return value_type


def parse_value(raw: str, value_type: str) -> Any:
    """The typed value of `raw`; InvalidArgument("value") when it does not parse."""
    check_value_type(value_type)
    if value_type == "string":
        return raw
    if value_type == "integer":
        try:
            return int(raw.strip())
        except ValueError:
            raise InvalidArgument("value", "is not an integer") from None
    if value_type == "boolean":
        try:
            return parse_bool(raw)
        except ValueError:
            raise InvalidArgument("value", "is not a boolean (true/false)") from None
    parsed = parse_json_text("value", raw)
    if value_type == "list" and not isinstance(parsed, list):
        raise InvalidArgument("value", "is not a JSON list")
    return parsed


def serialize_value(value: Any, value_type: str) -> str:
    """The stored text of a typed value (checked to parse back)."""
    check_value_type(value_type)
    if isinstance(value, str):
        raw = value
    elif value_type == "boolean":
        raw = "true" if value else "false"
    elif value_type in ("json", "list"):
        raw = json.dumps(value, sort_keys=True)
    else:
        raw = str(value)
    parse_value(raw, value_type)
    return raw
