from tagen.identity.v1 import identity_pb2 as pb

from services.kernel.enums import UserRoleEnum
from tests.conftest import bearer


async def test_login_and_me(identity, people):
    await people.add("alice", UserRoleEnum.REQUESTOR)
    reply = await identity.Login(pb.LoginRequest(username="alice", password="correct-horse-1"))
    assert reply.access_token and reply.refresh_token
    me = await identity.GetCurrentUser(
        pb.GetCurrentUserRequest(), metadata=bearer(reply.access_token)
    )
    assert me.user.username == "alice"
    assert list(me.user.roles) == [pb.REQUESTOR]
