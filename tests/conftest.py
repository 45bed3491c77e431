"""Fixtures every test tier shares: one real PostgreSQL per test session, migrated once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from services.kernel.db import Database
from services.kernel.enums import UserRoleEnum
from services.kernel.migrations import available_contexts, upgrade_all
from services.kernel.runtime import Runtime
from services.kernel.server import GrpcService
from services.kernel.settings import Settings
from services.kernel.tokens import AccessTokenSigner, KeyMaterial, generate_key_material
from tests.database import test_database


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with test_database() as url:
        upgrade_all(url)
        yield url


@pytest.fixture(scope="session")
def keys() -> KeyMaterial:
    return generate_key_material()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        database_pool_size=5,
        database_max_overflow=5,
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
        data_dir=tmp_path_factory.mktemp("data"),
        grpc_host="127.0.0.1",
        bootstrap_admin_username="",
        bootstrap_admin_password="",
        # Tests that follow identity's revocation feed turn it on (tests/security).
        revocation_feed_enabled=False,
    )


@pytest.fixture(scope="session")
def runtime(settings: Settings, keys: KeyMaterial) -> Runtime:
    return Runtime.from_keys(settings, keys)


@pytest.fixture(scope="module")
async def identity_service(runtime: Runtime) -> AsyncIterator[GrpcService]:
    """A real IdentityService on an ephemeral port (any context's tests may need one)."""
    service = runtime.create_service("identity", port=0)
    await service.start()
    yield service
    await service.stop(0)


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database.from_settings(settings)
    yield db
    await db.dispose()


TRUNCATE_EXCLUDE = {"alembic_version"}


async def truncate_all(db: Database) -> None:
    """Empty every table of every context (the per-test reset of service-level tests)."""
    schemas = available_contexts()
    async with db.engine.begin() as conn:
        rows = await conn.execute(
            text(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema = ANY(:schemas) AND table_type = 'BASE TABLE'"
            ),
            {"schemas": schemas},
        )
        tables = [
            f'"{s}"."{t}"' for s, t in rows if t not in TRUNCATE_EXCLUDE and t != "audit_logs"
        ]
        if tables:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))


@pytest.fixture
async def clean_database(database: Database) -> Database:
    await truncate_all(database)
    return database


@pytest.fixture
async def session(database_url: str, clean_database: Database) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test (repository tests),
    on empty tables."""
    engine = create_async_engine(database_url, pool_size=1)
    async with engine.connect() as conn:
        transaction = await conn.begin()
        factory = async_sessionmaker(
            bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        async with factory() as s:
            yield s
        await transaction.rollback()
    await engine.dispose()


@dataclass(frozen=True)
class TokenFactory:
    """Access tokens for test users and service identities, signed with the test keys."""

    signer: AccessTokenSigner
    runtime: Runtime

    def user(self, user_id: uuid.UUID, *roles: UserRoleEnum, username: str = "someone") -> str:
        return self.signer.issue(user_id, username, roles)

    def service(self, name: str = "requests") -> str:
        return self.runtime.service_identity(name).token()

    def caller(self, *roles: UserRoleEnum) -> Caller:
        """A fresh user (who need not exist in identity: tokens are verified locally)."""
        user_id = uuid.uuid4()
        return Caller(user_id, self.user(user_id, *roles))

    def service_caller(self, name: str) -> Caller:
        return Caller(None, self.service(name))


@dataclass(frozen=True)
class Caller:
    """A test identity: its user id (None for services) and its call metadata."""

    user_id: uuid.UUID | None
    token: str | None

    @property
    def md(self) -> tuple[tuple[str, str], ...]:
        return bearer(self.token) if self.token else ()


@pytest.fixture(scope="session")
def tokens(keys: KeyMaterial, settings: Settings, runtime: Runtime) -> TokenFactory:
    assert keys.private_pem is not None
    return TokenFactory(AccessTokenSigner(keys.private_pem, settings.jwt_issuer, 60), runtime)


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)
