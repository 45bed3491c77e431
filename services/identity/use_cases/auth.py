"""Login, token refresh, logout, SSO provisioning and the first admin."""

from __future__ import annotations

import asyncio
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import User
from services.identity.passwords import MAX_PASSWORD_LENGTH, check_password
from services.identity.repositories import (
    RefreshTokenRepository,
    RoleRepository,
    SecurityStampRepository,
    UserRepository,
)
from services.identity.repositories.login_throttles import (
    IP,
    USERNAME,
    LoginThrottleRepository,
    ThrottlePolicy,
)
from services.identity.repositories.refresh_tokens import ROTATED
from services.identity.repositories.security_stamps import StampChange
from services.identity.use_cases.deps import IdentityDeps
from services.identity.use_cases.revocation import end_access
from services.kernel.call_context import current_call, require_user
from services.kernel.enums import AuditAction, UserRoleEnum
from services.kernel.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
)
from services.kernel.validation import require_email, require_text

SSO_PROVIDERS = ("saml", "oauth", "oidc")
INVALID_CREDENTIALS = "invalid username or password"
MAX_STAMP_CHANGES = 1000


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


class AuthUseCases:
    def __init__(self, deps: IdentityDeps) -> None:
        self.deps = deps
        settings = deps.settings
        self.throttle = ThrottlePolicy(
            settings.login_throttle_username_failures,
            settings.login_throttle_ip_failures,
            settings.login_throttle_base_seconds,
            settings.login_throttle_max_seconds,
        )

    async def _issue(
        self, session: AsyncSession, user: User, family_id: uuid.UUID | None = None
    ) -> IssuedTokens:
        refresh = secrets.token_urlsafe(32)
        await RefreshTokenRepository(session).store(
            user.id,
            refresh,
            timedelta(seconds=self.deps.settings.refresh_token_ttl_seconds),
            family_id,
        )
        stamp = await SecurityStampRepository(session).current(user.id)
        access = self.deps.signer.issue(user.id, user.username, user.role_names, stamp)
        return IssuedTokens(access, refresh, self.deps.signer.ttl_seconds, user)

    async def login(self, username: str, password: str) -> IssuedTokens:
        """Tokens for a local user's password; refused with RESOURCE_EXHAUSTED (and when to
        retry) while the username or the client IP is throttled after repeated failures."""
        username = require_text("username", username, max_length=64)
        if not password:
            raise InvalidArgument("password", "is required")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise InvalidArgument("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")
        subjects = [(USERNAME, username.lower())]
        ip = current_call().ip_address
        if ip:
            subjects.append((IP, ip))
        async with self.deps.db.unit_of_work() as session:
            blocked = await LoginThrottleRepository(session).blocked_until(subjects)
            if blocked is not None:
                self.deps.audit.record(
                    session,
                    AuditAction.LOGIN,
                    "user",
                    None,
                    {"success": False, "username": username, "reason": "throttled"},
                )
        if blocked is not None:
            wait = max(1, math.ceil((blocked - datetime.now(UTC)).total_seconds()))
            raise ResourceExhausted(f"too many failed logins; retry in {wait} s", wait)
        async with self.deps.db.unit_of_work() as session:
            users = UserRepository(session)
            user = await users.get_by_username(username)
            hashed = user.hashed_password if user is not None else None
            valid = await asyncio.to_thread(self.deps.passwords.verify, hashed, password)
            if user is not None and valid and user.is_active:
                await users.update_last_login(user.id)
                await LoginThrottleRepository(session).clear(USERNAME, username.lower())
                issued = await self._issue(session, user)
                self.deps.audit.record(
                    session, AuditAction.LOGIN, "user", user.id, {"success": True}, user_id=user.id
                )
                return issued
        async with self.deps.db.unit_of_work() as session:
            reason = "disabled" if user is not None and valid else "bad_credentials"
            throttles = LoginThrottleRepository(session)
            for scope, subject in subjects:
                await throttles.record_failure(scope, subject, self.throttle)
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
        """A new token pair for a live refresh token, which is rotated (revoked). A rotated
        token presented again revokes its whole family: whoever holds the newer one, the
        thief or the user, must sign in again."""
        if not refresh_token:
            raise InvalidArgument("refresh_token", "is required")
        outcome: IssuedTokens | None = None
        async with self.deps.db.unit_of_work() as session:
            tokens = RefreshTokenRepository(session)
            row = await tokens.find_for_update(refresh_token)
            if row is None:
                raise Unauthenticated("unknown refresh token")
            if row.revoked_at is not None and row.revoke_reason == ROTATED:
                revoked = await tokens.revoke_family(row.family_id, "reuse")
                self.deps.audit.record(
                    session,
                    AuditAction.LOGOUT,
                    "user",
                    row.user_id,
                    {"reason": "refresh_token_reuse", "revoked": revoked},
                    user_id=row.user_id,
                )
            elif row.revoked_at is None and row.expires_at > datetime.now(UTC):
                user = await UserRepository(session).get_with_roles(row.user_id)
                await tokens.revoke(row, ROTATED)
                if user is not None and user.is_active:
                    outcome = await self._issue(session, user, row.family_id)
        if outcome is None:
            raise Unauthenticated("refresh token revoked or expired; sign in again")
        return outcome

    async def logout(self, refresh_token: str) -> None:
        """Revoke one of the caller's own refresh tokens (another user's is unknown here)."""
        if not refresh_token:
            raise InvalidArgument("refresh_token", "is required")
        caller = require_user().user_id
        async with self.deps.db.unit_of_work() as session:
            tokens = RefreshTokenRepository(session)
            row = await tokens.find_for_update(refresh_token)
            if row is None or row.user_id != caller:
                raise NotFound("refresh token", "given")
            if row.revoked_at is None:
                await tokens.revoke(row, "logout")
            self.deps.audit.record(session, AuditAction.LOGOUT, "user", caller, None)

    async def logout_everywhere(self) -> None:
        """Revoke every refresh token of the caller and end their access tokens."""
        caller = require_user().user_id
        assert caller is not None
        async with self.deps.db.unit_of_work() as session:
            await end_access(session, caller, "logout_all")
            self.deps.audit.record(
                session, AuditAction.LOGOUT, "user", caller, {"everywhere": True}
            )

    async def change_password(self, current_password: str, new_password: str) -> None:
        """The caller's own password, after checking the current one; ends every session."""
        caller = require_user().user_id
        assert caller is not None
        async with self.deps.db.read_only() as session:
            user = await UserRepository(session).get_with_roles(caller)
        if user is None:
            raise NotFound("user", caller)
        await set_own_password(self.deps, user, current_password, new_password)

    async def stamp_changes(self, after_sequence: int, max_changes: int) -> list[StampChange]:
        """Security stamp changes after `after_sequence`, oldest first (the revocation feed)."""
        if after_sequence < 0:
            raise InvalidArgument("after_sequence", "must not be negative")
        if not 0 <= max_changes <= MAX_STAMP_CHANGES:
            raise InvalidArgument("max_changes", f"must be between 0 and {MAX_STAMP_CHANGES}")
        async with self.deps.db.read_only() as session:
            return await SecurityStampRepository(session).changes_after(
                after_sequence, max_changes or MAX_STAMP_CHANGES
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
        check_password(password, username)
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


async def set_own_password(
    deps: IdentityDeps, user: User, current_password: str, new_password: str
) -> None:
    """A user's change of their own password: the current one must match, the new one must
    pass the policy; every refresh token is revoked and current access tokens end."""
    if user.auth_provider not in (None, "local"):
        raise FailedPrecondition("SSO users have no password here")
    if not current_password:
        raise InvalidArgument("current_password", "is required to change your own password")
    if len(current_password) > MAX_PASSWORD_LENGTH or not await asyncio.to_thread(
        deps.passwords.verify, user.hashed_password, current_password
    ):
        raise InvalidArgument("current_password", "does not match")
    check_password(new_password, user.username, "new_password")
    hashed = await asyncio.to_thread(deps.passwords.hash, new_password)
    async with deps.db.unit_of_work() as session:
        await UserRepository(session).update(user.id, {"hashed_password": hashed})
        await end_access(session, user.id, "password")
        deps.audit.record(session, AuditAction.UPDATE, "user", user.id, {"changed": ["password"]})
