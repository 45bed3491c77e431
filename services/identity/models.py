"""Identity tables: users, roles, user_roles, system_config, refresh tokens, audit outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.kernel.enums import UserRoleEnum
from services.kernel.models import (
    MAPPER_ARGS,
    TYPE_ANNOTATION_MAP,
    Timestamps,
    UUIDPrimaryKey,
    context_metadata,
    pg_enum,
)
from services.kernel.outbox import AuditOutboxMixin

SCHEMA = "identity"


class IdentityBase(DeclarativeBase):
    metadata = context_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP
    __mapper_args__ = MAPPER_ARGS


USER_ROLE_ENUM = pg_enum(UserRoleEnum, "user_role", SCHEMA)


class User(UUIDPrimaryKey, Timestamps, IdentityBase):
    """A person who uses the platform (local password or SSO)."""

    __tablename__ = "users"
    __table_args__ = (
        sa.Index("ix_users_email_auth_provider", "email", "auth_provider"),
        sa.UniqueConstraint("auth_provider", "external_id", name="uq_users_provider_external_id"),
        sa.Index("uq_users_username_lower", sa.text("lower(username)"), unique=True),
        sa.Index("uq_users_email_lower", sa.text("lower(email)"), unique=True),
    )

    username: Mapped[str] = mapped_column(sa.String(64), unique=True, index=True)
    """Login username."""
    email: Mapped[str] = mapped_column(sa.String(255), unique=True, index=True)
    """Email address."""
    hashed_password: Mapped[str | None] = mapped_column(sa.String(255))
    """Argon2 hash; local auth only."""
    full_name: Mapped[str | None] = mapped_column(sa.String(255))
    """User's full name."""
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    """Account active; inactive users cannot log in (soft delete)."""
    is_superuser: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    """Superuser flag."""
    auth_provider: Mapped[str | None] = mapped_column(sa.String(16))
    """'local', 'saml', 'oauth' or 'oidc'."""
    external_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    """SSO user id at the provider."""
    last_login: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    """Last successful login (UTC)."""

    roles: Mapped[list[Role]] = relationship(
        secondary="identity.user_roles",
        primaryjoin="User.id == UserRole.user_id",
        secondaryjoin="Role.id == UserRole.role_id",
        viewonly=True,
        lazy="raise",
        order_by="Role.name",
    )
    """Roles held (load explicitly)."""

    @property
    def role_names(self) -> list[UserRoleEnum]:
        return sorted(role.name for role in self.roles)


class Role(UUIDPrimaryKey, Timestamps, IdentityBase):
    """An RBAC role and its fine-grained permissions."""

    __tablename__ = "roles"

    name: Mapped[UserRoleEnum] = mapped_column(USER_ROLE_ENUM, unique=True)
    """Role name."""
    description: Mapped[str | None] = mapped_column(sa.Text)
    """What the role is for."""
    permissions: Mapped[dict[str, Any] | None] = mapped_column()
    """Fine-grained permissions (JSON)."""

    users: Mapped[list[User]] = relationship(
        secondary="identity.user_roles",
        primaryjoin="Role.id == UserRole.role_id",
        secondaryjoin="User.id == UserRole.user_id",
        viewonly=True,
        lazy="raise",
    )
    """Users that hold the role (load explicitly)."""


class UserRole(IdentityBase):
    """A user holding a role: who assigned it and when."""

    __tablename__ = "user_roles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("identity.users.id", ondelete="CASCADE"), primary_key=True
    )
    """The user."""
    role_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("identity.roles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    """The role."""
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("identity.users.id", ondelete="SET NULL")
    )
    """Who assigned it; None at bootstrap."""
    assigned_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    """When it was assigned (UTC)."""


class SystemConfig(UUIDPrimaryKey, Timestamps, IdentityBase):
    """A runtime configuration value; it overrides the environment."""

    __tablename__ = "system_config"
    __table_args__ = (
        sa.CheckConstraint(
            "value_type IN ('string', 'integer', 'boolean', 'json', 'list')", name="value_type"
        ),
    )

    key: Mapped[str] = mapped_column(sa.String(128), unique=True, index=True)
    """Setting name, e.g. MAX_PARALLEL_VALIDATIONS."""
    value: Mapped[str] = mapped_column(sa.Text)
    """The value as text."""
    value_type: Mapped[str] = mapped_column(sa.String(16), default="string")
    """How to parse value: string, integer, boolean, json or list."""
    description: Mapped[str | None] = mapped_column(sa.Text)
    """What the setting does."""
    is_secret: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    """Masked in the UI."""
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("identity.users.id", ondelete="SET NULL")
    )
    """Who changed it last."""


class RefreshToken(UUIDPrimaryKey, IdentityBase):
    """A refresh token (stored hashed); logout or deactivation revokes it.

    Each refresh rotates the token: the old row is revoked with reason 'rotated' and a new row
    of the same family is issued. Presenting a rotated token again means it was stolen (or
    replayed), so the whole family is revoked.
    """

    __tablename__ = "refresh_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("identity.users.id", ondelete="CASCADE"), index=True
    )
    """Whose token."""
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    """SHA-256 of the token."""
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    """Expiry (UTC)."""
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    """When it was revoked."""
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    """The login this token descends from (every rotation keeps it)."""
    revoke_reason: Mapped[str | None] = mapped_column(sa.String(16))
    """Why it was revoked: rotated, logout, logout_all, reuse, password, deactivated."""
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    """When it was issued."""


class SecurityStamp(IdentityBase):
    """A user's security stamp: access tokens carry the stamp they were issued under, and
    every service refuses a token whose stamp is older than the user's current one.

    The stamp goes up when access must end at once (deactivation, deletion, a role change, a
    password change, "log out everywhere"); `sequence` orders the changes so that services
    can follow them from where they left off.
    """

    __tablename__ = "security_stamps"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("identity.users.id", ondelete="CASCADE"), primary_key=True
    )
    """The user."""
    stamp: Mapped[int] = mapped_column(sa.Integer)
    """Current stamp; tokens with a lower one are refused."""
    sequence: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    """Position of the last change in the platform-wide feed of stamp changes."""
    changed_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    """When the stamp last changed (UTC)."""


class LoginThrottle(IdentityBase):
    """Failed logins per username or per client IP, and until when further attempts wait.

    Kept in the database so that every identity replica applies the same limits.
    """

    __tablename__ = "login_throttles"

    scope: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    """'username' or 'ip'."""
    subject: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    """The lower-cased username or the client IP."""
    failures: Mapped[int] = mapped_column(sa.Integer)
    """Failed attempts since the last success or the last quiet period."""
    last_failure_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    """When the last attempt failed (UTC)."""
    blocked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    """Attempts before this time are refused without checking the password."""


class AuditOutbox(AuditOutboxMixin, IdentityBase):
    """Audit events of identity waiting for the relay."""

    __tablename__ = "audit_outbox"
