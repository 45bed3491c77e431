"""Who may see and change a request, and the checks of a request's own fields."""

from __future__ import annotations

import json
import uuid
from typing import Any

from services.kernel.call_context import Principal
from services.kernel.enums import UserRoleEnum
from services.kernel.errors import InvalidArgument, NotFound, PermissionDenied
from services.kernel.validation import check_json_value, require_text
from services.requests.models import Request
from services.requests.repositories import RequestRepository

REVIEWERS = frozenset({UserRoleEnum.APPROVER, UserRoleEnum.ADMIN})
MAX_SOURCE_SYSTEM_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 10_000
MAX_METADATA_BYTES = 64 * 1024
MAX_REASON_LENGTH = 5_000


def sees_all(principal: Principal) -> bool:
    """APPROVERs, ADMINs and service identities see every request."""
    return principal.is_service or principal.has_any(REVIEWERS)


def is_owner(principal: Principal, request: Request) -> bool:
    return not principal.is_service and principal.user_id == request.created_by


def require_reader(principal: Principal, request: Request) -> None:
    """Callers who may not see a request are told it does not exist (NOT_FOUND, not
    PERMISSION_DENIED), so that other users' request ids reveal nothing."""
    if not (sees_all(principal) or is_owner(principal, request)):
        raise NotFound("request", request.id)


def require_owner(principal: Principal, request: Request, action: str) -> None:
    if not is_owner(principal, request):
        require_reader(principal, request)
        raise PermissionDenied(f"only the request's owner may {action}")


def require_reviewer(principal: Principal, request: Request) -> uuid.UUID:
    """The reviewing user's id; an approver may not review their own request."""
    if principal.is_service or not principal.has_any(REVIEWERS) or principal.user_id is None:
        require_reader(principal, request)
        raise PermissionDenied("only an APPROVER or ADMIN may review a request")
    if principal.user_id == request.created_by:
        raise PermissionDenied("an approver cannot approve or reject their own request")
    return principal.user_id


async def load(repo: RequestRepository, request_id: uuid.UUID) -> Request:
    request = await repo.get_by_id(request_id)
    if request is None:
        raise NotFound("request", request_id)
    return request


async def load_locked(repo: RequestRepository, request_id: uuid.UUID) -> Request:
    request = await repo.lock(request_id)
    if request is None:
        raise NotFound("request", request_id)
    return request


def check_source_system(value: str) -> str:
    return require_text("source_system", value, max_length=MAX_SOURCE_SYSTEM_LENGTH)


def check_description(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_DESCRIPTION_LENGTH:
        raise InvalidArgument("description", f"must be at most {MAX_DESCRIPTION_LENGTH} characters")
    if "\x00" in text:
        raise InvalidArgument("description", "must not contain NUL characters")
    return text


def check_metadata(value: Any) -> dict[str, Any] | None:
    """A JSON object (or None to clear); anything else is refused naming `metadata`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidArgument("metadata", "must be a JSON object")
    check_json_value("metadata", value)
    encoded = json.dumps(value)
    if len(encoded.encode()) > MAX_METADATA_BYTES:
        raise InvalidArgument("metadata", f"must be at most {MAX_METADATA_BYTES} bytes as JSON")
    return value


def check_reason(field: str, value: str) -> str:
    return require_text(field, value, max_length=MAX_REASON_LENGTH)
