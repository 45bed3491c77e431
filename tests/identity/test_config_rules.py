"""System config: keys the platform reads are validated by their schema (type and range) when
set, other keys are typed by their value_type, and secrets are encrypted at rest, shown masked
to users and in clear only to services."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import select
from tagen.identity.v1 import identity_pb2 as pb

from services.identity.models import SystemConfig
from services.kernel.enums import UserRoleEnum
from tests.conftest import bearer
from tests.identity.test_users_rpc import expect, field_violation


@pytest.fixture
async def admin(people):
    return bearer((await people.token("root", UserRoleEnum.ADMIN))[1])


@pytest.mark.parametrize(
    ("key", "value", "value_type", "field"),
    [
        ("MAX_PARALLEL_VALIDATIONS", "-5", "", "value"),
        ("MAX_PARALLEL_VALIDATIONS", "five", "", "value"),
        ("MAX_PARALLEL_VALIDATIONS", "5", "string", "value_type"),
        ("SAMPLE_RETENTION_ENABLED", "abc", "", "value"),
        ("MAX_SAMPLE_SIZE_BYTES", "0", "integer", "value"),
        ("SOME_UNKNOWN_KEY", "x", "integer", "value"),
        ("DEEP_JSON", "[" * 1000 + "]" * 1000, "json", "value"),
    ],
)
async def test_values_that_do_not_fit_their_key_are_refused(
    identity, admin, key, value, value_type, field
) -> None:
    err = await expect(
        grpc.StatusCode.INVALID_ARGUMENT,
        identity.SetConfig(
            pb.SetConfigRequest(key=key, value=value, value_type=value_type), metadata=admin
        ),
    )
    assert field_violation(err) == field


async def test_known_keys_take_their_type_and_description(identity, admin) -> None:
    reply = await identity.SetConfig(
        pb.SetConfigRequest(key="MAX_PARALLEL_VALIDATIONS", value="0"), metadata=admin
    )
    assert reply.entry.value_type == "integer" and "validation" in reply.entry.description
    unknown = await identity.SetConfig(
        pb.SetConfigRequest(key="UI_BANNER", value="hello"), metadata=admin
    )
    assert unknown.entry.value_type == "string"


async def test_secrets_are_encrypted_at_rest(identity, admin, tokens, database) -> None:
    await identity.SetConfig(
        pb.SetConfigRequest(key="SPLUNK_TOKEN", value="s3cr3t-value", is_secret=True),
        metadata=admin,
    )
    async with database.read_only() as session:
        stored = await session.scalar(
            select(SystemConfig.value).where(SystemConfig.key == "SPLUNK_TOKEN")
        )
    assert stored is not None and stored.startswith("fernet:") and "s3cr3t" not in stored
    shown = await identity.GetConfig(pb.GetConfigRequest(key="SPLUNK_TOKEN"), metadata=admin)
    assert shown.entry.value == "********"
    resolved = await identity.ResolveConfig(
        pb.ResolveConfigRequest(keys=["SPLUNK_TOKEN"]), metadata=bearer(tokens.service())
    )
    assert [e.value for e in resolved.entries] == ["s3cr3t-value"]
