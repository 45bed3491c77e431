"""Real TAs and requests for the runner tests: a TA built by the TA engine from a sample of
tests/ta/samples, a request holding that sample and the TA as a MANUAL revision."""

from __future__ import annotations

import gzip
import io
import tarfile
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tagen.validation.v1 import validation_pb2 as pb

from services.kernel.db import Database
from services.requests.enums import RequestStatus
from services.requests.repositories import RequestRepository, TARevisionRepository
from services.requests.ta_builder import BuildOptions, Sample, build_ta
from tests.requests.conftest import Cast, make_request
from tests.requests.streams import manual_stream, sample_stream
from tests.validation.conftest import wait_for

SAMPLE = Path(__file__).resolve().parents[1] / "ta" / "samples" / "apache_access_combined.log"
FINISHED = (pb.PASSED, pb.FAILED)


@cache
def apache_ta() -> bytes:
    return build_ta([Sample.from_path(SAMPLE)], BuildOptions(source_system="Apache")).package


def edited(package: bytes, path_suffix: str, append: bytes) -> bytes:
    """The package with `append` added to the member whose name ends with `path_suffix`."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(package), mode="r:gz") as source,
        gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w") as target,
    ):
        found = False
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            if data is not None and member.name.endswith(path_suffix):
                data += append
                member.size = len(data)
                found = True
            target.addfile(member, io.BytesIO(data) if data is not None else None)
        assert found, path_suffix
    return out.getvalue()


@dataclass(frozen=True)
class Prepared:
    request_id: uuid.UUID
    revision_id: str


async def request_with_revision(
    db: Database, requests_rpc, cast: Cast, package: bytes, samples: dict[str, bytes]
) -> Prepared:
    """A request with these log samples (uploaded by its owner) and `package` as its v1
    (a MANUAL revision uploaded by an approver once the request is FAILED: the request is
    VALIDATING that revision then)."""
    request = await make_request(db, cast.owner.user_id)
    for name, data in samples.items():
        await requests_rpc.UploadLogSample(
            sample_stream(request.id, data, filename=name), metadata=cast.owner.md
        )
    async with db.unit_of_work() as session:
        await RequestRepository(session).update(request.id, {"status": RequestStatus.FAILED})
    reply = await requests_rpc.UploadTARevision(
        manual_stream(request.id, package), metadata=cast.approver.md
    )
    return Prepared(request.id, reply.revision.id)


async def finished(rpc, cast: Cast, run_id: str, *, within: float = 20.0) -> pb.ValidationRun:
    async def check() -> pb.ValidationRun | None:
        reply = await rpc.GetValidation(
            pb.GetValidationRequest(run_id=run_id), metadata=cast.owner.md
        )
        run = reply.validation_run
        return run if run.status in FINISHED else None

    result: pb.ValidationRun = await wait_for(check, within=within)
    return result


async def copy_revision(db: Database, prepared: Prepared, version: int) -> Prepared:
    """Another revision of the request with the same bundle object (a run per revision)."""
    async with db.unit_of_work() as session:
        revisions = TARevisionRepository(session)
        source = await revisions.get_by_id(uuid.UUID(prepared.revision_id))
        assert source is not None
        copy = await revisions.create(
            {
                "request_id": source.request_id,
                "version": version,
                "storage_key": source.storage_key,
                "storage_bucket": source.storage_bucket,
                "generated_by": source.generated_by,
                "file_size": source.file_size,
                "checksum": source.checksum,
            }
        )
    return Prepared(prepared.request_id, str(copy.id))
