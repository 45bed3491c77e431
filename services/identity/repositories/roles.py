"""RoleRepository: role lookup, assignment and the default roles."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from services.identity.models import Role, UserRole
from services.kernel.enums import UserRoleEnum
from services.kernel.repository import BaseRepository

#: The four roles with their descriptions and permissions (written at start-up).
DEFAULT_ROLES: dict[UserRoleEnum, tuple[str, dict[str, Any]]] = {
    UserRoleEnum.REQUESTOR: (
        "Submits TA requests and uploads log samples",
        {
            "requests": ["create", "read_own", "update_own", "submit"],
            "samples": ["upload", "delete_own"],
        },
    ),
    UserRoleEnum.APPROVER: (
        "Approves or rejects TA requests",
        {"requests": ["read_all", "approve", "reject"], "revisions": ["upload_manual"]},
    ),
    UserRoleEnum.ADMIN: (
        "Full system access",
        {"*": ["*"]},
    ),
    UserRoleEnum.KNOWLEDGE_MANAGER: (
        "Manages the knowledge base",
        {"knowledge": ["create", "read", "delete", "index"]},
    ),
}


class RoleRepository(BaseRepository[Role]):
    model = Role

    async def get_by_name(self, name: UserRoleEnum) -> Role | None:
        return await self.session.scalar(select(Role).where(Role.name == UserRoleEnum(name)))

    async def list_roles(self) -> list[Role]:
        return list((await self.session.scalars(select(Role).order_by(Role.name))).all())

    async def assign_role_to_user(
        self, user_id: uuid.UUID, role_id: uuid.UUID, assigned_by: uuid.UUID | None = None
    ) -> bool:
        """Give the role; False when the user already held it (nothing changes then)."""
        result = await self.session.execute(
            insert(UserRole)
            .values(user_id=user_id, role_id=role_id, assigned_by=assigned_by)
            .on_conflict_do_nothing(index_elements=[UserRole.user_id, UserRole.role_id])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def revoke_role_from_user(self, user_id: uuid.UUID, role_id: uuid.UUID) -> bool:
        """Take the role away; False when the user did not hold it."""
        result = await self.session.execute(
            delete(UserRole).where(UserRole.user_id == user_id, UserRole.role_id == role_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get_assignment(self, user_id: uuid.UUID, role_id: uuid.UUID) -> UserRole | None:
        return await self.session.get(UserRole, (user_id, role_id))

    async def ensure_default_roles(self) -> list[Role]:
        """Create the four roles when missing (safe to run at every start, concurrently)."""
        await self.session.execute(
            insert(Role)
            .values(
                [
                    {"id": uuid.uuid4(), "name": name, "description": text, "permissions": perms}
                    for name, (text, perms) in DEFAULT_ROLES.items()
                ]
            )
            .on_conflict_do_nothing(index_elements=[Role.name])
        )
        return await self.list_roles()
