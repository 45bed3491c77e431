"""Who may see and queue a request's validations: the same rule as for the request itself
(its REQUESTOR owner, APPROVERs, ADMINs; services see every request)."""

from __future__ import annotations

from tagen.requests.v1 import requests_pb2 as requests_pb

from services.kernel.call_context import Principal
from services.kernel.enums import UserRoleEnum
from services.kernel.errors import NotFound

SEE_ALL = frozenset({UserRoleEnum.APPROVER, UserRoleEnum.ADMIN})


def require_reader(principal: Principal, request: requests_pb.Request) -> None:
    """Callers who may not see the request are told it does not exist (NOT_FOUND)."""
    if principal.is_service or principal.has_any(SEE_ALL):
        return
    if principal.user_id is not None and str(principal.user_id) == request.created_by:
        return
    raise NotFound("request", request.id)
