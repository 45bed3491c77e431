"""Identity fixtures: a real IdentityService on an ephemeral port and its stub."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from tagen.identity.v1 import identity_pb2_grpc as pb_grpc

from services.identity.repositories import RoleRepository, UserRepository
from services.identity.use_cases.deps import IdentityDeps
from services.kernel.db import Database
from services.kernel.enums import UserRoleEnum
from services.kernel.runtime import Runtime
from services.kernel.server import GrpcService
from tests.conftest import TokenFactory, truncate_all


@pytest.fixture
async def identity(
    identity_service: GrpcService, database: Database
) -> AsyncIterator[pb_grpc.IdentityServiceStub]:
    await truncate_all(database)
    async with database.unit_of_work() as s:
        await RoleRepository(s).ensure_default_roles()
    async with grpc.aio.insecure_channel(identity_service.address) as channel:
        yield pb_grpc.IdentityServiceStub(channel)


@pytest.fixture
def deps(database: Database, runtime: Runtime) -> IdentityDeps:
    assert runtime.keys.private_pem is not None
    return IdentityDeps.build(database, runtime.settings, runtime.keys.private_pem)


class People:
    """Creates users straight in the database and hands out their tokens."""

    def __init__(self, deps: IdentityDeps, tokens: TokenFactory) -> None:
        self.deps, self.tokens = deps, tokens

    async def add(
        self,
        username: str,
        *roles: UserRoleEnum,
        password: str = "correct-horse-1",
        active: bool = True,
    ) -> uuid.UUID:
        async with self.deps.db.unit_of_work() as s:
            users, role_repo = UserRepository(s), RoleRepository(s)
            await role_repo.ensure_default_roles()
            user = await users.create(
                {
                    "username": username,
                    "email": f"{username}@example.com",
                    "hashed_password": self.deps.passwords.hash(password),
                    "auth_provider": "local",
                    "is_active": active,
                }
            )
            for role in roles:
                r = await role_repo.get_by_name(role)
                assert r is not None
                await role_repo.assign_role_to_user(user.id, r.id)
            return user.id

    async def token(self, username: str, *roles: UserRoleEnum) -> tuple[uuid.UUID, str]:
        user_id = await self.add(username, *roles)
        return user_id, self.tokens.user(user_id, *roles, username=username)


@pytest.fixture
def people(deps: IdentityDeps, tokens: TokenFactory) -> People:
    return People(deps, tokens)
