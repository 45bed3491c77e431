"""deploy/k8s/database-roles.sql on a real PostgreSQL: migrations run as the owner role, each
service role reads and writes its own schema only, and the audit role can insert audit logs
but never change them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
import sqlalchemy as sa

from services.kernel.migrations import upgrade_all
from tests.database import scratch_database
from tests.deploy.test_manifests import K8S

ROLES_SQL = (K8S / "database-roles.sql").read_text()


def as_role(url: str, role: str) -> str:
    plain = sa.make_url(url).set(
        drivername="postgresql", username=role, password=f"change-me-{role}"
    )
    return plain.render_as_string(hide_password=False)


@pytest.fixture
def roles_database(database_url: str) -> Iterator[str]:
    with scratch_database(database_url) as url:
        superuser = sa.make_url(url).set(drivername="postgresql")

        async def apply() -> None:
            conn = await asyncpg.connect(superuser.render_as_string(hide_password=False))
            try:
                await conn.execute(ROLES_SQL)
                await conn.execute(ROLES_SQL)  # re-running it is harmless
            finally:
                await conn.close()

        asyncio.run(apply())
        owner = sa.make_url(url).set(username="tagen_owner", password="change-me-tagen_owner")
        upgrade_all(owner.render_as_string(hide_password=False))
        yield url


async def fails(conn: asyncpg.Connection, sql: str) -> bool:
    try:
        await conn.execute(sql)
    except asyncpg.InsufficientPrivilegeError:
        return True
    return False


def test_each_role_reaches_its_own_schema_only(roles_database: str) -> None:
    async def check() -> None:
        conn = await asyncpg.connect(as_role(roles_database, "tagen_identity"))
        try:
            await conn.fetchval("SELECT count(*) FROM identity.users")
            assert await fails(conn, "SELECT 1 FROM requests.requests")
            assert await fails(conn, "CREATE TABLE identity.extra (id int)")
        finally:
            await conn.close()
        conn = await asyncpg.connect(as_role(roles_database, "tagen_requests"))
        try:
            await conn.fetchval("SELECT count(*) FROM requests.requests")
            await conn.fetchval("SELECT count(*) FROM requests.audit_outbox")
            assert await fails(conn, "SELECT 1 FROM identity.users")
        finally:
            await conn.close()
        conn = await asyncpg.connect(as_role(roles_database, "tagen_audit"))
        try:
            await conn.execute("SET ROLE tagen_audit_writer")
            await conn.fetchval("SELECT count(*) FROM audit.audit_logs")
            assert await fails(conn, "DELETE FROM audit.audit_logs")
            assert await fails(conn, "SELECT 1 FROM identity.users")
        finally:
            await conn.close()

    asyncio.run(check())
