"""UserRepository: the seed's user queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import selectinload

from services.identity.models import Role, User, UserRole
from services.kernel.driver_query import DriverQuery
from services.kernel.enums import UserRoleEnum
from services.kernel.repository import BaseRepository, check_page


@dataclass(frozen=True)
class UserView:
    """A read-only user with the names of their roles."""

    id: uuid.UUID
    username: str
    email: str
    full_name: str | None
    is_active: bool
    is_superuser: bool
    auth_provider: str | None
    external_id: str | None
    last_login: datetime | None
    created_at: datetime
    updated_at: datetime
    role_names: list[UserRoleEnum]


def _view_statement() -> Select[Any]:
    role_names = func.array_remove(func.array_agg(Role.name), None).label("role_names")
    columns = [c for c in User.__table__.c if c.name != "hashed_password"]
    return (
        select(*columns, role_names)
        .outerjoin(UserRole, UserRole.user_id == User.id)
        .outerjoin(Role, Role.id == UserRole.role_id)
        .group_by(User.id)
    )


_VIEW = DriverQuery(_view_statement().where(User.id == bindparam("user_id")))


class UserQueries:
    """Read side of users on a Core connection: one round trip, no ORM objects (hot path)."""

    def __init__(self, connection: asyncpg.Connection | AsyncConnection) -> None:
        self.connection = connection

    async def get_view(self, user_id: uuid.UUID) -> UserView | None:
        """The user and the names of their roles."""
        values = await _VIEW.fetch_one(self.connection, user_id=user_id)
        if values is None:
            return None
        values["role_names"] = sorted(UserRoleEnum(r) for r in values["role_names"] or ())
        return UserView(**values)


class UserRepository(BaseRepository[User]):
    model = User

    def _select(self) -> Select[tuple[User]]:
        """Users with their roles, refreshed even when already in the session."""
        return (
            select(User).options(selectinload(User.roles)).execution_options(populate_existing=True)
        )

    async def get_by_id(self, id: uuid.UUID) -> User | None:
        return await self.get_with_roles(id)

    async def get_with_roles(self, user_id: uuid.UUID) -> User | None:
        """The user with their roles loaded."""
        return await self.session.scalar(self._select().where(User.id == user_id))

    async def get_by_username(self, username: str) -> User | None:
        """The user whose username is `username`, in any case (usernames differ by more)."""
        return await self.session.scalar(
            self._select().where(func.lower(User.username) == username.lower())
        )

    async def get_by_email(self, email: str) -> User | None:
        """The user with this email, in any case."""
        return await self.session.scalar(
            self._select().where(func.lower(User.email) == email.lower())
        )

    async def get_by_external_id(self, external_id: str, auth_provider: str) -> User | None:
        """The SSO user with this (auth_provider, external_id)."""
        return await self.session.scalar(
            self._select().where(
                User.external_id == external_id, User.auth_provider == auth_provider
            )
        )

    async def search_users(
        self, query: str, skip: int = 0, limit: int = 100, *, active_only: bool = False
    ) -> list[User]:
        """Users whose username, email or full name contains `query` (case-insensitive)."""
        check_page(skip, limit)
        stmt = self._select()
        if query:
            pattern = (
                "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            stmt = stmt.where(
                or_(
                    User.username.ilike(pattern, escape="\\"),
                    User.email.ilike(pattern, escape="\\"),
                    User.full_name.ilike(pattern, escape="\\"),
                )
            )
        if active_only:
            stmt = stmt.where(User.is_active.is_(True))
        stmt = stmt.order_by(User.username, User.id).offset(skip).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def get_users_by_role(
        self, role: UserRoleEnum, skip: int = 0, limit: int = 100
    ) -> list[User]:
        """Users holding `role`, by username."""
        check_page(skip, limit)
        stmt = (
            self._select()
            .join(UserRole, UserRole.user_id == User.id)
            .join(Role, Role.id == UserRole.role_id)
            .where(Role.name == role)
            .order_by(User.username, User.id)
            .offset(skip)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def update_last_login(self, user_id: uuid.UUID) -> datetime | None:
        """Stamp the login time; returns it, or None when the user does not exist."""
        user = await self.session.get(User, user_id)
        if user is None:
            return None
        user.last_login = datetime.now(UTC)
        await self.session.flush()
        return user.last_login

    async def count_active_admins(self) -> int:
        stmt = (
            select(func.count(func.distinct(User.id)))
            .join(UserRole, UserRole.user_id == User.id)
            .join(Role, Role.id == UserRole.role_id)
            .where(Role.name == UserRoleEnum.ADMIN, User.is_active.is_(True))
        )
        return int(await self.session.scalar(stmt) or 0)
