"""One Alembic history per context, each with its version table in its own schema."""

from __future__ import annotations

import asyncio
import importlib.util
from importlib import resources
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

#: Contexts in the order their migrations are applied.
CONTEXTS: tuple[str, ...] = ("identity", "requests", "validation", "knowledge", "audit")


def available_contexts() -> list[str]:
    """Contexts that have a migration history in this build."""
    found = []
    for name in CONTEXTS:
        if importlib.util.find_spec(f"services.{name}") is None:
            continue
        if resources.files(f"services.{name}").joinpath("migrations", "env.py").is_file():
            found.append(name)
    return found


def alembic_config(context_name: str, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("path_separator", "os")
    location = resources.files(f"services.{context_name}").joinpath("migrations")
    cfg.set_main_option("script_location", str(location))
    cfg.set_main_option("version_locations", str(location.joinpath("versions")))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(context_name: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(context_name, database_url), revision)


def downgrade(context_name: str, database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(context_name, database_url), revision)


def upgrade_all(database_url: str, contexts: list[str] | None = None) -> list[str]:
    """Apply every context's migrations; returns the contexts migrated."""
    names = contexts or available_contexts()
    for name in names:
        upgrade(name, database_url)
    return names


async def upgrade_all_async(database_url: str, contexts: list[str] | None = None) -> list[str]:
    """The same from async code (Alembic runs its own loop in a worker thread)."""
    return await asyncio.to_thread(upgrade_all, database_url, contexts)


def run_env(metadata: MetaData) -> None:
    """The body of every context's env.py: online migrations of one schema."""
    schema = metadata.schema
    assert schema, "context metadata must name its schema"
    url = context.config.attributes.get("database_url") or context.config.get_main_option(
        "sqlalchemy.url"
    )

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name == schema
        return True

    def run(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=include_name,
            compare_type=True,
            compare_server_default=False,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    if context.is_offline_mode():
        raise SystemExit("offline migrations are not supported; give a database URL")
    asyncio.run(main())
