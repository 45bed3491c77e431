"""User administration, roles and configuration over gRPC, including bad input."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from sqlalchemy import select
from tagen.identity.v1 import identity_pb2 as pb

from services.identity.models import AuditOutbox, User
from services.kernel.enums import UserRoleEnum
from tests.conftest import bearer


def field_violation(err: grpc.aio.AioRpcError) -> str:
    """The field named by the rich BadRequest detail."""
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            bad = error_details_pb2.BadRequest()
            status.details[0].Unpack(bad)
            return bad.field_violations[0].field
    raise AssertionError("no rich status details")


async def expect(code: grpc.StatusCode, call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    assert err.value.code() == code, err.value.details()
    return err.value


@pytest.fixture
async def admin(people):
    return bearer((await people.token("root", UserRoleEnum.ADMIN))[1])


async def test_create_get_search_update_delete(identity, admin, database) -> None:
    created = await identity.CreateUser(
        pb.CreateUserRequest(
            username="frank",
            email="Frank@Example.com",
            password="long-enough-1",
            full_name="Frank Ocean",
            roles=[pb.APPROVER, pb.REQUESTOR],
        ),
        metadata=admin,
    )
    user = created.user
    assert user.email == "frank@example.com" and user.auth_provider == "local"
    assert list(user.roles) == [pb.APPROVER, pb.REQUESTOR]  # by name
    got = await identity.GetUser(pb.GetUserRequest(user_id=user.id), metadata=admin)
    assert got.user == user
    found = await identity.ListUsers(pb.ListUsersRequest(query="ocean"), metadata=admin)
    assert [u.username for u in found.users] == ["frank"]
    updated = await identity.UpdateUser(
        pb.UpdateUserRequest(user_id=user.id, full_name="Frank O."), metadata=admin
    )
    assert updated.user.full_name == "Frank O." and updated.user.email == user.email
    await identity.DeleteUser(pb.DeleteUserRequest(user_id=user.id), metadata=admin)
    gone = await identity.GetUser(pb.GetUserRequest(user_id=user.id), metadata=admin)
    assert gone.user.is_active is False
    async with database.read_only() as s:
        events = (await s.scalars(select(AuditOutbox).order_by(AuditOutbox.seq))).all()
    assert [(e.action, e.entity_id) for e in events] == [
        ("CREATE", uuid.UUID(user.id)),
        ("UPDATE", uuid.UUID(user.id)),
        ("DELETE", uuid.UUID(user.id)),
    ]
    assert events[1].details == {"changed": ["full_name"]}


async def test_pagination(identity, admin, people) -> None:
    for i in range(5):
        await people.add(f"page{i}")
    first = await identity.ListUsers(pb.ListUsersRequest(query="page", page_size=2), metadata=admin)
    second = await identity.ListUsers(
        pb.ListUsersRequest(query="page", page_size=2, page_token=first.next_page_token),
        metadata=admin,
    )
    third = await identity.ListUsers(
        pb.ListUsersRequest(query="page", page_size=2, page_token=second.next_page_token),
        metadata=admin,
    )
    names = [u.username for r in (first, second, third) for u in r.users]
    assert names == [f"page{i}" for i in range(5)]
    assert third.next_page_token == ""


async def test_duplicates_are_already_exists(identity, admin, people) -> None:
    await people.add("gina")
    request = pb.CreateUserRequest(
        username="gina", email="g2@example.com", password="long-enough-1"
    )
    await expect(grpc.StatusCode.ALREADY_EXISTS, identity.CreateUser(request, metadata=admin))
    request = pb.CreateUserRequest(
        username="gina2", email="gina@example.com", password="long-enough-1"
    )
    await expect(grpc.StatusCode.ALREADY_EXISTS, identity.CreateUser(request, metadata=admin))


async def test_roles_assign_revoke_list_and_last_admin(identity, people, admin, database) -> None:
    user_id = await people.add("hank")
    assigned = await identity.AssignRole(
        pb.AssignRoleRequest(user_id=str(user_id), role=pb.KNOWLEDGE_MANAGER), metadata=admin
    )
    assert list(assigned.user.roles) == [pb.KNOWLEDGE_MANAGER]
    by_role = await identity.ListUsersByRole(
        pb.ListUsersByRoleRequest(role=pb.KNOWLEDGE_MANAGER), metadata=admin
    )
    assert [u.username for u in by_role.users] == ["hank"]
    revoked = await identity.RevokeRole(
        pb.RevokeRoleRequest(user_id=str(user_id), role=pb.KNOWLEDGE_MANAGER), metadata=admin
    )
    assert list(revoked.user.roles) == []
    roles = await identity.ListRoles(pb.ListRolesRequest(), metadata=admin)
    assert {r.name for r in roles.roles} == {
        pb.REQUESTOR,
        pb.APPROVER,
        pb.ADMIN,
        pb.KNOWLEDGE_MANAGER,
    }
    assert all(r.permissions.fields for r in roles.roles)
    async with database.read_only() as s:
        root = await s.scalar(select(User).where(User.username == "root"))
    assert root is not None
    err = await expect(
        grpc.StatusCode.FAILED_PRECONDITION,
        identity.RevokeRole(
            pb.RevokeRoleRequest(user_id=str(root.id), role=pb.ADMIN), metadata=admin
        ),
    )
    assert "last active ADMIN" in err.details()
    await expect(
        grpc.StatusCode.FAILED_PRECONDITION,
        identity.DeleteUser(pb.DeleteUserRequest(user_id=str(root.id)), metadata=admin),
    )


async def test_users_see_and_edit_only_themselves(identity, people) -> None:
    me_id, me = await people.token("ivy", UserRoleEnum.REQUESTOR)
    other_id = await people.add("jack")
    own = await identity.GetUser(pb.GetUserRequest(user_id=str(me_id)), metadata=bearer(me))
    assert own.user.username == "ivy"
    changed = await identity.UpdateUser(
        pb.UpdateUserRequest(
            user_id=str(me_id),
            full_name="Ivy",
            password="new-password-1",
            current_password="correct-horse-1",
        ),
        metadata=bearer(me),
    )
    assert changed.user.full_name == "Ivy"
    await identity.Login(pb.LoginRequest(username="ivy", password="new-password-1"))
    await expect(  # another user is not revealed to exist
        grpc.StatusCode.NOT_FOUND,
        identity.GetUser(pb.GetUserRequest(user_id=str(other_id)), metadata=bearer(me)),
    )
    await expect(
        grpc.StatusCode.NOT_FOUND,
        identity.UpdateUser(
            pb.UpdateUserRequest(user_id=str(other_id), full_name="x"), metadata=bearer(me)
        ),
    )
    await expect(
        grpc.StatusCode.PERMISSION_DENIED,
        identity.UpdateUser(
            pb.UpdateUserRequest(user_id=str(me_id), is_active=False), metadata=bearer(me)
        ),
    )


async def test_unknown_user_is_not_found(identity, admin) -> None:
    missing = str(uuid.uuid4())
    await expect(
        grpc.StatusCode.NOT_FOUND,
        identity.GetUser(pb.GetUserRequest(user_id=missing), metadata=admin),
    )
    await expect(
        grpc.StatusCode.NOT_FOUND,
        identity.AssignRole(pb.AssignRoleRequest(user_id=missing, role=pb.ADMIN), metadata=admin),
    )


BAD_INPUTS = [
    ("GetUser", pb.GetUserRequest(user_id="not-a-uuid"), "user_id"),
    ("GetUser", pb.GetUserRequest(user_id=""), "user_id"),
    ("DeleteUser", pb.DeleteUserRequest(user_id="123"), "user_id"),
    (
        "CreateUser",
        pb.CreateUserRequest(username="", email="a@b.co", password="long-enough-1"),
        "username",
    ),
    (
        "CreateUser",
        pb.CreateUserRequest(username="x" * 65, email="a@b.co", password="long-enough-1"),
        "username",
    ),
    (
        "CreateUser",
        pb.CreateUserRequest(username="bad name!", email="a@b.co", password="long-enough-1"),
        "username",
    ),
    (
        "CreateUser",
        pb.CreateUserRequest(username="kate", email="not-an-email", password="long-enough-1"),
        "email",
    ),
    (
        "CreateUser",
        pb.CreateUserRequest(username="kate", email="k@example.com", password="short"),
        "password",
    ),
    (
        "CreateUser",
        pb.CreateUserRequest(
            username="kate", email="k@example.com", password="long-enough-1", roles=[99]
        ),
        "roles",
    ),
    ("AssignRole", pb.AssignRoleRequest(user_id=str(uuid.uuid4())), "role"),
    ("ListUsers", pb.ListUsersRequest(page_size=-1), "page_size"),
    ("ListUsers", pb.ListUsersRequest(page_size=100000), "page_size"),
    ("ListUsers", pb.ListUsersRequest(page_token="%%%"), "page_token"),
    ("ListUsers", pb.ListUsersRequest(query="q" * 300), "query"),
    ("ListUsersByRole", pb.ListUsersByRoleRequest(role=0), "role"),
    ("SetConfig", pb.SetConfigRequest(key="lower-case", value="1"), "key"),
    ("SetConfig", pb.SetConfigRequest(key="MAX_X", value="1", value_type="float"), "value_type"),
    ("SetConfig", pb.SetConfigRequest(key="MAX_X", value="ten", value_type="integer"), "value"),
    ("SetConfig", pb.SetConfigRequest(key="FLAG", value="perhaps", value_type="boolean"), "value"),
    ("SetConfig", pb.SetConfigRequest(key="LISTY", value='{"a": 1}', value_type="list"), "value"),
    ("GetConfig", pb.GetConfigRequest(key="no spaces"), "key"),
]


@pytest.mark.parametrize(("method", "request_message", "field"), BAD_INPUTS)
async def test_bad_input_is_invalid_argument_naming_the_field(
    identity, admin, database, method, request_message, field
) -> None:
    err = await expect(
        grpc.StatusCode.INVALID_ARGUMENT, getattr(identity, method)(request_message, metadata=admin)
    )
    assert field_violation(err) == field
    assert field in err.details()
    async with database.read_only() as s:
        assert (await s.scalars(select(AuditOutbox))).all() == []  # nothing written


async def test_config_set_get_list_mask_and_resolve(identity, admin, people, tokens) -> None:
    set_reply = await identity.SetConfig(
        pb.SetConfigRequest(
            key="MAX_PARALLEL_VALIDATIONS", value="7", value_type="integer", description="limit"
        ),
        metadata=admin,
    )
    assert set_reply.entry.value == "7" and set_reply.entry.updated_by
    await identity.SetConfig(
        pb.SetConfigRequest(key="S3_SECRET", value="hunter2", is_secret=True), metadata=admin
    )
    _, reader = await people.token("reader", UserRoleEnum.REQUESTOR)
    listed = await identity.ListConfig(pb.ListConfigRequest(), metadata=bearer(reader))
    values = {e.key: e.value for e in listed.entries}
    assert values == {"MAX_PARALLEL_VALIDATIONS": "7", "S3_SECRET": "********"}
    got = await identity.GetConfig(pb.GetConfigRequest(key="S3_SECRET"), metadata=bearer(reader))
    assert got.entry.value == "********" and got.entry.is_secret
    await expect(
        grpc.StatusCode.NOT_FOUND,
        identity.GetConfig(pb.GetConfigRequest(key="NOPE"), metadata=bearer(reader)),
    )
    resolved = await identity.ResolveConfig(
        pb.ResolveConfigRequest(keys=["S3_SECRET"]), metadata=bearer(tokens.service("requests"))
    )
    assert [(e.key, e.value) for e in resolved.entries] == [("S3_SECRET", "hunter2")]
    await expect(
        grpc.StatusCode.PERMISSION_DENIED,
        identity.ResolveConfig(pb.ResolveConfigRequest(), metadata=bearer(reader)),
    )
