"""Input checks shared by every servicer; each failure names the field."""

from __future__ import annotations

import json
import re
import uuid

from services.kernel.errors import InvalidArgument

# Paging lives in services/kernel/paging.py; these names stay importable from here.
from services.kernel.paging import (  # noqa: F401
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    encode_page_token,
    parse_page,
)

_EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$"
)


def parse_uuid(field: str, value: str) -> uuid.UUID:
    if not value:
        raise InvalidArgument(field, "is required")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(field, "is not a valid UUID") from None


def optional_uuid(field: str, value: str) -> uuid.UUID | None:
    return parse_uuid(field, value) if value else None


def require_text(field: str, value: str, *, max_length: int, min_length: int = 1) -> str:
    text = value.strip()
    if len(text) < min_length:
        raise InvalidArgument(
            field,
            "must not be empty" if min_length == 1 else f"must be at least {min_length} characters",
        )
    if len(text) > max_length:
        raise InvalidArgument(field, f"must be at most {max_length} characters")
    if "\x00" in text:
        raise InvalidArgument(field, "must not contain NUL characters")
    return text


def optional_text(field: str, value: str, *, max_length: int) -> str | None:
    return require_text(field, value, max_length=max_length) if value.strip() else None


def search_text(field: str, value: str, *, max_length: int = 255) -> str:
    """A search query: may be empty, is trimmed, bounded and free of NUL characters."""
    return optional_text(field, value, max_length=max_length) or ""


def require_email(field: str, value: str) -> str:
    email = require_text(field, value, max_length=255)
    if not _EMAIL.match(email):
        raise InvalidArgument(field, "is not a valid email address")
    return email.lower()


#: How deeply a JSON value (or a google.protobuf.Struct) may nest. Protobuf parsers stop at
#: 100 message levels and each JSON level is about three (Struct, map entry, Value), so a
#: deeper value could not even be decoded by a service.
MAX_JSON_DEPTH = 20
#: Characters no text field may hold: NUL (PostgreSQL refuses it) and lone UTF-16 surrogates
#: (not encodable as UTF-8).
_FORBIDDEN_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    found = _FORBIDDEN_CHARACTERS.search(value)
    if found is None:
        return None
    return "must not contain NUL characters" if found.group() == "\x00" else "is not valid UTF-8"


def check_json_value(field: str, value: object, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse a JSON value nested deeper than `max_depth` or holding a key or string that is
    not storable text; the error names the path (`field.key.0.key`) where it happens."""
    stack: list[tuple[str, object, int]] = [(field, value, 1)]
    while stack:
        path, item, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is not None:
                raise InvalidArgument(path or "body", problem)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > max_depth:
            raise InvalidArgument(path or "body", f"is nested deeper than {max_depth} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                problem = text_problem(str(key))
                if problem is not None:
                    raise InvalidArgument(path or "body", "has a key that " + problem)
                stack.append((_join(path, key), child, depth + 1))
        else:
            stack.extend((_join(path, i), child, depth + 1) for i, child in enumerate(item))


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def parse_json_text(field: str, raw: str, max_depth: int = MAX_JSON_DEPTH) -> object:
    """JSON text parsed and checked with `check_json_value`; InvalidArgument when it is not
    JSON (however deeply nested the text is)."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidArgument(field, "is not valid JSON (or is nested too deeply)") from None
    check_json_value(field, value, max_depth)
    return value
