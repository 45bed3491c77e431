"""Login, token refresh, logout, SSO provisioning and the first admin."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import User
from services.identity.repositories import RefreshTokenRepository, RoleRepository, UserRepository
from services.identity.use_cases.deps import IdentityDeps
from services.kernel.enums import AuditAction, UserRoleEnum
from services.kernel.errors import InvalidArgument, Unauthenticated
from services.kernel.validation import require_email, require_text

SSO_PROVIDERS = ("saml", "oauth", "oidc")
INVALID_CREDENTIALS = "invalid username or password"


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


class AuthUseCases:
    def __init__(self, deps: IdentityDeps) -> None:
        self.deps = deps

    async def _issue(self, session: AsyncSession, user: User) -> IssuedTokens:
        refresh = secrets.token_urlsafe(32)
        await RefreshTokenRepository(session).store(
            user.id, refresh, timedelta(seconds=self.deps.settings.refresh_token_ttl_seconds)
        )
        access = self.deps.signer.issue(user.id, user.username, user.role_names)
        return IssuedTokens(access, refresh, self.deps.signer.ttl_seconds, user)

    async def login(self, username: str, password: str) -> IssuedTokens:
        username = require_text("username", username, max_length=64)
        if not password:
            raise InvalidArgument("password", "is required")
        async with self.deps.db.unit_of_work() as session:
            users = UserRepository(session)
            user = await users.get_by_username(username)
            hashed = user.hashed_password if user is not None else None
            valid = await asyncio.to_thread(self.deps.passwords.verify, hashed, password)
            if user is not None and valid and user.is_active:
                await users.update_last_login(user.id)
                issued = await self._issue(session, user)
                self.deps.audit.record(
                    session, AuditAction.LOGIN, "user", user.id, {"success": True}, user_id=user.id
                )
                return issued
        async with self.deps.db.unit_of_work() as session:
            reason = "disabled" if user is not None and valid else "bad_credentials"
            self.deps.audit.record(
                session,
                AuditAction.LOGIN,
                "user",
                user.id if user is not None else None,
                {"success": False, "username": username, "reason": reason},
                user_id=user.id if user is not None else None,
            )
        if reason == "disabled":
            raise Unauthenticated("this account is disabled")
        raise Unauthenticated(INVALID_CREDENTIALS)

    async def refresh(self, refresh_token: str) -> IssuedTokens:
        if not refresh_token:
            raise InvalidArgument("refresh_token", "is required")
        async with self.deps.db.unit_of_work() as session:
            tokens = RefreshTokenRepository(session)
            row = await tokens.find_for_update(refresh_token)
            if row is None:
                raise Unauthenticated("unknown refresh token")
            if row.revoked_at is not None:
                raise Unauthenticated("refresh token revoked")
            if row.expires_at <= datetime.now(UTC):
                raise Unauthenticated("refresh token expired")
            user = await UserRepository(session).get_with_roles(row.user_id)
            if user is None or not user.is_active:
                await tokens.revoke(row)
                outcome: IssuedTokens | None = None
            else:
                await tokens.revoke(row)
                outcome = await self._issue(session, user)
        if outcome is None:
            raise Unauthenticated("this account is disabled")
        return outcome

    async def logout(self, refresh_token: str) -> None:
        if not refresh_token:
            raise InvalidArgument("refresh_token", "is required")
        async with self.deps.db.unit_of_work() as session:
            tokens = RefreshTokenRepository(session)
            row = await tokens.find_for_update(refresh_token)
            if row is None:
                raise Unauthenticated("unknown refresh token")
            if row.revoked_at is None:
                await tokens.revoke(row)
            self.deps.audit.record(
                session, AuditAction.LOGOUT, "user", row.user_id, None, user_id=row.user_id
            )

    async def provision_sso_user(
        self, auth_provider: str, external_id: str, username: str, email: str, full_name: str
    ) -> tuple[User, bool]:
        """The user of an SSO identity, created with the REQUESTOR role on first sight."""
        if auth_provider not in SSO_PROVIDERS:
            raise InvalidArgument("auth_provider", f"must be one of {', '.join(SSO_PROVIDERS)}")
        external_id = require_text("external_id", external_id, max_length=255)
        username = require_text("username", username, max_length=64)
        email = require_email("email", email)
        async with self.deps.db.unit_of_work() as session:
            users = UserRepository(session)
            user = await users.get_by_external_id(external_id, auth_provider)
            if user is not None:
                changes = {}
                if user.email != email:
                    changes["email"] = email
                if full_name and user.full_name != full_name:
                    changes["full_name"] = full_name
                if changes:
                    await users.update(user.id, changes)
                    self.deps.audit.record(
                        session, AuditAction.UPDATE, "user", user.id, {"changed": sorted(changes)}
                    )
                return user, False
            user = await users.create(
                {
                    "username": username,
                    "email": email,
                    "full_name": full_name or None,
                    "auth_provider": auth_provider,
                    "external_id": external_id,
                }
            )
            roles = RoleRepository(session)
            requestor = await roles.get_by_name(UserRoleEnum.REQUESTOR)
            assert requestor is not None, "default roles are ensured at start-up"
            await roles.assign_role_to_user(user.id, requestor.id)
            self.deps.audit.record(
                session,
                AuditAction.CREATE,
                "user",
                user.id,
                {"auth_provider": auth_provider, "username": username},
            )
            fresh = await users.get_with_roles(user.id)
            assert fresh is not None
            return fresh, True

    async def ensure_roles_and_bootstrap_admin(self) -> User | None:
        """Default roles; then the first ADMIN from BOOTSTRAP_ADMIN_* when no admin exists."""
        settings = self.deps.settings
        async with self.deps.db.unit_of_work() as session:
            await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('tagen.bootstrap'))"))
            roles = RoleRepository(session)
            await roles.ensure_default_roles()
            if not (settings.bootstrap_admin_username and settings.bootstrap_admin_password):
                return None
            users = UserRepository(session)
            if await users.count_active_admins() > 0:
                return None
            return await create_admin(
                self.deps,
                session,
                settings.bootstrap_admin_username,
                settings.bootstrap_admin_password,
                settings.bootstrap_admin_email
                or f"{settings.bootstrap_admin_username}@tagen.local",
            )


async def create_admin(
    deps: IdentityDeps, session: AsyncSession, username: str, password: str, email: str
) -> User:
    """Create (or promote) a local user with the ADMIN role, inside the caller's transaction."""
    users, roles = UserRepository(session), RoleRepository(session)
    await roles.ensure_default_roles()
    username = require_text("username", username, max_length=64)
    user = await users.get_by_username(username)
    if user is None:
        hashed = await asyncio.to_thread(deps.passwords.hash, password)
        user = await users.create(
            {
                "username": username,
                "email": require_email("email", email),
                "hashed_password": hashed,
                "auth_provider": "local",
                "is_superuser": True,
            }
        )
        deps.audit.record(session, AuditAction.CREATE, "user", user.id, {"username": username})
    admin = await roles.get_by_name(UserRoleEnum.ADMIN)
    assert admin is not None
    if await roles.assign_role_to_user(user.id, admin.id):
        deps.audit.record(session, AuditAction.UPDATE, "user", user.id, {"role_assigned": "ADMIN"})
    fresh = await users.get_with_roles(user.id)
    assert fresh is not None
    return fresh
