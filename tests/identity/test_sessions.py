"""Sessions and passwords: own-password changes need the current password, password changes
end every session, refresh token families detect reuse, logout touches only the caller's own
tokens, "log out everywhere", the password policy, case-insensitive names, login throttling
(shared by identity replicas through the database) and the security stamp feed."""

from __future__ import annotations

import asyncio
import time

import grpc
import jwt
import pytest
from google.rpc import error_details_pb2, status_pb2
from sqlalchemy import select
from tagen.identity.v1 import identity_pb2 as pb
from tagen.identity.v1 import identity_pb2_grpc as pb_grpc

from services.identity.models import AuditOutbox
from services.kernel.enums import UserRoleEnum
from services.kernel.runtime import Runtime
from tests.conftest import bearer
from tests.identity.test_users_rpc import expect, field_violation

PASSWORD = "correct-horse-1"


async def login(
    identity, username: str, password: str = PASSWORD, ip: str = ""
) -> pb.LoginResponse:
    metadata = (("x-client-ip", ip),) if ip else ()
    return await identity.Login(
        pb.LoginRequest(username=username, password=password), metadata=metadata
    )


async def refresh(identity, token: str) -> pb.RefreshTokenResponse:
    return await identity.RefreshToken(pb.RefreshTokenRequest(refresh_token=token))


async def stamp_changes(identity, tokens, after: int = 0) -> list[pb.SecurityStampChange]:
    reply = await identity.ListSecurityStampChanges(
        pb.ListSecurityStampChangesRequest(after_sequence=after),
        metadata=bearer(tokens.service("requests")),
    )
    return list(reply.changes)


def retry_delay(err: grpc.aio.AioRpcError) -> int:
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            info = error_details_pb2.RetryInfo()
            status_pb2.Status.FromString(value).details[0].Unpack(info)
            return info.retry_delay.seconds
    raise AssertionError("no RetryInfo")


async def test_own_password_change_needs_the_current_one_and_ends_sessions(
    identity, people, tokens
) -> None:
    user_id = await people.add("ada")
    session = await login(identity, "ada")
    other_device = await login(identity, "ada")
    me = bearer(session.access_token)
    for current, field in (("", "current_password"), ("wrong-password-9", "current_password")):
        err = await expect(
            grpc.StatusCode.INVALID_ARGUMENT,
            identity.ChangePassword(
                pb.ChangePasswordRequest(current_password=current, new_password="another-pass-77"),
                metadata=me,
            ),
        )
        assert field_violation(err) == field
    err = await expect(  # the same rule through UpdateUser
        grpc.StatusCode.INVALID_ARGUMENT,
        identity.UpdateUser(
            pb.UpdateUserRequest(user_id=str(user_id), password="another-pass-77"), metadata=me
        ),
    )
    assert field_violation(err) == "current_password"
    await identity.ChangePassword(
        pb.ChangePasswordRequest(current_password=PASSWORD, new_password="another-pass-77"),
        metadata=me,
    )
    for old in (session.refresh_token, other_device.refresh_token):
        await expect(grpc.StatusCode.UNAUTHENTICATED, refresh(identity, old))
    assert [(c.user_id, c.stamp) for c in await stamp_changes(identity, tokens)] == [
        (str(user_id), 1)
    ]
    fresh = await login(identity, "ada", "another-pass-77")
    assert fresh.access_token
    await expect(grpc.StatusCode.UNAUTHENTICATED, login(identity, "ada"))


async def test_an_admin_reset_revokes_every_refresh_token(identity, people) -> None:
    user_id = await people.add("bea")
    _, admin = await people.token("root", UserRoleEnum.ADMIN)
    session = await login(identity, "bea")
    await identity.UpdateUser(
        pb.UpdateUserRequest(user_id=str(user_id), password="reset-by-admin-1"),
        metadata=bearer(admin),
    )
    await expect(grpc.StatusCode.UNAUTHENTICATED, refresh(identity, session.refresh_token))
    await login(identity, "bea", "reset-by-admin-1")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("12345678", "at least 12"),
        ("cleo-the-user", "username"),
        ("CLEO-THE-USER", "username"),
        ("qwerty123456", "commonly used"),
    ],
)
async def test_password_policy(identity, people, password: str, why: str) -> None:
    _, admin = await people.token("root", UserRoleEnum.ADMIN)
    err = await expect(
        grpc.StatusCode.INVALID_ARGUMENT,
        identity.CreateUser(
            pb.CreateUserRequest(
                username="cleo-the-user", email="cleo@example.com", password=password
            ),
            metadata=bearer(admin),
        ),
    )
    assert field_violation(err) == "password" and why in err.details()


async def test_usernames_and_emails_are_unique_in_any_case(identity, people) -> None:
    await people.add("alice")
    _, admin = await people.token("root", UserRoleEnum.ADMIN)
    for username, email in (("ALICE", "other@example.com"), ("alice2", "ALICE@EXAMPLE.COM")):
        await expect(
            grpc.StatusCode.ALREADY_EXISTS,
            identity.CreateUser(
                pb.CreateUserRequest(username=username, email=email, password="long-enough-1"),
                metadata=bearer(admin),
            ),
        )
    assert (await login(identity, "Alice")).user.username == "alice"


