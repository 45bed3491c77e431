"""Who may call an RPC: each service declares one table of these, the interceptor enforces it."""

from __future__ import annotations

from dataclasses import dataclass

from services.kernel.call_context import Principal
from services.kernel.enums import UserRoleEnum
from services.kernel.errors import PermissionDenied, Unauthenticated


@dataclass(frozen=True)
class Access:
    """An RPC's callers: anyone, any user, users with some role, and/or service identities."""

    public: bool = False
    any_user: bool = False
    roles: frozenset[UserRoleEnum] = frozenset()
    services: bool = False

    def check(self, principal: Principal | None) -> None:
        if self.public:
            return
        if principal is None:
            raise Unauthenticated("a bearer token is required")
        if principal.is_service:
            if not self.services:
                raise PermissionDenied("service identities may not call this RPC")
            return
        if self.any_user or principal.has_any(self.roles):
            return
        raise PermissionDenied("requires one of the roles: " + ", ".join(sorted(self.roles)))


PUBLIC = Access(public=True)
ANY_USER = Access(any_user=True)
SERVICES_ONLY = Access(services=True)


def roles(*allowed: UserRoleEnum, services: bool = False) -> Access:
    return Access(roles=frozenset(allowed), services=services)


def any_user(*, services: bool = False) -> Access:
    return Access(any_user=True, services=services)
