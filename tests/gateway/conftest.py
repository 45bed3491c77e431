"""Gateway fixtures: the real identity service and the test-only GatewayTestService on
ephemeral ports, and the real gateway in front of them on an ephemeral HTTP port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from services.gateway.app import RunningGateway, start_gateway
from services.identity.repositories import RoleRepository
from services.identity.use_cases.deps import IdentityDeps
from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.server import GrpcService
from services.kernel.settings import Settings
from tests.conftest import TokenFactory, truncate_all
from tests.gateway.echo_backend import EchoBackend, compile_test_protos, forget_test_protos
from tests.identity.conftest import People

WEB_ORIGIN = "https://web.example"
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class GeneratedProtos:
    pb: ModuleType
    pb_grpc: ModuleType


@pytest.fixture(scope="session")
def test_protos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedProtos]:
    out: Path = tmp_path_factory.mktemp("gatewaytest_gen")
    pb, pb_grpc = compile_test_protos(out)
    yield GeneratedProtos(pb, pb_grpc)
    forget_test_protos(out)


def gateway_runtime(runtime: Runtime, **changes: Any) -> Runtime:
    """The test runtime with gateway settings changed."""
    settings: Settings = runtime.settings.model_copy(update=changes)
    return Runtime.from_keys(settings, runtime.keys)


async def serve_gateway(
    runtime: Runtime, addresses: dict[str, str], **changes: Any
) -> RunningGateway:
    """A gateway on a free port in front of exactly the contexts in `addresses` (other
    contexts' generated modules are discovered but not served)."""
    return await start_gateway(
        gateway_runtime(runtime, **changes), "127.0.0.1", 0, addresses=addresses, contexts=addresses
    )


#: Nothing listens here: services that relay their audit outbox keep the events in it, where
#: the header forwarding test reads them.
NO_AUDIT_SERVICE = "127.0.0.1:1"


@pytest.fixture(scope="session")
async def identity_backend(runtime: Runtime) -> AsyncIterator[GrpcService]:
    service = gateway_runtime(runtime, audit_address=NO_AUDIT_SERVICE).create_service(
        "identity", port=0
    )
    await service.start()
    yield service
    await service.stop(0)


@pytest.fixture(scope="session")
async def echo_backend(test_protos: GeneratedProtos) -> AsyncIterator[EchoBackend]:
    backend = EchoBackend(test_protos.pb, test_protos.pb_grpc)
    await backend.start()
    yield backend
    await backend.stop()


@pytest.fixture(scope="session")
async def gateway(
    runtime: Runtime, identity_backend: GrpcService, echo_backend: EchoBackend
) -> AsyncIterator[RunningGateway]:
    running = await serve_gateway(
        runtime,
        {"identity": identity_backend.address, "gatewaytest": echo_backend.address},
        gateway_trust_proxy=True,
        gateway_cors_origins=WEB_ORIGIN,
        gateway_backend_timeout_seconds=5.0,
        gateway_max_body_bytes=MAX_BODY,
    )
    yield running
    await running.stop()


@pytest.fixture
async def http(gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{gateway.port}", timeout=10.0
    ) as client:
        yield client


@pytest.fixture
async def fresh(database: Database) -> Database:
    """Empty identity tables with the default roles."""
    await truncate_all(database)
    async with database.unit_of_work() as session:
        await RoleRepository(session).ensure_default_roles()
    return database


@pytest.fixture
def people(fresh: Database, runtime: Runtime, tokens: TokenFactory) -> People:
    assert runtime.keys.private_pem is not None
    deps = IdentityDeps.build(fresh, runtime.settings, runtime.keys.private_pem)
    return People(deps, tokens)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
