"""System config overrides environment values: read through identity's ResolveConfig with a
service identity, cached for a few seconds, with the environment as the fallback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.identity.repositories import SystemConfigRepository
from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.runtime_config import RuntimeConfig, parse_as
from services.kernel.server import GrpcService
from services.kernel.tokens import ServiceIdentity

KEY = "SAMPLE_RETENTION_ENABLED"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def config(
    identity_service: GrpcService, runtime: Runtime, clock: Clock
) -> AsyncIterator[RuntimeConfig]:
    client = RuntimeConfig(
        identity_service.address, runtime.service_identity("requests"), ttl_seconds=5, clock=clock
    )
    yield client
    await client.close()


async def set_row(db: Database, key: str, value: str, value_type: str) -> None:
    async with db.unit_of_work() as session:
        await SystemConfigRepository(session).set_value(key, value, value_type)


async def drop_row(db: Database, key: str) -> None:
    async with db.unit_of_work() as session:
        repo = SystemConfigRepository(session)
        row = await repo.get_by_key(key)
        if row is not None:
            await repo.delete(row.id)


async def test_environment_value_without_a_row(config: RuntimeConfig, database: Database) -> None:
    await drop_row(database, KEY)
    assert await config.get_bool(KEY, True) is True
    config.invalidate()
    assert await config.get_bool(KEY, False) is False


async def test_row_overrides_environment_and_is_cached(
    config: RuntimeConfig, database: Database, clock: Clock
) -> None:
    await set_row(database, KEY, "false", "boolean")
    assert await config.get_bool(KEY, True) is False
    await set_row(database, KEY, "true", "boolean")
    assert await config.get_bool(KEY, False) is False  # cached for the TTL
    clock.now += 6
    assert await config.get_bool(KEY, False) is True
    await drop_row(database, KEY)
    config.invalidate(KEY)
    assert await config.get_bool(KEY, False) is False


async def test_typed_values(config: RuntimeConfig, database: Database) -> None:
    await set_row(database, "MAX_PARALLEL_VALIDATIONS", "7", "integer")
    await set_row(database, "SOME_LIST", '["a", "b"]', "list")
    await set_row(database, "SOME_NAME", "hello", "string")
    assert await config.get("MAX_PARALLEL_VALIDATIONS", 5) == 7
    assert await config.get("SOME_LIST", []) == ["a", "b"]
    assert await config.get("SOME_NAME", "x") == "hello"
    await set_row(database, "BROKEN_BOOL", "maybe", "string")
    assert await config.get_bool("BROKEN_BOOL", True) is True  # does not parse: fallback


async def test_identity_unreachable(runtime: Runtime, database: Database) -> None:
    down = RuntimeConfig("127.0.0.1:9", runtime.service_identity("requests"))
    try:
        assert await down.get_bool(KEY, True) is True
        assert await down.get("MAX_PARALLEL_VALIDATIONS", 3) == 3
    finally:
        await down.close()


async def test_last_value_survives_an_outage(
    config: RuntimeConfig, database: Database, clock: Clock
) -> None:
    await set_row(database, KEY, "false", "boolean")
    assert await config.get_bool(KEY, True) is False
    await config.close()
    config.address = "127.0.0.1:9"
    clock.now += 60
    assert await config.get_bool(KEY, True) is False


async def test_wrong_identity_is_refused_and_falls_back(
    identity_service: GrpcService, database: Database
) -> None:
    await set_row(database, KEY, "false", "boolean")
    forged = RuntimeConfig(
        identity_service.address, ServiceIdentity("requests", "not-the-service-secret-" + "x" * 16)
    )
    try:
        assert await forged.get_bool(KEY, True) is True
    finally:
        await forged.close()


def test_parse_as() -> None:
    assert parse_as("Yes", "boolean", False) is True
    assert parse_as("off", "string", True) is False
    assert parse_as("12", "integer", 1) == 12
    assert parse_as("1.5", "string", 1.0) == 1.5
    assert parse_as('{"a": 1}', "json", {}) == {"a": 1}
    with pytest.raises(ValueError):
        parse_as("nope", "boolean", True)
