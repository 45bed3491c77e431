"""Request metadata nested past the protobuf parser's limit, sent straight over gRPC (the
gateway already stops JSON at 20 levels): INVALID_ARGUMENT, not UNKNOWN."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.message import DecodeError
from tagen.requests.v1 import requests_pb2 as pb

from services.kernel.server import GrpcService
from tests.kernel.test_undecodable_requests import call_raw


def nested_metadata(depth: int) -> bytes:
    """The wire bytes of a CreateRequestRequest whose metadata nests `depth` Structs."""
    struct = b""
    for _ in range(depth):
        value = _field(5, struct)  # Value.struct_value
        struct = _field(1, _field(1, b"a") + _field(2, value))  # Struct.fields entry "a"
    return _field(1, b"x") + _field(4, _field(5, struct))  # source_system, metadata


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


async def test_metadata_nested_past_the_parser_limit(requests_service: GrpcService, cast) -> None:
    payload = nested_metadata(60)
    with pytest.raises(DecodeError):
        pb.CreateRequestRequest.FromString(payload)
    code = await call_raw(
        requests_service.address,
        "/tagen.requests.v1.RequestService/CreateRequest",
        payload,
        cast.owner.md,
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT


async def test_metadata_nested_deeper_than_20_levels(rpc, cast) -> None:
    request = pb.CreateRequestRequest.FromString(nested_metadata(25))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.CreateRequest(request, metadata=cast.owner.md)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "metadata.a.a" in err.value.details()
