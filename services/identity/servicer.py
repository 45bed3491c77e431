"""IdentityService over gRPC: translate proto <-> use cases, nothing else."""

from __future__ import annotations

from typing import Any

from tagen.identity.v1 import identity_pb2 as pb
from tagen.identity.v1 import identity_pb2_grpc as pb_grpc

from services.identity.models import Role, User
from services.identity.repositories import ConfigView
from services.identity.repositories.users import UserView
from services.identity.use_cases.auth import AuthUseCases, IssuedTokens
from services.identity.use_cases.config import ConfigUseCases
from services.identity.use_cases.users import UserChanges, UserUseCases
from services.kernel.enums import UserRoleEnum
from services.kernel.proto_convert import (
    enum_from_proto,
    enum_to_proto,
    struct,
    text,
    timestamp,
    uuid_text,
)
from services.kernel.validation import parse_page, parse_uuid

Ctx = Any  # grpc.aio.ServicerContext


def user_message(user: User | UserView) -> pb.User:
    return pb.User(
        id=str(user.id),
        username=user.username,
        email=user.email,
        full_name=text(user.full_name),
        is_active=user.is_active,
        is_superuser=user.is_superuser,
        auth_provider=text(user.auth_provider),
        external_id=text(user.external_id),
        last_login=timestamp(user.last_login),
        roles=[enum_to_proto(pb.UserRole, r) for r in user.role_names],
        created_at=timestamp(user.created_at),
        updated_at=timestamp(user.updated_at),
    )


def role_message(role: Role) -> pb.Role:
    return pb.Role(
        id=str(role.id),
        name=enum_to_proto(pb.UserRole, role.name),
        description=text(role.description),
        permissions=struct(role.permissions),
    )


def config_message(view: ConfigView) -> pb.ConfigEntry:
    return pb.ConfigEntry(
        key=view.key,
        value=view.value,
        value_type=view.value_type,
        description=text(view.description),
        is_secret=view.is_secret,
        updated_by=uuid_text(view.updated_by),
        updated_at=timestamp(view.updated_at),
    )


def _role(number: int, field: str = "role") -> UserRoleEnum:
    return enum_from_proto(pb.UserRole, UserRoleEnum, number, field)


def _tokens(issued: IssuedTokens) -> dict[str, Any]:
    return {
        "access_token": issued.access_token,
        "refresh_token": issued.refresh_token,
        "expires_in": issued.expires_in,
        "token_type": "Bearer",
        "user": user_message(issued.user),
    }


