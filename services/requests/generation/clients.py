"""The generation pipeline's clients of other contexts: ValidationService (queue the run of a
revision) and KnowledgeService (documents matching the source system).

Every call carries the requests service identity plus the correlation id of the job being
worked on (services/kernel/outbound.py)."""

from __future__ import annotations

import uuid

import grpc
from tagen.knowledge.v1 import knowledge_pb2 as knowledge_pb
from tagen.knowledge.v1 import knowledge_pb2_grpc as knowledge_grpc
from tagen.validation.v1 import validation_pb2 as validation_pb
from tagen.validation.v1 import validation_pb2_grpc as validation_grpc

from services.kernel.errors import Unavailable
from services.kernel.outbound import service_call_metadata
from services.kernel.tokens import ServiceIdentity

RPC_TIMEOUT_SECONDS = 10.0
KNOWLEDGE_RESULTS = 20


class ServiceChannel:
    """One lazily opened channel to a context's gRPC service."""

    def __init__(self, name: str, address: str, identity: ServiceIdentity) -> None:
        self.name = name
        self.address = address
        self.identity = identity
        self._channel: grpc.aio.Channel | None = None

    def channel(self) -> grpc.aio.Channel:
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(self.address)
        return self._channel

    def unavailable(self, exc: grpc.aio.AioRpcError) -> Unavailable:
        return Unavailable(f"{self.name} service: {exc.code().name} {exc.details() or ''}".strip())

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None


class ValidationClient(ServiceChannel):
    def __init__(self, address: str, identity: ServiceIdentity) -> None:
        super().__init__("validation", address, identity)

    async def queue(self, request_id: uuid.UUID, ta_revision_id: uuid.UUID) -> uuid.UUID:
        """The id of the run of this revision: a new QUEUED run, or the one already QUEUED
        or RUNNING (queuing is idempotent, so a resumed job never queues twice)."""
        stub = validation_grpc.ValidationServiceStub(self.channel())
        try:
            reply = await stub.QueueValidation(
                validation_pb.QueueValidationRequest(
                    request_id=str(request_id), ta_revision_id=str(ta_revision_id)
                ),
                metadata=service_call_metadata(self.identity),
                timeout=RPC_TIMEOUT_SECONDS,
            )
        except grpc.aio.AioRpcError as exc:
            raise self.unavailable(exc) from exc
        return uuid.UUID(reply.validation_run.id)


class KnowledgeClient(ServiceChannel):
    def __init__(self, address: str, identity: ServiceIdentity) -> None:
        super().__init__("knowledge", address, identity)

    async def search(self, query: str) -> list[knowledge_pb.SearchResult]:
        """The best-matching chunks of indexed documents for `query`."""
        stub = knowledge_grpc.KnowledgeServiceStub(self.channel())
        try:
            reply = await stub.SearchKnowledge(
                knowledge_pb.SearchKnowledgeRequest(query=query, top_k=KNOWLEDGE_RESULTS),
                metadata=service_call_metadata(self.identity),
                timeout=RPC_TIMEOUT_SECONDS,
            )
        except grpc.aio.AioRpcError as exc:
            raise self.unavailable(exc) from exc
        return list(reply.results)
