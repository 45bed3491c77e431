"""Knowledge fixtures: real KnowledgeService servers on ephemeral ports (local-directory and
S3 storage, the in-service indexer off unless a test starts one), the indexer over the same
storage, test callers and upload streams."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import grpc
import pytest
from sqlalchemy import delete, select
from tagen.knowledge.v1 import knowledge_pb2 as pb
from tagen.knowledge.v1 import knowledge_pb2_grpc as pb_grpc

from services.kernel.db import Database
from services.kernel.enums import UserRoleEnum
from services.kernel.runtime import Runtime
from services.kernel.server import GrpcService
from services.kernel.settings import Settings
from services.kernel.storage import ObjectStorage
from services.kernel.tokens import KeyMaterial
from services.knowledge import app
from services.knowledge.indexing import DocumentIndexer
from services.knowledge.models import AuditOutbox, KnowledgeDocument
from services.knowledge.use_cases.deps import KnowledgeDeps
from tests.conftest import Caller, TokenFactory
from tests.kernel.s3_server import moto_storage, shared_moto_endpoint

SMALL_LIMIT = 256 * 1024
BUCKET = "tagen-knowledge-test"
S3_BUCKET = "tagen-knowledge-s3"
CHUNK = 64 * 1024


@pytest.fixture(scope="session")
def knowledge_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings.model_copy(
        update={
            "data_dir": tmp_path_factory.mktemp("knowledge-data"),
            "storage_backend": "local",
            "storage_bucket": BUCKET,
            "max_knowledge_document_size_bytes": SMALL_LIMIT,
            "knowledge_indexer_enabled": False,  # tests run the indexer themselves
            "knowledge_index_interval_seconds": 3600.0,
            "identity_address": "127.0.0.1:9",
            "audit_address": "127.0.0.1:9",  # nothing listens: events stay in the outbox
        }
    )


@pytest.fixture(scope="session")
def knowledge_runtime(knowledge_settings: Settings, keys: KeyMaterial) -> Runtime:
    return Runtime.from_keys(knowledge_settings, keys)


async def start_service(runtime: Runtime, storage: ObjectStorage | None = None) -> GrpcService:
    db = Database.from_settings(runtime.settings)
    service = GrpcService(app.build(runtime, db, storage), runtime.verifier, "127.0.0.1", 0)
    await service.start()
    return service


@pytest.fixture(scope="session")
async def knowledge_service(knowledge_runtime: Runtime) -> AsyncIterator[GrpcService]:
    service = await start_service(knowledge_runtime)
    yield service
    await service.stop(0)


@pytest.fixture(scope="session")
async def s3_service(knowledge_runtime: Runtime) -> AsyncIterator[GrpcService]:
    service = await start_service(
        knowledge_runtime, moto_storage(S3_BUCKET, shared_moto_endpoint())
    )
    yield service
    await service.stop(0)


async def empty_knowledge_schema(db: Database) -> None:
    """Remove every row of the knowledge context (chunks cascade with their documents)."""
    async with db.unit_of_work() as session:
        await session.execute(delete(AuditOutbox))
        await session.execute(delete(KnowledgeDocument))


@pytest.fixture
async def clean(database: Database) -> Database:
    await empty_knowledge_schema(database)
    return database


async def _stub(service: GrpcService) -> AsyncIterator[pb_grpc.KnowledgeServiceStub]:
    async with grpc.aio.insecure_channel(service.address) as channel:
        yield pb_grpc.KnowledgeServiceStub(channel)


@pytest.fixture
async def rpc(
    knowledge_service: GrpcService, clean: Database
) -> AsyncIterator[pb_grpc.KnowledgeServiceStub]:
    async for stub in _stub(knowledge_service):
        yield stub


@pytest.fixture
async def s3_rpc(
    s3_service: GrpcService, clean: Database
) -> AsyncIterator[pb_grpc.KnowledgeServiceStub]:
    async for stub in _stub(s3_service):
        yield stub


@pytest.fixture
def deps(knowledge_runtime: Runtime, database: Database) -> KnowledgeDeps:
    """Use-case dependencies over the test database and the local service's storage."""
    return app.build_deps(knowledge_runtime, database)


@pytest.fixture
def indexer(deps: KnowledgeDeps) -> DocumentIndexer:
    return DocumentIndexer(deps)


@pytest.fixture
def objects_root(knowledge_settings: Settings) -> Path:
    return knowledge_settings.data_dir / "objects" / BUCKET


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and ".incoming" not in p.parts)


class Cast:
    """The callers of the permission matrix and the usual tests."""

    def __init__(self, tokens: TokenFactory) -> None:
        self.tokens = tokens
        self.requestor = self.user(UserRoleEnum.REQUESTOR)
        self.approver = self.user(UserRoleEnum.APPROVER)
        self.admin = self.user(UserRoleEnum.ADMIN)
        self.km = self.user(UserRoleEnum.KNOWLEDGE_MANAGER)
        self.service = tokens.service_caller("requests")
        self.nobody = Caller(None, None)

    def user(self, *roles: UserRoleEnum) -> Caller:
        return self.tokens.caller(*roles)


@pytest.fixture
def cast(tokens: TokenFactory) -> Cast:
    return Cast(tokens)


def chunked(data: bytes, size: int = CHUNK) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


async def document_stream(
    data: bytes | Iterable[bytes],
    *,
    title: str = "Apache field guide",
    description: str = "",
    document_type: str = "markdown",
    filename: str = "guide.md",
    content_type: str = "",
    sha256: str = "",
) -> AsyncIterator[pb.UploadDocumentRequest]:
    yield pb.UploadDocumentRequest(
        metadata=pb.DocumentMetadata(
            title=title,
            description=description,
            document_type=document_type,
            filename=filename,
            content_type=content_type,
            sha256=sha256,
        )
    )
    for chunk in chunked(data) if isinstance(data, bytes) else data:
        yield pb.UploadDocumentRequest(chunk=chunk)


async def upload(
    rpc: pb_grpc.KnowledgeServiceStub, caller: Caller, data: bytes, **metadata: str
) -> pb.KnowledgeDocument:
    reply = await rpc.UploadDocument(document_stream(data, **metadata), metadata=caller.md)
    return reply.document


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def audit_events(db: Database, entity_id: uuid.UUID | str | None = None) -> list[AuditOutbox]:
    """The knowledge outbox, in commit order (optionally of one entity)."""
    async with db.read_only() as session:
        stmt = select(AuditOutbox).order_by(AuditOutbox.seq)
        if entity_id is not None:
            stmt = stmt.where(AuditOutbox.entity_id == uuid.UUID(str(entity_id)))
        return list((await session.scalars(stmt)).all())


async def document_rows(db: Database) -> list[KnowledgeDocument]:
    async with db.read_only() as session:
        return list((await session.scalars(select(KnowledgeDocument))).all())
