"""RequestService over gRPC: translate proto <-> use cases, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from datetime import datetime
from typing import Any

from google.protobuf import json_format, struct_pb2
from tagen.files.v1 import files_pb2
from tagen.requests.v1 import requests_pb2 as pb
from tagen.requests.v1 import requests_pb2_grpc as pb_grpc

from services.kernel.file_streams import split_upload
from services.kernel.proto_convert import (
    enum_from_proto,
    enum_to_proto,
    struct,
    struct_to_dict,
    text,
    timestamp,
    uuid_text,
)
from services.kernel.validation import parse_page, parse_uuid
from services.requests.enums import FailureStage, RequestStatus
from services.requests.models import LogSample, Request, TARevision
from services.requests.use_cases.downloads import Download
from services.requests.use_cases.requests import UNSET, RequestChanges, RequestUseCases
from services.requests.use_cases.revisions import RevisionUseCases
from services.requests.use_cases.samples import SampleUseCases, UploadInfo
from services.requests.use_cases.transitions import TransitionUseCases
from services.requests.use_cases.verdicts import Verdict, VerdictUseCases

Ctx = Any  # grpc.aio.ServicerContext


def request_message(request: Request) -> pb.Request:
    return pb.Request(
        id=str(request.id),
        created_by=str(request.created_by),
        status=enum_to_proto(pb.RequestStatus, request.status),
        source_system=request.source_system,
        description=request.description,
        cim_required=request.cim_required,
        approved_by=uuid_text(request.approved_by),
        approved_at=timestamp(request.approved_at),
        rejection_reason=text(request.rejection_reason),
        completed_at=timestamp(request.completed_at),
        metadata=struct(request.request_metadata),
        created_at=timestamp(request.created_at),
        updated_at=timestamp(request.updated_at),
        failure=failure_message(request.failure),
        attempt=request.attempt,
    )


def failure_message(failure: dict[str, Any] | None) -> pb.RequestFailure | None:
    """The request's failure column as a message (None unless FAILED)."""
    if not failure:
        return None
    failed_at = failure.get("failed_at")
    return pb.RequestFailure(
        stage=enum_to_proto(pb.FailureStage, FailureStage(failure["stage"])),
        message=failure.get("message") or "",
        validation_run_id=failure.get("validation_run_id") or "",
        failed_at=timestamp(datetime.fromisoformat(failed_at)) if failed_at else None,
    )


def sample_message(sample: LogSample) -> pb.LogSample:
    return pb.LogSample(
        id=str(sample.id),
        request_id=str(sample.request_id),
        filename=sample.filename,
        file_size=sample.file_size,
        mime_type=text(sample.mime_type),
        storage_key=sample.storage_key,
        storage_bucket=sample.storage_bucket,
        checksum=text(sample.checksum),
        sample_preview=text(sample.sample_preview),
        retention_until=timestamp(sample.retention_until),
        created_at=timestamp(sample.created_at),
        updated_at=timestamp(sample.updated_at),
    )


def revision_message(revision: TARevision) -> pb.TARevision:
    return pb.TARevision(
        id=str(revision.id),
        request_id=str(revision.request_id),
        version=revision.version,
        storage_key=revision.storage_key,
        storage_bucket=revision.storage_bucket,
        generated_by=enum_to_proto(pb.TARevisionType, revision.generated_by),
        generated_by_user=uuid_text(revision.generated_by_user),
        file_size=revision.file_size or 0,
        checksum=text(revision.checksum),
        config_summary=struct(revision.config_summary),
        generation_metadata=struct(revision.generation_metadata),
        created_at=timestamp(revision.created_at),
        updated_at=timestamp(revision.updated_at),
        attempt=revision.attempt or 0,
    )


def file_info(download: Download) -> files_pb2.FileInfo:
    return files_pb2.FileInfo(
        filename=download.filename,
        content_type=download.content_type,
        size=download.size,
        sha256=download.sha256,
    )


def json_value(message: Any, field: str) -> Any:
    """A google.protobuf.Value field as Python (UNSET when the field is absent)."""
    if not message.HasField(field):
        return UNSET
    value: struct_pb2.Value = getattr(message, field)
    if value.WhichOneof("kind") is None:
        return None
    return json_format.MessageToDict(value)


def optional_struct(message: Any, field: str) -> dict[str, Any] | None:
    return struct_to_dict(getattr(message, field)) if message.HasField(field) else None


