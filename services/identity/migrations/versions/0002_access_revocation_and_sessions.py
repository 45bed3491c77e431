"""security stamps, refresh token families, login throttles, case-insensitive names

Usernames and emails become unique regardless of case. Existing rows that differ only in case
are not merged or renamed silently: the upgrade stops and names them, so that an operator
decides which account keeps the name (rename or delete the others, then upgrade again).

Revision ID: identity_0002
Revises: identity_0001
Create Date: 2026-12-04 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "identity_0002"
down_revision: str | None = "identity_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _refuse_case_duplicates(column: str) -> None:
    rows = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT lower({column}) AS name, array_agg(id::text) AS ids "
                f"FROM identity.users GROUP BY lower({column}) HAVING count(*) > 1"
            )
        )
        .all()
    )
    if rows:
        listing = "; ".join(f"{r.name}: {', '.join(r.ids)}" for r in rows)
        raise RuntimeError(
            f"users whose {column} differs only in case must be resolved first ({listing})"
        )


def upgrade() -> None:
    _refuse_case_duplicates("username")
    _refuse_case_duplicates("email")
    op.create_index(
        "uq_users_username_lower",
        "users",
        [sa.text("lower(username)")],
        unique=True,
        schema="identity",
    )
    op.create_index(
        "uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True, schema="identity"
    )

    op.add_column(
        "refresh_tokens", sa.Column("family_id", sa.Uuid(), nullable=True), schema="identity"
    )
    op.execute("UPDATE identity.refresh_tokens SET family_id = id")
    op.alter_column("refresh_tokens", "family_id", nullable=False, schema="identity")
    op.add_column(
        "refresh_tokens",
        sa.Column("revoke_reason", sa.String(length=16), nullable=True),
        schema="identity",
    )
    op.create_index(
        op.f("ix_refresh_tokens_family_id"),
        "refresh_tokens",
        ["family_id"],
        unique=False,
        schema="identity",
    )

    op.execute("CREATE SEQUENCE identity.security_stamp_sequence")
    op.create_table(
        "security_stamps",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("stamp", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity.users.id"],
            name=op.f("fk_security_stamps_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_security_stamps")),
        sa.UniqueConstraint("sequence", name=op.f("uq_security_stamps_sequence")),
        schema="identity",
    )

    op.create_table(
        "login_throttles",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scope", "subject", name=op.f("pk_login_throttles")),
        schema="identity",
    )


def downgrade() -> None:
    op.drop_table("login_throttles", schema="identity")
    op.drop_table("security_stamps", schema="identity")
    op.execute("DROP SEQUENCE identity.security_stamp_sequence")
    op.drop_index(
        op.f("ix_refresh_tokens_family_id"), table_name="refresh_tokens", schema="identity"
    )
    op.drop_column("refresh_tokens", "revoke_reason", schema="identity")
    op.drop_column("refresh_tokens", "family_id", schema="identity")
    op.drop_index("uq_users_email_lower", table_name="users", schema="identity")
    op.drop_index("uq_users_username_lower", table_name="users", schema="identity")
