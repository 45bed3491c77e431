"""The permission matrix: each kind of caller against each IdentityService RPC."""

from __future__ import annotations

import uuid

import grpc
import pytest
from tagen.identity.v1 import identity_pb2 as pb

from services.identity.access import ACCESS
from services.identity.app import SERVICE_NAME
from services.kernel.enums import UserRoleEnum
from tests.conftest import bearer

CALLERS = ("none", "service", "REQUESTOR", "APPROVER", "ADMIN", "KNOWLEDGE_MANAGER")
USERS = {"REQUESTOR", "APPROVER", "ADMIN", "KNOWLEDGE_MANAGER"}

#: Who gets past the permission check, written out independently of the access table.
EXPECTED: dict[str, set[str]] = {
    "Login": set(CALLERS),
    "RefreshToken": set(CALLERS),
    "Logout": USERS,  # only the caller's own refresh token
    "ChangePassword": USERS,
    "LogoutEverywhere": USERS,
    "ListSecurityStampChanges": {"service"},
    "GetCurrentUser": USERS,
    "ListUsers": {"ADMIN"},
    "CreateUser": {"ADMIN"},
    "GetUser": {"ADMIN", "service"},  # on another user's id
    "UpdateUser": {"ADMIN"},  # on another user's id
    "DeleteUser": {"ADMIN"},
    "ProvisionSsoUser": {"ADMIN", "service"},
    "AssignRole": {"ADMIN"},
    "RevokeRole": {"ADMIN"},
    "ListRoles": {"ADMIN"},
    "ListUsersByRole": {"ADMIN"},
    "ListConfig": USERS | {"service"},
    "GetConfig": USERS | {"service"},
    "ResolveConfig": {"service"},
    "SetConfig": {"ADMIN"},
}


#: RPCs on another user that answer users who may not see them as if the user did not exist.
HIDING: dict[str, tuple[str, ...]] = {"GetUser": ("NOT_FOUND",), "UpdateUser": ("NOT_FOUND",)}


def requests(target: uuid.UUID) -> dict[str, object]:
    t = str(target)
    return {
        "Login": pb.LoginRequest(username="nobody", password="whatever-123"),
        "RefreshToken": pb.RefreshTokenRequest(refresh_token="unknown"),
        "Logout": pb.LogoutRequest(refresh_token="unknown"),
        "ChangePassword": pb.ChangePasswordRequest(
            current_password="not-the-password", new_password="a-long-new-passphrase"
        ),
        "LogoutEverywhere": pb.LogoutEverywhereRequest(),
        "ListSecurityStampChanges": pb.ListSecurityStampChangesRequest(),
        "GetCurrentUser": pb.GetCurrentUserRequest(),
        "ListUsers": pb.ListUsersRequest(),
        "CreateUser": pb.CreateUserRequest(
            username=f"u{uuid.uuid4().hex[:8]}",
            email=f"{uuid.uuid4().hex[:8]}@example.com",
            password="long-enough-1",
        ),
        "GetUser": pb.GetUserRequest(user_id=t),
        "UpdateUser": pb.UpdateUserRequest(user_id=t, full_name="Changed"),
        "DeleteUser": pb.DeleteUserRequest(user_id=str(uuid.uuid4())),
        "ProvisionSsoUser": pb.ProvisionSsoUserRequest(
            auth_provider="saml",
            external_id=uuid.uuid4().hex,
            username=f"s{uuid.uuid4().hex[:8]}",
            email=f"{uuid.uuid4().hex[:8]}@sso.example",
        ),
        "AssignRole": pb.AssignRoleRequest(user_id=t, role=pb.REQUESTOR),
        "RevokeRole": pb.RevokeRoleRequest(user_id=t, role=pb.KNOWLEDGE_MANAGER),
        "ListRoles": pb.ListRolesRequest(),
        "ListUsersByRole": pb.ListUsersByRoleRequest(role=pb.ADMIN),
        "ListConfig": pb.ListConfigRequest(),
        "GetConfig": pb.GetConfigRequest(key="SOME_KEY"),
        "ResolveConfig": pb.ResolveConfigRequest(),
        "SetConfig": pb.SetConfigRequest(key="SOME_KEY", value="v"),
    }


def test_every_rpc_has_exactly_one_access_rule() -> None:
    service = pb.DESCRIPTOR.services_by_name["IdentityService"]
    declared = {f"/{SERVICE_NAME}/{m.name}" for m in service.methods}
    assert declared == set(ACCESS)
    assert {m.name for m in service.methods} == set(EXPECTED)


async def test_permission_matrix(identity, people, tokens) -> None:
    target = await people.add("target", UserRoleEnum.KNOWLEDGE_MANAGER)
    metadata: dict[str, tuple[tuple[str, str], ...]] = {"none": ()}
    metadata["service"] = bearer(tokens.service("requests"))
    for role in UserRoleEnum:
        _, token = await people.token(f"caller_{role.lower()}", role)
        metadata[str(role)] = bearer(token)
    outcomes: dict[tuple[str, str], str] = {}
    for method, allowed in EXPECTED.items():
        for caller in CALLERS:
            try:
                await getattr(identity, method)(requests(target)[method], metadata=metadata[caller])
                outcome = "OK"
            except grpc.aio.AioRpcError as err:
                outcome = err.code().name
            refusals = ("PERMISSION_DENIED", "UNAUTHENTICATED", *HIDING.get(method, ()))
            denied = outcome in refusals and method not in ("Login", "RefreshToken")
            outcomes[(method, caller)] = outcome
            assert denied == (caller not in allowed), (method, caller, outcome)
            if caller not in allowed:
                expected_code = "UNAUTHENTICATED" if caller == "none" else "PERMISSION_DENIED"
                if caller in USERS and method in HIDING:
                    expected_code = HIDING[method][0]
                assert outcome == expected_code, (method, caller, outcome)
    # The public token endpoints refuse the bogus credentials for what they are.
    assert outcomes[("Login", "ADMIN")] == "UNAUTHENTICATED"
    assert outcomes[("ListRoles", "ADMIN")] == "OK"


@pytest.mark.parametrize("method", ["/tagen.identity.v1.IdentityService/NoSuchMethod"])
async def test_unknown_methods_are_unimplemented(identity_service, method) -> None:
    async with grpc.aio.insecure_channel(identity_service.address) as channel:
        call = channel.unary_unary(
            method, request_serializer=lambda m: b"", response_deserializer=lambda b: b
        )
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call(b"")
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