def upload_info(metadata: Any) -> UploadInfo:
    return UploadInfo(
        request_id=parse_uuid("request_id", metadata.request_id),
        filename=metadata.filename,
        content_type=metadata.content_type,
        sha256=metadata.sha256,
    )


class RequestServicer(pb_grpc.RequestServiceServicer):
    def __init__(
        self,
        requests: RequestUseCases,
        transitions: TransitionUseCases,
        samples: SampleUseCases,
        revisions: RevisionUseCases,
        verdicts: VerdictUseCases,
    ) -> None:
        self.requests, self.transitions = requests, transitions
        self.samples, self.revisions = samples, revisions
        self.verdicts = verdicts

    async def CreateRequest(
        self, request: pb.CreateRequestRequest, context: Ctx
    ) -> pb.CreateRequestResponse:
        metadata = json_value(request, "metadata")
        created = await self.requests.create(
            request.source_system,
            request.description,
            request.cim_required if request.HasField("cim_required") else True,
            None if metadata is UNSET else metadata,
        )
        return pb.CreateRequestResponse(request=request_message(created))

    async def ListRequests(
        self, request: pb.ListRequestsRequest, context: Ctx
    ) -> pb.ListRequestsResponse:
        page = parse_page(request.page_size, request.page_token)
        status = (
            enum_from_proto(pb.RequestStatus, RequestStatus, request.status, "status")
            if request.status
            else None
        )
        found = await self.requests.list(status, request.query, page)
        return pb.ListRequestsResponse(
            requests=[request_message(r) for r in found],
            next_page_token=page.next_token(len(found)),
        )

    async def GetRequest(
        self, request: pb.GetRequestRequest, context: Ctx
    ) -> pb.GetRequestResponse:
        found = await self.requests.get_details(parse_uuid("request_id", request.request_id))
        return pb.GetRequestResponse(
            request=request_message(found),
            log_samples=[sample_message(s) for s in found.log_samples],
            ta_revisions=[revision_message(r) for r in found.ta_revisions],
        )

    async def UpdateRequest(
        self, request: pb.UpdateRequestRequest, context: Ctx
    ) -> pb.UpdateRequestResponse:
        changes = RequestChanges(
            source_system=request.source_system if request.HasField("source_system") else None,
            description=request.description if request.HasField("description") else None,
            cim_required=request.cim_required if request.HasField("cim_required") else None,
            metadata=json_value(request, "metadata"),
        )
        updated = await self.requests.update(parse_uuid("request_id", request.request_id), changes)
        return pb.UpdateRequestResponse(request=request_message(updated))

    async def SubmitRequest(
        self, request: pb.SubmitRequestRequest, context: Ctx
    ) -> pb.SubmitRequestResponse:
        moved = await self.transitions.submit(parse_uuid("request_id", request.request_id))
        return pb.SubmitRequestResponse(request=request_message(moved))

    async def ApproveRequest(
        self, request: pb.ApproveRequestRequest, context: Ctx
    ) -> pb.ApproveRequestResponse:
        moved = await self.transitions.approve(parse_uuid("request_id", request.request_id))
        return pb.ApproveRequestResponse(request=request_message(moved))

    async def RejectRequest(
        self, request: pb.RejectRequestRequest, context: Ctx
    ) -> pb.RejectRequestResponse:
        moved = await self.transitions.reject(
            parse_uuid("request_id", request.request_id), request.rejection_reason
        )
        return pb.RejectRequestResponse(request=request_message(moved))

    async def GetRequestStatistics(
        self, request: pb.GetRequestStatisticsRequest, context: Ctx
    ) -> pb.GetRequestStatisticsResponse:
        return pb.GetRequestStatisticsResponse(counts=await self.requests.statistics())

    async def UploadLogSample(
        self, request_iterator: AsyncIterable[pb.UploadLogSampleRequest], context: Ctx
    ) -> pb.UploadLogSampleResponse:
        metadata, chunks = await split_upload(request_iterator)
        sample = await self.samples.upload(upload_info(metadata), chunks)
        return pb.UploadLogSampleResponse(sample=sample_message(sample))

    async def ListLogSamples(
        self, request: pb.ListLogSamplesRequest, context: Ctx
    ) -> pb.ListLogSamplesResponse:
        found = await self.samples.list(parse_uuid("request_id", request.request_id))
        return pb.ListLogSamplesResponse(samples=[sample_message(s) for s in found])

    async def DeleteLogSample(
        self, request: pb.DeleteLogSampleRequest, context: Ctx
    ) -> pb.DeleteLogSampleResponse:
        await self.samples.delete(
            parse_uuid("request_id", request.request_id),
            parse_uuid("sample_id", request.sample_id),
        )
        return pb.DeleteLogSampleResponse()

    async def DownloadLogSample(
        self, request: pb.DownloadLogSampleRequest, context: Ctx
    ) -> AsyncIterator[pb.DownloadLogSampleResponse]:
        download = await self.samples.download(
            parse_uuid("request_id", request.request_id),
            parse_uuid("sample_id", request.sample_id),
        )
        yield pb.DownloadLogSampleResponse(info=file_info(download))
        async for chunk in download.chunks:
            yield pb.DownloadLogSampleResponse(chunk=chunk)

    async def ListTARevisions(
        self, request: pb.ListTARevisionsRequest, context: Ctx
    ) -> pb.ListTARevisionsResponse:
        found = await self.revisions.list(parse_uuid("request_id", request.request_id))
        return pb.ListTARevisionsResponse(revisions=[revision_message(r) for r in found])

    async def UploadTARevision(
        self, request_iterator: AsyncIterable[pb.UploadTARevisionRequest], context: Ctx
    ) -> pb.UploadTARevisionResponse:
        metadata, chunks = await split_upload(request_iterator)
        revision = await self.revisions.upload_manual(upload_info(metadata), chunks)
        return pb.UploadTARevisionResponse(revision=revision_message(revision))

    async def DownloadTARevision(
        self, request: pb.DownloadTARevisionRequest, context: Ctx
    ) -> AsyncIterator[pb.DownloadTARevisionResponse]:
        download = await self.revisions.download(
            parse_uuid("request_id", request.request_id), request.version
        )
        yield pb.DownloadTARevisionResponse(info=file_info(download))
        async for chunk in download.chunks:
            yield pb.DownloadTARevisionResponse(chunk=chunk)

    async def StartGeneration(
        self, request: pb.StartGenerationRequest, context: Ctx
    ) -> pb.StartGenerationResponse:
        moved = await self.transitions.start_generation(
            parse_uuid("request_id", request.request_id)
        )
        return pb.StartGenerationResponse(request=request_message(moved))

    async def StartValidation(
        self, request: pb.StartValidationRequest, context: Ctx
    ) -> pb.StartValidationResponse:
        moved = await self.transitions.start_validation(
            parse_uuid("request_id", request.request_id)
        )
        return pb.StartValidationResponse(request=request_message(moved))

    async def CompleteRequest(
        self, request: pb.CompleteRequestRequest, context: Ctx
    ) -> pb.CompleteRequestResponse:
        moved = await self.transitions.complete(parse_uuid("request_id", request.request_id))
        return pb.CompleteRequestResponse(request=request_message(moved))

    async def FailRequest(
        self, request: pb.FailRequestRequest, context: Ctx
    ) -> pb.FailRequestResponse:
        moved = await self.transitions.fail(
            parse_uuid("request_id", request.request_id), request.reason
        )
        return pb.FailRequestResponse(request=request_message(moved))

    async def CreateAutoRevision(
        self, request_iterator: AsyncIterable[pb.CreateAutoRevisionRequest], context: Ctx
    ) -> pb.CreateAutoRevisionResponse:
        metadata, chunks = await split_upload(request_iterator)
        revision = await self.revisions.create_auto(
            upload_info(metadata),
            chunks,
            optional_struct(metadata, "config_summary"),
            optional_struct(metadata, "generation_metadata"),
        )
        return pb.CreateAutoRevisionResponse(revision=revision_message(revision))

    async def RegenerateRequest(
        self, request: pb.RegenerateRequestRequest, context: Ctx
    ) -> pb.RegenerateRequestResponse:
        moved = await self.transitions.regenerate(parse_uuid("request_id", request.request_id))
        return pb.RegenerateRequestResponse(request=request_message(moved))

    async def RecordValidationVerdict(
        self, request: pb.RecordValidationVerdictRequest, context: Ctx
    ) -> pb.RecordValidationVerdictResponse:
        applied, current = await self.verdicts.record(
            Verdict(
                request_id=parse_uuid("request_id", request.request_id),
                validation_run_id=parse_uuid("validation_run_id", request.validation_run_id),
                ta_revision_id=parse_uuid("ta_revision_id", request.ta_revision_id),
                passed=request.passed,
                message=request.message,
            )
        )
        return pb.RecordValidationVerdictResponse(applied=applied, request=request_message(current))
