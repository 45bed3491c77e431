"""Login, refresh, logout, disabled users, tokens, SSO provisioning and the first admin."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import grpc
import jwt
import pytest
from sqlalchemy import select
from tagen.identity.v1 import identity_pb2 as pb

from services.identity.models import AuditOutbox
from services.identity.use_cases.auth import AuthUseCases
from services.kernel.db import Database
from services.kernel.enums import UserRoleEnum
from services.kernel.settings import Settings
from services.kernel.tokens import AccessTokenSigner, generate_key_material
from tests.conftest import bearer

PASSWORD = "correct-horse-1"


async def outbox(database: Database) -> list[AuditOutbox]:
    async with database.read_only() as s:
        return list((await s.scalars(select(AuditOutbox).order_by(AuditOutbox.seq))).all())


async def login(identity, username: str, password: str = PASSWORD, **kw) -> pb.LoginResponse:
    return await identity.Login(pb.LoginRequest(username=username, password=password), **kw)


async def test_login_issues_tokens_and_records_the_event(identity, people, database) -> None:
    user_id = await people.add("alice", UserRoleEnum.REQUESTOR)
    correlation = str(uuid.uuid4())
    reply = await login(
        identity,
        "alice",
        metadata=(
            ("x-request-id", correlation),
            ("x-client-ip", "10.1.2.3"),
            ("x-client-user-agent", "pytest-agent/1.0"),
        ),
    )
    assert reply.token_type == "Bearer" and reply.expires_in > 0
    assert reply.user.id == str(user_id) and reply.user.last_login.seconds > 0
    me = await identity.GetCurrentUser(
        pb.GetCurrentUserRequest(), metadata=bearer(reply.access_token)
    )
    assert me.user.username == "alice" and list(me.user.roles) == [pb.REQUESTOR]
    events = await outbox(database)
    assert [(e.action, e.user_id, e.details) for e in events] == [
        ("LOGIN", user_id, {"success": True})
    ]
    assert str(events[0].correlation_id) == correlation
    assert events[0].ip_address == "10.1.2.3" and events[0].user_agent == "pytest-agent/1.0"


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong-password"), ("ghost", PASSWORD)]
)
async def test_bad_credentials_are_unauthenticated(identity, people, database, username, password):
    await people.add("alice")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await login(identity, username, password)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert err.value.details() == "invalid username or password"
    [event] = await outbox(database)
    assert event.action == "LOGIN" and event.details["success"] is False


async def test_disabled_user_cannot_log_in_and_loses_refresh(identity, people, tokens) -> None:
    user_id = await people.add("bob")
    _admin_id, admin = await people.token("root", UserRoleEnum.ADMIN)
    first = await login(identity, "bob")
    await identity.UpdateUser(
        pb.UpdateUserRequest(user_id=str(user_id), is_active=False), metadata=bearer(admin)
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await login(identity, "bob")
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "disabled" in err.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await identity.RefreshToken(pb.RefreshTokenRequest(refresh_token=first.refresh_token))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_refresh_rotates_and_logout_revokes(identity, people, database) -> None:
    await people.add("carol", UserRoleEnum.APPROVER)
    first = await login(identity, "carol")
    second = await identity.RefreshToken(pb.RefreshTokenRequest(refresh_token=first.refresh_token))
    assert second.access_token and second.refresh_token != first.refresh_token
    assert list(second.user.roles) == [pb.APPROVER]
    await identity.Logout(
        pb.LogoutRequest(refresh_token=second.refresh_token),
        metadata=bearer(second.access_token),
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await identity.RefreshToken(pb.RefreshTokenRequest(refresh_token=second.refresh_token))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "revoked" in err.value.details()
    actions = [e.action for e in await outbox(database)]
    assert actions == ["LOGIN", "LOGOUT"]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await identity.Logout(
            pb.LogoutRequest(refresh_token="not-a-token"), metadata=bearer(second.access_token)
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def _hs256_signed_with(secret: bytes, claims: dict) -> str:
    """An algorithm-confusion token: HS256 keyed with the public key (must be refused)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    signing_input = b64(json.dumps({"alg": "HS256", "kid": "user", "typ": "JWT"}).encode())
    signing_input += "." + b64(json.dumps(claims).encode())
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


async def test_expired_tampered_and_foreign_tokens_are_refused(identity, people, keys, settings):
    user_id = await people.add("dave", UserRoleEnum.ADMIN)
    assert keys.private_pem is not None
    expired = AccessTokenSigner(keys.private_pem, settings.jwt_issuer, -60).issue(
        user_id, "dave", [UserRoleEnum.ADMIN]
    )
    good = AccessTokenSigner(keys.private_pem, settings.jwt_issuer, 60).issue(
        user_id, "dave", [UserRoleEnum.REQUESTOR]
    )
    header, _payload, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    claims["roles"] = ["ADMIN"]
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    tampered = f"{header}.{forged_payload}.{signature}"
    other = generate_key_material()
    assert other.private_pem is not None
    foreign = AccessTokenSigner(other.private_pem, settings.jwt_issuer, 60).issue(
        user_id, "dave", [UserRoleEnum.ADMIN]
    )
    hs256_confusion = _hs256_signed_with(
        keys.public_pem,
        {
            "sub": str(user_id),
            "iss": settings.jwt_issuer,
            "typ": "access",
            "roles": ["ADMIN"],
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
    )
    for token, why in (
        (expired, "expired"),
        (tampered, "invalid"),
        (foreign, "invalid"),
        (hs256_confusion, "invalid"),
        ("garbage", "malformed"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await identity.ListRoles(pb.ListRolesRequest(), metadata=bearer(token))
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED, why
        assert why in err.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await identity.ListRoles(pb.ListRolesRequest(), metadata=(("authorization", "Basic x"),))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_sso_users_are_provisioned_once_by_provider_and_external_id(identity, tokens):
    service = bearer(tokens.service("gateway"))
    request = pb.ProvisionSsoUserRequest(
        auth_provider="oidc", external_id="abc-1", username="erin", email="erin@corp.example"
    )
    first = await identity.ProvisionSsoUser(request, metadata=service)
    assert first.created and first.user.auth_provider == "oidc"
    assert list(first.user.roles) == [pb.REQUESTOR]
    request.email = "erin@new.example"
    again = await identity.ProvisionSsoUser(request, metadata=service)
    assert not again.created and again.user.id == first.user.id
    assert again.user.email == "erin@new.example"
    with pytest.raises(grpc.aio.AioRpcError) as err:  # no password: cannot log in locally
        await login(identity, "erin", "anything-at-all")
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    request.auth_provider = "kerberos"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await identity.ProvisionSsoUser(request, metadata=service)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "auth_provider" in err.value.details()


async def test_bootstrap_admin_only_when_no_admin_exists(clean_database, deps, settings) -> None:
    configured = Settings(
        **{
            **settings.model_dump(),
            "bootstrap_admin_username": "first",
            "bootstrap_admin_password": "first-admin-pw",
        }
    )
    auth = AuthUseCases(type(deps)(**{**deps.__dict__, "settings": configured}))
    created = await auth.ensure_roles_and_bootstrap_admin()
    assert created is not None and created.role_names == [UserRoleEnum.ADMIN]
    assert await auth.ensure_roles_and_bootstrap_admin() is None
    issued = await auth.login("first", "first-admin-pw")
    assert UserRoleEnum.ADMIN in issued.user.role_names
