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


class CallSlot:
    """Holds the context of the call served inside it, for an outer layer (the access log and
    metrics) that still needs the caller after the inner layer has reset its context."""

    __slots__ = ("call",)

    def __init__(self) -> None:
        self.call: CallContext | None = None


_slot: ContextVar[CallSlot | None] = ContextVar("tagen_call_slot", default=None)


def open_slot() -> tuple[CallSlot, object]:
    """A new slot that receives the next `set_call` of this task; `close_slot` ends it."""
    slot = CallSlot()
    return slot, _slot.set(slot)


def close_slot(token: object) -> None:
    _slot.reset(token)  # type: ignore[arg-type]


def active_call() -> CallContext | None:
    """The context of the call being served (or just served in this slot), else None."""
    call = _current.get()
    if call is None:
        slot = _slot.get()
        call = slot.call if slot is not None else None
    return call


def current_call() -> CallContext:
    """The context of the RPC being served (a fresh one outside any RPC)."""
    return _current.get() or CallContext()


def set_call(ctx: CallContext) -> object:
    slot = _slot.get()
    if slot is not None:
        slot.call = ctx
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
