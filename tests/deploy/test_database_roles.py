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


#: role -> (statements it may run, statements refused to it)
REACH = {
    "tagen_identity": (
        ["SELECT count(*) FROM identity.users"],
        ["SELECT 1 FROM requests.requests", "CREATE TABLE identity.extra (id int)"],
    ),
    "tagen_requests": (
        ["SELECT count(*) FROM requests.requests", "SELECT count(*) FROM requests.audit_outbox"],
        ["SELECT 1 FROM identity.users"],
    ),
    "tagen_audit": (
        ["SET ROLE tagen_audit_writer", "SELECT count(*) FROM audit.audit_logs"],
        ["DELETE FROM audit.audit_logs", "SELECT 1 FROM identity.users"],
    ),
}


def test_each_role_reaches_its_own_schema_only(roles_database: str) -> None:
    async def check(role: str, allowed: list[str], refused: list[str]) -> None:
        conn = await asyncpg.connect(as_role(roles_database, role))
        try:
            for sql in allowed:
                await conn.execute(sql)
            for sql in refused:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(sql)
        finally:
            await conn.close()

    for role, (allowed, refused) in REACH.items():
        asyncio.run(check(role, allowed, refused))