class IdentityServicer(pb_grpc.IdentityServiceServicer):
    def __init__(self, auth: AuthUseCases, users: UserUseCases, config: ConfigUseCases) -> None:
        self.auth, self.users, self.config = auth, users, config

    async def Login(self, request: pb.LoginRequest, context: Ctx) -> pb.LoginResponse:
        return pb.LoginResponse(
            **_tokens(await self.auth.login(request.username, request.password))
        )

    async def RefreshToken(
        self, request: pb.RefreshTokenRequest, context: Ctx
    ) -> pb.RefreshTokenResponse:
        return pb.RefreshTokenResponse(**_tokens(await self.auth.refresh(request.refresh_token)))

    async def Logout(self, request: pb.LogoutRequest, context: Ctx) -> pb.LogoutResponse:
        await self.auth.logout(request.refresh_token)
        return pb.LogoutResponse()

    async def ChangePassword(
        self, request: pb.ChangePasswordRequest, context: Ctx
    ) -> pb.ChangePasswordResponse:
        await self.auth.change_password(request.current_password, request.new_password)
        return pb.ChangePasswordResponse()

    async def LogoutEverywhere(
        self, request: pb.LogoutEverywhereRequest, context: Ctx
    ) -> pb.LogoutEverywhereResponse:
        await self.auth.logout_everywhere()
        return pb.LogoutEverywhereResponse()

    async def ListSecurityStampChanges(
        self, request: pb.ListSecurityStampChangesRequest, context: Ctx
    ) -> pb.ListSecurityStampChangesResponse:
        changes = await self.auth.stamp_changes(request.after_sequence, request.max_changes)
        return pb.ListSecurityStampChangesResponse(
            changes=[
                pb.SecurityStampChange(user_id=str(c.user_id), stamp=c.stamp, sequence=c.sequence)
                for c in changes
            ],
            last_sequence=changes[-1].sequence if changes else request.after_sequence,
        )

    async def GetCurrentUser(
        self, request: pb.GetCurrentUserRequest, context: Ctx
    ) -> pb.GetCurrentUserResponse:
        return pb.GetCurrentUserResponse(user=user_message(await self.users.current_user()))

    async def ListUsers(self, request: pb.ListUsersRequest, context: Ctx) -> pb.ListUsersResponse:
        page = parse_page(request.page_size, request.page_token)
        users = await self.users.list_users(request.query, page)
        return pb.ListUsersResponse(
            users=[user_message(u) for u in users], next_page_token=page.next_token(len(users))
        )

    async def CreateUser(
        self, request: pb.CreateUserRequest, context: Ctx
    ) -> pb.CreateUserResponse:
        roles = [_role(r, "roles") for r in request.roles]
        user = await self.users.create_user(
            request.username, request.email, request.password, request.full_name, roles
        )
        return pb.CreateUserResponse(user=user_message(user))

    async def GetUser(self, request: pb.GetUserRequest, context: Ctx) -> pb.GetUserResponse:
        user = await self.users.get_user(parse_uuid("user_id", request.user_id))
        return pb.GetUserResponse(user=user_message(user))

    async def UpdateUser(
        self, request: pb.UpdateUserRequest, context: Ctx
    ) -> pb.UpdateUserResponse:
        changes = UserChanges(
            email=request.email if request.HasField("email") else None,
            full_name=request.full_name if request.HasField("full_name") else None,
            password=request.password if request.HasField("password") else None,
            is_active=request.is_active if request.HasField("is_active") else None,
            current_password=(
                request.current_password if request.HasField("current_password") else None
            ),
        )
        user = await self.users.update_user(parse_uuid("user_id", request.user_id), changes)
        return pb.UpdateUserResponse(user=user_message(user))

    async def DeleteUser(
        self, request: pb.DeleteUserRequest, context: Ctx
    ) -> pb.DeleteUserResponse:
        await self.users.delete_user(parse_uuid("user_id", request.user_id))
        return pb.DeleteUserResponse()

    async def ProvisionSsoUser(
        self, request: pb.ProvisionSsoUserRequest, context: Ctx
    ) -> pb.ProvisionSsoUserResponse:
        user, created = await self.auth.provision_sso_user(
            request.auth_provider,
            request.external_id,
            request.username,
            request.email,
            request.full_name,
        )
        return pb.ProvisionSsoUserResponse(user=user_message(user), created=created)

    async def AssignRole(
        self, request: pb.AssignRoleRequest, context: Ctx
    ) -> pb.AssignRoleResponse:
        user_id = parse_uuid("user_id", request.user_id)
        user = await self.users.assign_role(user_id, _role(request.role))
        return pb.AssignRoleResponse(user=user_message(user))

    async def RevokeRole(
        self, request: pb.RevokeRoleRequest, context: Ctx
    ) -> pb.RevokeRoleResponse:
        user_id = parse_uuid("user_id", request.user_id)
        user = await self.users.revoke_role(user_id, _role(request.role))
        return pb.RevokeRoleResponse(user=user_message(user))

    async def ListRoles(self, request: pb.ListRolesRequest, context: Ctx) -> pb.ListRolesResponse:
        return pb.ListRolesResponse(roles=[role_message(r) for r in await self.users.list_roles()])

    async def ListUsersByRole(
        self, request: pb.ListUsersByRoleRequest, context: Ctx
    ) -> pb.ListUsersByRoleResponse:
        page = parse_page(request.page_size, request.page_token)
        users = await self.users.users_by_role(_role(request.role), page)
        return pb.ListUsersByRoleResponse(
            users=[user_message(u) for u in users], next_page_token=page.next_token(len(users))
        )

    async def ListConfig(
        self, request: pb.ListConfigRequest, context: Ctx
    ) -> pb.ListConfigResponse:
        entries = await self.config.list_config()
        return pb.ListConfigResponse(entries=[config_message(e) for e in entries])

    async def GetConfig(self, request: pb.GetConfigRequest, context: Ctx) -> pb.GetConfigResponse:
        return pb.GetConfigResponse(entry=config_message(await self.config.get_config(request.key)))

    async def ResolveConfig(
        self, request: pb.ResolveConfigRequest, context: Ctx
    ) -> pb.ResolveConfigResponse:
        entries = await self.config.resolve(list(request.keys))
        return pb.ResolveConfigResponse(entries=[config_message(e) for e in entries])

    async def SetConfig(self, request: pb.SetConfigRequest, context: Ctx) -> pb.SetConfigResponse:
        view = await self.config.set_config(
            request.key, request.value, request.value_type, request.description, request.is_secret
        )
        return pb.SetConfigResponse(entry=config_message(view))
