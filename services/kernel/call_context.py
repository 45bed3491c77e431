"""Per-call values (who calls, from where, under which correlation id) kept in ContextVars."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from services.kernel.enums import UserRoleEnum
from services.kernel.errors import PermissionDenied, Unauthenticated


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user or a service identity."""

    subject: str
    kind: Literal["user", "service"]
    roles: frozenset[UserRoleEnum] = frozenset()
    username: str = ""

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    @cached_property
    def user_id(self) -> uuid.UUID | None:
        """The user's id, or None for a service identity."""
        return uuid.UUID(self.subject) if self.kind == "user" else None

    def has_any(self, roles: Iterable[UserRoleEnum]) -> bool:
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class CallContext:
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    principal: Principal | None = None
    ip_address: str | None = None
    user_agent: str | None = None


_current: ContextVar[CallContext | None] = ContextVar("tagen_call_context", default=None)


def current_call() -> CallContext:
    """The context of the RPC being served (a fresh one outside any RPC)."""
    return _current.get() or CallContext()


def set_call(ctx: CallContext) -> object:
    return _current.set(ctx)


def reset_call(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def require_principal() -> Principal:
    principal = current_call().principal
    if principal is None:
        raise Unauthenticated("a bearer token is required")
    return principal


def require_user() -> Principal:
    """The calling user; a service identity is refused."""
    principal = require_principal()
    if principal.is_service:
        raise PermissionDenied("this call needs a user, not a service identity")
    return principal
