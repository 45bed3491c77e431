"""The test-only GatewayTestService: compiles tests/gateway/protos at test time into a
temporary directory (never into gen/) and serves it on an ephemeral port."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
from google.api import annotations_pb2
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer

REPO = Path(__file__).resolve().parents[2]
TEST_PROTOS = Path(__file__).resolve().parent / "protos"
PROTO = "tagen/gatewaytest/v1/gatewaytest.proto"
MODULE = "tagen.gatewaytest.v1.gatewaytest_pb2"


def compile_test_protos(out: Path) -> tuple[ModuleType, ModuleType]:
    """Generate the test service into `out`, put it on sys.path, import it."""
    from grpc_tools import protoc

    include = str(resources.files("grpc_tools").joinpath("_proto"))
    # google/api/*.proto: copied into protos/ by `make proto`, shipped by googleapis-common-protos.
    googleapis = str(Path(annotations_pb2.__file__).resolve().parents[2])
    status = protoc.main(
        [
            "protoc",
            f"-I{TEST_PROTOS}",
            f"-I{REPO / 'protos'}",
            f"-I{include}",
            f"-I{googleapis}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            PROTO,
        ]
    )
    if status != 0:
        raise RuntimeError(f"protoc failed on {PROTO}")
    sys.path.append(str(out))
    importlib.invalidate_caches()
    return importlib.import_module(MODULE), importlib.import_module(MODULE + "_grpc")


def forget_test_protos(out: Path) -> None:
    if str(out) in sys.path:
        sys.path.remove(str(out))
    for name in [m for m in sys.modules if m.startswith("tagen.gatewaytest")]:
        del sys.modules[name]


@dataclass
class Box:
    """Files the fake backend stores: (box_id, filename) -> (metadata, bytes)."""

    files: dict[tuple[str, str], tuple[Any, bytes]] = field(default_factory=dict)
    chunks_seen: list[int] = field(default_factory=list)


def make_servicer(pb: ModuleType, pb_grpc: ModuleType, box: Box) -> Any:
    class Servicer(pb_grpc.GatewayTestServiceServicer):  # type: ignore[misc,name-defined]
        async def Echo(self, request: Any, context: Any) -> Any:
            return pb.EchoResponse(request=request)

        async def EchoNote(self, request: Any, context: Any) -> Any:
            return pb.EchoNoteResponse(note=request.note, length=len(request.note))

        async def Fail(self, request: Any, context: Any) -> Any:
            code = grpc.StatusCode[request.code]
            trailing: tuple[tuple[str, bytes], ...] = ()
            if request.field:
                detail = any_pb2.Any()
                detail.Pack(
                    error_details_pb2.BadRequest(
                        field_violations=[
                            error_details_pb2.BadRequest.FieldViolation(
                                field=request.field, description=request.message
                            )
                        ]
                    )
                )
                status = status_pb2.Status(
                    code=getattr(code_pb2, code.name), message=request.message, details=[detail]
                )
                trailing = (("grpc-status-details-bin", status.SerializeToString()),)
            await context.abort(code, request.message, trailing)

        async def Sleep(self, request: Any, context: Any) -> Any:
            await asyncio.sleep(request.seconds)
            return pb.SleepResponse()

        async def Seen(self, request: Any, context: Any) -> Any:
            seen = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
            return pb.SeenResponse(metadata=seen)

        async def Upload(self, request_iterator: Any, context: Any) -> Any:
            metadata = None
            data = bytearray()
            chunks = 0
            async for message in request_iterator:
                if message.WhichOneof("data") == "metadata":
                    if metadata is not None:
                        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "metadata twice")
                    metadata = message.metadata
                    if metadata.box_id == "closed":
                        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "box is closed")
                    continue
                if metadata is None:
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "metadata first")
                chunks += 1
                box.chunks_seen.append(len(message.chunk))
                data.extend(message.chunk)
            assert metadata is not None
            digest = hashlib.sha256(data).hexdigest()
            box.files[(metadata.box_id, metadata.filename)] = (metadata, bytes(data))
            return pb.UploadResponse(
                metadata=metadata, size=len(data), sha256=digest, chunks=chunks
            )

        async def Download(self, request: Any, context: Any) -> Any:
            stored = box.files.get((request.box_id, request.name))
            if stored is None:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"no file {request.name}")
            assert stored is not None
            metadata, data = stored
            known_size = request.box_id != "unsized"
            yield pb.DownloadResponse(
                info={
                    "filename": metadata.filename,
                    "content_type": metadata.content_type,
                    "size": len(data) if known_size else 0,
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
            for start in range(0, len(data), 1000):
                yield pb.DownloadResponse(chunk=data[start : start + 1000])
                if request.box_id == "broken":
                    await context.abort(grpc.StatusCode.DATA_LOSS, "disk failed")

    return Servicer()


class EchoBackend:
    """The test service on 127.0.0.1 with a free port, plus the stock health service."""

    def __init__(self, pb: ModuleType, pb_grpc: ModuleType) -> None:
        self.box = Box()
        self.server = grpc.aio.server()
        pb_grpc.add_GatewayTestServiceServicer_to_server(
            make_servicer(pb, pb_grpc, self.box), self.server
        )
        self.health = HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        await self.server.start()
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)

    async def stop(self) -> None:
        await self.server.stop(0)
