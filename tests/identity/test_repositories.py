"""Every seed method of the identity repositories, on a real PostgreSQL (rolled back per test)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.config_values import SECRET_MASK
from services.identity.models import SystemConfig, User
from services.identity.repositories import (
    DEFAULT_ROLES,
    RoleRepository,
    SystemConfigRepository,
    UserRepository,
)
from services.kernel.enums import UserRoleEnum
from services.kernel.errors import AlreadyExists, InvalidArgument


async def make_user(session: AsyncSession, name: str, **extra: object) -> User:
    return await UserRepository(session).create(
        {"username": name, "email": f"{name}@example.com", **extra}
    )


async def test_base_repository_crud(session: AsyncSession) -> None:
    users = UserRepository(session)
    user = await make_user(session, "crud", full_name="Crud Person")
    assert user.id is not None and user.created_at is not None and user.is_active
    assert await users.exists(user.id)
    assert (await users.get_by_id(user.id)).username == "crud"  # type: ignore[union-attr]
    updated = await users.update(user.id, {"full_name": "Renamed"})
    assert updated is not None and updated.full_name == "Renamed"
    assert await users.update(uuid.uuid4(), {"full_name": "x"}) is None
    assert await users.count({"username": "crud"}) == 1
    assert await users.delete(user.id)
    assert not await users.delete(user.id)
    assert not await users.exists(user.id)


async def test_get_all_filters_ordering_and_paging(session: AsyncSession) -> None:
    for name in ("pa", "pb", "pc"):
        await make_user(session, name, is_superuser=name == "pb")
    users = UserRepository(session)
    names = [u.username for u in await users.get_all(0, 10, order_by="username")]
    assert names == ["pa", "pb", "pc"]
    desc = [u.username for u in await users.get_all(0, 2, order_by="username", desc=True)]
    assert desc == ["pc", "pb"]
    assert [u.username for u in await users.get_all(1, 1, order_by="username")] == ["pb"]
    supers = await users.get_all(filters={"is_superuser": True})
    assert [u.username for u in supers] == ["pb"]
    assert await users.count({"username": ["pa", "pc"]}) == 2
    assert await users.count({"full_name": None}) == 3
    with pytest.raises(InvalidArgument) as err:
        await users.count({"no_such_column": 1})
    assert err.value.field == "no_such_column"
    with pytest.raises(InvalidArgument):
        await users.get_all(limit=0)


async def test_duplicate_username_is_a_duplicate_key(session: AsyncSession) -> None:
    await make_user(session, "dup")
    with pytest.raises(AlreadyExists) as err:
        await UserRepository(session).create({"username": "dup", "email": "other@example.com"})
    assert "ix_users_username" in err.value.message


async def test_user_lookups(session: AsyncSession) -> None:
    users = UserRepository(session)
    local = await make_user(session, "john_doe", full_name="John Doe")
    sso = await make_user(
        session, "jane", auth_provider="saml", external_id="ext-123", full_name="Jane Roe"
    )
    assert (await users.get_by_username("john_doe")).id == local.id  # type: ignore[union-attr]
    assert await users.get_by_username("nobody") is None
    assert (await users.get_by_email("JANE@example.com")).id == sso.id  # type: ignore[union-attr]
    assert (await users.get_by_external_id("ext-123", "saml")).id == sso.id  # type: ignore[union-attr]
    assert await users.get_by_external_id("ext-123", "oidc") is None
    found = await users.search_users("john", skip=0, limit=10)
    assert [u.username for u in found] == ["john_doe"]
    assert {u.username for u in await users.search_users("ROE")} == {"jane"}
    assert await users.search_users("%") == []  # wildcards are literal
    assert len(await users.search_users("", skip=0, limit=1)) == 1


async def test_roles_users_by_role_and_with_roles(session: AsyncSession) -> None:
    roles = RoleRepository(session)
    await roles.ensure_default_roles()
    approver = await roles.get_by_name(UserRoleEnum.APPROVER)
    admin = await roles.get_by_name(UserRoleEnum.ADMIN)
    assert approver is not None and admin is not None
    boss = await make_user(session, "boss")
    worker = await make_user(session, "worker")
    assert await roles.assign_role_to_user(worker.id, approver.id, assigned_by=boss.id)
    assert not await roles.assign_role_to_user(worker.id, approver.id, assigned_by=boss.id)
    assignment = await roles.get_assignment(worker.id, approver.id)
    assert assignment is not None and assignment.assigned_by == boss.id
    assert assignment.assigned_at is not None
    await roles.assign_role_to_user(worker.id, admin.id)
    users = UserRepository(session)
    with_roles = await users.get_with_roles(worker.id)
    assert with_roles is not None
    assert with_roles.role_names == [UserRoleEnum.ADMIN, UserRoleEnum.APPROVER]
    approvers = await users.get_users_by_role(UserRoleEnum.APPROVER)
    assert [u.username for u in approvers] == ["worker"]
    assert await users.get_users_by_role(UserRoleEnum.KNOWLEDGE_MANAGER) == []
    assert await roles.revoke_role_from_user(worker.id, approver.id)
    assert not await roles.revoke_role_from_user(worker.id, approver.id)
    assert await users.get_users_by_role(UserRoleEnum.APPROVER) == []


async def test_ensure_default_roles_is_idempotent(session: AsyncSession) -> None:
    roles = RoleRepository(session)
    first = await roles.ensure_default_roles()
    second = await roles.ensure_default_roles()
    assert [r.name for r in first] == [r.name for r in second]
    assert {r.name for r in second} == set(UserRoleEnum)
    assert [r.id for r in first] == [r.id for r in second]
    for role in second:
        assert role.permissions == DEFAULT_ROLES[role.name][1]
        assert role.description


async def test_update_last_login(session: AsyncSession) -> None:
    user = await make_user(session, "logger")
    assert user.last_login is None
    stamped = await UserRepository(session).update_last_login(user.id)
    assert stamped is not None
    assert (await UserRepository(session).get_by_id(user.id)).last_login == stamped  # type: ignore[union-attr]
    assert await UserRepository(session).update_last_login(uuid.uuid4()) is None


@pytest.mark.parametrize(
    ("value", "value_type", "expected"),
    [
        (5, "integer", 5),
        ("42", "integer", 42),
        (True, "boolean", True),
        ("off", "boolean", False),
        ({"a": [1, 2]}, "json", {"a": [1, 2]}),
        (["x", "y"], "list", ["x", "y"]),
        ("plain", "string", "plain"),
    ],
)
async def test_config_values_parse_by_type(
    session: AsyncSession, value: object, value_type: str, expected: object
) -> None:
    repo = SystemConfigRepository(session)
    await repo.set_value("SOME_KEY", value, value_type, description="d")
    assert await repo.get_value("SOME_KEY") == expected


async def test_config_default_overwrite_and_bad_values(session: AsyncSession) -> None:
    repo = SystemConfigRepository(session)
    assert await repo.get_value("MAX_PARALLEL_VALIDATIONS", default=5) == 5
    admin = await make_user(session, "cfgadmin")
    row = await repo.set_value(
        "SAMPLE_RETENTION_ENABLED", True, "boolean", updated_by=admin.id, description="retention"
    )
    assert row.updated_by == admin.id and row.description == "retention"
    again = await repo.set_value("SAMPLE_RETENTION_ENABLED", False, "boolean")
    assert again.id == row.id and again.description == "retention"
    assert await repo.get_value("SAMPLE_RETENTION_ENABLED") is False
    assert await repo.count() == 1
    for value, value_type in (
        ("abc", "integer"),
        ("maybe", "boolean"),
        ("{", "json"),
        ('{"a": 1}', "list"),
    ):
        with pytest.raises(InvalidArgument) as err:
            await repo.set_value("BAD", value, value_type)
        assert err.value.field == "value"
    with pytest.raises(InvalidArgument) as err:
        await repo.set_value("BAD", "x", "float")
    assert err.value.field == "value_type"


async def test_public_configs_mask_secrets(session: AsyncSession) -> None:
    repo = SystemConfigRepository(session)
    await repo.set_value("API_TOKEN", "s3cr3t", "string", is_secret=True)
    await repo.set_value("UI_TITLE", "Hello", "string")
    public = {c.key: c for c in await repo.get_public_configs()}
    assert public["API_TOKEN"].value == SECRET_MASK and public["API_TOKEN"].is_secret
    assert public["UI_TITLE"].value == "Hello"
    stored = await repo.get_by_key("API_TOKEN")
    assert isinstance(stored, SystemConfig) and stored.value == "s3cr3t"
