"""create knowledge tables

Revision ID: knowledge_0001
Revises:
Create Date: 2026-11-26 04:49:20.616842
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "knowledge_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("correlation_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_outbox")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_outbox_seq")),
        schema="knowledge",
    )
    op.create_table(
        "knowledge_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("document_type", sa.String(length=32), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("storage_bucket", sa.String(length=63), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("uploaded_by", sa.Uuid(), nullable=False),
        sa.Column(
            "pinecone_indexed", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("pinecone_index_name", sa.String(length=255), nullable=True),
        sa.Column("embedding_count", sa.Integer(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "document_type IN ('pdf', 'markdown', 'ta_archive', 'splunk_doc')",
            name=op.f("ck_knowledge_documents_document_type_known"),
        ),
        sa.CheckConstraint(
            "embedding_count IS NULL OR embedding_count >= 0",
            name=op.f("ck_knowledge_documents_embedding_count_not_negative"),
        ),
        sa.CheckConstraint(
            "file_size IS NULL OR file_size >= 0",
            name=op.f("ck_knowledge_documents_file_size_not_negative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_documents")),
        schema="knowledge",
    )
    op.create_index(
        op.f("ix_knowledge_documents_document_type"),
        "knowledge_documents",
        ["document_type"],
        unique=False,
        schema="knowledge",
    )
    op.create_index(
        op.f("ix_knowledge_documents_is_active"),
        "knowledge_documents",
        ["is_active"],
        unique=False,
        schema="knowledge",
    )
    op.create_index(
        op.f("ix_knowledge_documents_pinecone_indexed"),
        "knowledge_documents",
        ["pinecone_indexed"],
        unique=False,
        schema="knowledge",
    )
    op.create_table(
        "knowledge_chunks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('english'::regconfig, text)", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("ordinal >= 0", name=op.f("ck_knowledge_chunks_ordinal_not_negative")),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["knowledge.knowledge_documents.id"],
            name=op.f("fk_knowledge_chunks_document_id_knowledge_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_chunks")),
        sa.UniqueConstraint(
            "document_id", "ordinal", name=op.f("uq_knowledge_chunks_document_id_ordinal")
        ),
        schema="knowledge",
    )
    op.create_index(
        "ix_knowledge_chunks_search_vector",
        "knowledge_chunks",
        ["search_vector"],
        unique=False,
        schema="knowledge",
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_knowledge_chunks_search_vector",
        table_name="knowledge_chunks",
        schema="knowledge",
        postgresql_using="gin",
    )
    op.drop_table("knowledge_chunks", schema="knowledge")
    op.drop_index(
        op.f("ix_knowledge_documents_pinecone_indexed"),
        table_name="knowledge_documents",
        schema="knowledge",
    )
    op.drop_index(
        op.f("ix_knowledge_documents_is_active"),
        table_name="knowledge_documents",
        schema="knowledge",
    )
    op.drop_index(
        op.f("ix_knowledge_documents_document_type"),
        table_name="knowledge_documents",
        schema="knowledge",
    )
    op.drop_table("knowledge_documents", schema="knowledge")
    op.drop_table("audit_outbox", schema="knowledge")
