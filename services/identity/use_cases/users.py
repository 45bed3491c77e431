"""User administration and roles."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from services.identity.models import Role, User
from services.identity.passwords import MAX_PASSWORD_LENGTH, check_password
from services.identity.repositories import RoleRepository, UserRepository
from services.identity.repositories.users import UserQueries, UserView
from services.identity.use_cases.deps import IdentityDeps
from services.identity.use_cases.revocation import end_access
from services.kernel.call_context import Principal, require_principal, require_user
from services.kernel.enums import AuditAction, UserRoleEnum
from services.kernel.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from services.kernel.validation import (
    Page,
    optional_text,
    require_email,
    require_text,
    search_text,
)

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


@dataclass(frozen=True)
class UserChanges:
    email: str | None = None
    full_name: str | None = None
    password: str | None = None
    is_active: bool | None = None
    current_password: str | None = None


def check_username(username: str) -> str:
    name = require_text("username", username, max_length=64, min_length=3)
    if not set(name) <= USERNAME_CHARS:
        raise InvalidArgument("username", "may contain only letters, digits and . _ - @")
    return name


def _is_admin(principal: Principal) -> bool:
    return principal.has_any([UserRoleEnum.ADMIN])


def _self_or_admin(user_id: uuid.UUID) -> Principal:
    """The caller, when they act on themselves or are an ADMIN; to anyone else another user
    does not exist (NOT_FOUND), so that user ids reveal nothing."""
    principal = require_user()
    if principal.user_id != user_id and not _is_admin(principal):
        raise NotFound("user", user_id)
    return principal


async def _require_user(users: UserRepository, user_id: uuid.UUID) -> User:
    user = await users.get_with_roles(user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


async def _require_role(roles: RoleRepository, name: UserRoleEnum) -> Role:
    role = await roles.get_by_name(name)
    if role is None:
        raise FailedPrecondition(f"role {name} does not exist; run start-up first")
    return role


class UserUseCases:
    def __init__(self, deps: IdentityDeps) -> None:
        self.deps = deps

    async def current_user(self) -> User:
        principal = require_user()
        assert principal.user_id is not None
        async with self.deps.db.read_only() as session:
            return await _require_user(UserRepository(session), principal.user_id)

    async def get_user(self, user_id: uuid.UUID) -> UserView:
        if not require_principal().is_service:
            _self_or_admin(user_id)
        async with self.deps.db.reader() as connection:
            view = await UserQueries(connection).get_view(user_id)
        if view is None:
            raise NotFound("user", user_id)
        return view

    async def list_users(self, query: str, page: Page) -> list[User]:
        query = search_text("query", query)
        async with self.deps.db.read_only() as session:
            return await UserRepository(session).search_users(query, page.offset, page.size)

    async def create_user(
        self,
        username: str,
        email: str,
        password: str,
        full_name: str,
        roles: list[UserRoleEnum],
    ) -> User:
        username = check_username(username)
        email = require_email("email", email)
        name = optional_text("full_name", full_name, max_length=255)
        check_password(password, username)
        hashed = await asyncio.to_thread(self.deps.passwords.hash, password)
        async with self.deps.db.unit_of_work() as session:
            users, role_repo = UserRepository(session), RoleRepository(session)
            if await users.get_by_username(username) is not None:
                raise AlreadyExists(f"username {username} is taken")
            if await users.get_by_email(email) is not None:
                raise AlreadyExists(f"email {email} is taken")
            user = await users.create(
                {
                    "username": username,
                    "email": email,
                    "full_name": name,
                    "hashed_password": hashed,
                    "auth_provider": "local",
                }
            )
            actor = require_user().user_id
            for role_name in sorted(set(roles or [UserRoleEnum.REQUESTOR])):
                role = await _require_role(role_repo, role_name)
                await role_repo.assign_role_to_user(user.id, role.id, assigned_by=actor)
            self.deps.audit.record(
                session,
                AuditAction.CREATE,
                "user",
                user.id,
                {"username": username, "roles": sorted(set(roles or [UserRoleEnum.REQUESTOR]))},
            )
            return await _require_user(users, user.id)

    async def update_user(self, user_id: uuid.UUID, changes: UserChanges) -> User:
        """Change a profile. Users changing their own password give the current one; any
        password change (or an ADMIN's reset) and any deactivation end every session."""
        principal = _self_or_admin(user_id)
        values: dict[str, object] = {}
        if changes.email is not None:
            values["email"] = require_email("email", changes.email)
        if changes.full_name is not None:
            values["full_name"] = optional_text("full_name", changes.full_name, max_length=255)
        if changes.is_active is not None:
            if not _is_admin(principal):
                raise PermissionDenied("only an ADMIN may activate or deactivate users")
            values["is_active"] = changes.is_active
        if changes.password is not None:
            values["hashed_password"] = await self._new_password_hash(user_id, principal, changes)
        async with self.deps.db.unit_of_work() as session:
            users = UserRepository(session)
            user = await _require_user(users, user_id)
            if user.auth_provider not in (None, "local") and "hashed_password" in values:
                raise FailedPrecondition("SSO users have no password here")
            if "email" in values and values["email"] != user.email:
                other = await users.get_by_email(str(values["email"]))
                if other is not None and other.id != user.id:
                    raise AlreadyExists(f"email {values['email']} is taken")
            if values.get("is_active") is False and user.is_active:
                await self._keep_an_admin(users, user)
                await end_access(session, user.id, "deactivated")
            if "hashed_password" in values:
                await end_access(session, user.id, "password")
            if values:
                await users.update(user.id, values)
                self.deps.audit.record(
                    session,
                    AuditAction.UPDATE,
                    "user",
                    user.id,
                    {
                        "changed": sorted(
                            "password" if k == "hashed_password" else k for k in values
                        )
                    },
                )
            return await _require_user(users, user_id)

    async def _new_password_hash(
        self, user_id: uuid.UUID, principal: Principal, changes: UserChanges
    ) -> str:
        assert changes.password is not None
        async with self.deps.db.read_only() as session:
            user = await _require_user(UserRepository(session), user_id)
        if principal.user_id == user_id:
            current = changes.current_password or ""
            if not current:
                raise InvalidArgument("current_password", "is required to change your own password")
            if len(current) > MAX_PASSWORD_LENGTH or not await asyncio.to_thread(
                self.deps.passwords.verify, user.hashed_password, current
            ):
                raise InvalidArgument("current_password", "does not match")
        check_password(changes.password, user.username)
        return await asyncio.to_thread(self.deps.passwords.hash, changes.password)

    async def delete_user(self, user_id: uuid.UUID) -> None:
        """Soft delete: the user is deactivated and their refresh tokens revoked."""
        async with self.deps.db.unit_of_work() as session:
            users = UserRepository(session)
            user = await _require_user(users, user_id)
            if not user.is_active:
                return
            await self._keep_an_admin(users, user)
            await users.update(user.id, {"is_active": False})
            await end_access(session, user.id, "deleted")
            self.deps.audit.record(session, AuditAction.DELETE, "user", user.id, {"soft": True})

    async def assign_role(self, user_id: uuid.UUID, role_name: UserRoleEnum) -> User:
        async with self.deps.db.unit_of_work() as session:
            users, roles = UserRepository(session), RoleRepository(session)
            await _require_user(users, user_id)
            role = await _require_role(roles, role_name)
            if await roles.assign_role_to_user(
                user_id, role.id, assigned_by=require_user().user_id
            ):
                await end_access(session, user_id, "role", keep_refresh_tokens=True)
                self.deps.audit.record(
                    session, AuditAction.UPDATE, "user", user_id, {"role_assigned": str(role_name)}
                )
            return await _require_user(users, user_id)

    async def revoke_role(self, user_id: uuid.UUID, role_name: UserRoleEnum) -> User:
        async with self.deps.db.unit_of_work() as session:
            users, roles = UserRepository(session), RoleRepository(session)
            user = await _require_user(users, user_id)
            role = await _require_role(roles, role_name)
            if role_name == UserRoleEnum.ADMIN and role_name in user.role_names:
                await self._keep_an_admin(users, user)
            if await roles.revoke_role_from_user(user_id, role.id):
                await end_access(session, user_id, "role", keep_refresh_tokens=True)
                self.deps.audit.record(
                    session, AuditAction.UPDATE, "user", user_id, {"role_revoked": str(role_name)}
                )
            return await _require_user(users, user_id)

    async def list_roles(self) -> list[Role]:
        async with self.deps.db.read_only() as session:
            return await RoleRepository(session).list_roles()

    async def users_by_role(self, role: UserRoleEnum, page: Page) -> list[User]:
        async with self.deps.db.read_only() as session:
            return await UserRepository(session).get_users_by_role(role, page.offset, page.size)

    @staticmethod
    async def _keep_an_admin(users: UserRepository, user: User) -> None:
        is_admin = user.is_active and UserRoleEnum.ADMIN in user.role_names
        if is_admin and await users.count_active_admins() <= 1:
            raise FailedPrecondition("the last active ADMIN cannot be removed")
