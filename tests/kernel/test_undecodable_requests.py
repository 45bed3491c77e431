"""A request message that does not decode (truncated bytes, invalid UTF-8 in a string) is
INVALID_ARGUMENT once the caller is authenticated -- not the UNKNOWN status grpc gives a
deserializer error. (A Struct nested past the parser's limit: tests/requests.)"""

from __future__ import annotations

import grpc
import pytest

from services.kernel.server import GrpcService
from tests.conftest import bearer

LOGIN = "/tagen.identity.v1.IdentityService/Login"


async def call_raw(address: str, method: str, payload: bytes, metadata=()) -> grpc.StatusCode:
    async with grpc.aio.insecure_channel(address) as channel:
        call = channel.unary_unary(
            method, request_serializer=lambda b: b, response_deserializer=lambda b: b
        )
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call(payload, metadata=metadata)
    return err.value.code()


@pytest.mark.parametrize("payload", [b"\x0a\xff\xff", b"\x0a\x02\xff\xfe"])
async def test_undecodable_requests_are_invalid_argument(
    identity_service: GrpcService, tokens, payload: bytes
) -> None:
    md = bearer(tokens.service())
    assert await call_raw(identity_service.address, LOGIN, payload, md) == (
        grpc.StatusCode.INVALID_ARGUMENT
    )


async def test_authentication_comes_first(identity_service: GrpcService) -> None:
    method = "/tagen.identity.v1.IdentityService/ListRoles"
    assert await call_raw(identity_service.address, method, b"\x0a\xff\xff") == (
        grpc.StatusCode.UNAUTHENTICATED
    )
