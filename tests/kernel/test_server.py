"""The shared bootstrap: health, reflection, database outage, graceful stop."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from tagen.identity.v1 import identity_pb2 as pb
from tagen.identity.v1 import identity_pb2_grpc as pb_grpc

from services.identity.app import SERVICE_NAME
from services.kernel.enums import UserRoleEnum
from tests.conftest import bearer


async def test_health_and_reflection(identity_service) -> None:
    async with grpc.aio.insecure_channel(identity_service.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        reply = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        )
        names = set()
        async for response in responses:
            names = {s.name for s in response.list_services_response.service}
        assert SERVICE_NAME in names and "grpc.health.v1.Health" in names


async def test_database_down_is_unavailable(runtime, tokens) -> None:
    service = runtime.create_service(
        "identity", port=0, database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none"
    )
    service.definition.on_start = []  # nothing to bootstrap without a database
    await service.start()
    try:
        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = pb_grpc.IdentityServiceStub(channel)
            token = tokens.user(__import__("uuid").uuid4(), UserRoleEnum.ADMIN)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.ListRoles(pb.ListRolesRequest(), metadata=bearer(token), timeout=10)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.Login(pb.LoginRequest(username="a", password="b"), timeout=10)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await service.stop(0)


async def test_graceful_stop_reports_not_serving(runtime) -> None:
    service = runtime.create_service("identity", port=0)
    await service.start()
    async with grpc.aio.insecure_channel(service.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        assert (await health.Check(health_pb2.HealthCheckRequest())).status == (
            health_pb2.HealthCheckResponse.SERVING
        )
        await service.health.enter_graceful_shutdown()
        assert (await health.Check(health_pb2.HealthCheckRequest())).status == (
            health_pb2.HealthCheckResponse.NOT_SERVING
        )
    await service.stop(0)