async def test_reusing_a_rotated_refresh_token_revokes_its_family(identity, people, database):
    user_id = await people.add("dora")
    first = await login(identity, "dora")
    elsewhere = await login(identity, "dora")  # another family, not affected
    second = await refresh(identity, first.refresh_token)
    await expect(grpc.StatusCode.UNAUTHENTICATED, refresh(identity, first.refresh_token))
    await expect(grpc.StatusCode.UNAUTHENTICATED, refresh(identity, second.refresh_token))
    assert (await refresh(identity, elsewhere.refresh_token)).access_token
    async with database.read_only() as s:
        events = (await s.scalars(select(AuditOutbox).where(AuditOutbox.action == "LOGOUT"))).all()
    assert [(e.user_id, e.details["reason"]) for e in events] == [(user_id, "refresh_token_reuse")]


async def test_logout_revokes_only_the_callers_own_tokens(identity, people, database) -> None:
    victim_id = await people.add("eve")
    attacker_id = await people.add("mallory")
    victim = await login(identity, "eve")
    attacker = await login(identity, "mallory")
    await expect(
        grpc.StatusCode.NOT_FOUND,
        identity.Logout(
            pb.LogoutRequest(refresh_token=victim.refresh_token),
            metadata=bearer(attacker.access_token),
        ),
    )
    assert (await refresh(identity, victim.refresh_token)).access_token
    await identity.Logout(
        pb.LogoutRequest(refresh_token=attacker.refresh_token),
        metadata=bearer(attacker.access_token),
    )
    async with database.read_only() as s:
        [event] = (await s.scalars(select(AuditOutbox).where(AuditOutbox.action == "LOGOUT"))).all()
    assert event.user_id == attacker_id and event.entity_id == attacker_id != victim_id


async def test_logout_everywhere(identity, people, tokens) -> None:
    user_id = await people.add("fay")
    sessions = [await login(identity, "fay") for _ in range(3)]
    await identity.LogoutEverywhere(
        pb.LogoutEverywhereRequest(), metadata=bearer(sessions[0].access_token)
    )
    for session in sessions:
        await expect(grpc.StatusCode.UNAUTHENTICATED, refresh(identity, session.refresh_token))
    assert [c.user_id for c in await stamp_changes(identity, tokens)] == [str(user_id)]


async def test_every_removal_of_access_raises_the_stamp_in_feed_order(
    identity, people, tokens
) -> None:
    _, admin = await people.token("root", UserRoleEnum.ADMIN)
    md = bearer(admin)
    ids = [await people.add(f"user{i}", UserRoleEnum.APPROVER) for i in range(4)]
    await identity.UpdateUser(
        pb.UpdateUserRequest(user_id=str(ids[0]), is_active=False), metadata=md
    )
    await identity.DeleteUser(pb.DeleteUserRequest(user_id=str(ids[1])), metadata=md)
    await identity.RevokeRole(
        pb.RevokeRoleRequest(user_id=str(ids[2]), role=pb.APPROVER), metadata=md
    )
    await identity.AssignRole(pb.AssignRoleRequest(user_id=str(ids[3]), role=pb.ADMIN), metadata=md)
    await identity.RevokeRole(pb.RevokeRoleRequest(user_id=str(ids[3]), role=pb.ADMIN), metadata=md)
    changes = await stamp_changes(identity, tokens)
    assert [(c.user_id, c.stamp) for c in changes] == [
        (str(ids[0]), 1),
        (str(ids[1]), 1),
        (str(ids[2]), 1),
        (str(ids[3]), 2),
    ]
    assert [c.sequence for c in changes] == sorted(c.sequence for c in changes)
    assert await stamp_changes(identity, tokens, after=changes[1].sequence) == changes[2:]
    # A token issued now carries the current stamp.
    reply = await login(identity, "user3")
    assert jwt.decode(reply.access_token, options={"verify_signature": False})["stv"] == 2


async def test_failed_logins_are_throttled_per_username_with_retry_after(
    identity, people, database
) -> None:
    await people.add("gus")
    for _ in range(5):
        await expect(grpc.StatusCode.UNAUTHENTICATED, login(identity, "gus", "wrong-password-0"))
    err = await expect(grpc.StatusCode.RESOURCE_EXHAUSTED, login(identity, "gus"))
    assert retry_delay(err) >= 1
    await expect(grpc.StatusCode.RESOURCE_EXHAUSTED, login(identity, "GUS"))  # any case
    async with database.read_only() as s:
        reasons = [
            e.details.get("reason")
            for e in (await s.scalars(select(AuditOutbox).order_by(AuditOutbox.seq))).all()
        ]
    assert reasons.count("bad_credentials") == 5 and reasons.count("throttled") == 2
    deadline = time.monotonic() + 5
    while True:  # the block is one second at the threshold
        try:
            await login(identity, "gus")
            break
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)


async def test_failed_logins_are_throttled_per_client_ip_on_every_replica(
    identity, people, runtime: Runtime
) -> None:
    await people.add("hal")
    for i in range(20):  # many usernames, one address
        await expect(
            grpc.StatusCode.UNAUTHENTICATED, login(identity, f"nobody{i}", PASSWORD, "10.9.9.9")
        )
    replica = runtime.create_service("identity", port=0)
    await replica.start()
    try:
        async with grpc.aio.insecure_channel(replica.address) as channel:
            other = pb_grpc.IdentityServiceStub(channel)
            await expect(
                grpc.StatusCode.RESOURCE_EXHAUSTED, login(other, "hal", PASSWORD, "10.9.9.9")
            )
            assert (await login(other, "hal", PASSWORD, "10.1.1.1")).access_token
    finally:
        await replica.stop(0)


async def test_the_stamp_feed_is_for_services_only(identity, people) -> None:
    _, admin = await people.token("root", UserRoleEnum.ADMIN)
    await expect(
        grpc.StatusCode.PERMISSION_DENIED,
        identity.ListSecurityStampChanges(
            pb.ListSecurityStampChangesRequest(), metadata=bearer(admin)
        ),
    )
