"""ValidationService over gRPC: translate proto <-> use cases, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from tagen.files.v1 import files_pb2
from tagen.validation.v1 import validation_pb2 as pb
from tagen.validation.v1 import validation_pb2_grpc as pb_grpc

from services.kernel.proto_convert import enum_from_proto, enum_to_proto, struct, text, timestamp
from services.kernel.validation import parse_page, parse_uuid
from services.validation.enums import ValidationStatus
from services.validation.execution import BUNDLE_TYPE as DEBUG_BUNDLE_TYPE
from services.validation.models import ValidationRun
from services.validation.use_cases.runs import ValidationUseCases

Ctx = Any  # grpc.aio.ServicerContext


def run_message(run: ValidationRun) -> pb.ValidationRun:
    return pb.ValidationRun(
        id=str(run.id),
        request_id=str(run.request_id),
        ta_revision_id=str(run.ta_revision_id),
        status=enum_to_proto(pb.ValidationStatus, run.status),
        results_json=struct(run.results_json),
        debug_bundle_key=text(run.debug_bundle_key),
        debug_bundle_bucket=text(run.debug_bundle_bucket),
        splunk_container_id=text(run.splunk_container_id),
        validation_logs=text(run.validation_logs),
        error_message=text(run.error_message),
        started_at=timestamp(run.started_at),
        completed_at=timestamp(run.completed_at),
        duration_seconds=run.duration_seconds or 0,
        created_at=timestamp(run.created_at),
        updated_at=timestamp(run.updated_at),
        attempts=run.attempts or 0,
    )


class ValidationServicer(pb_grpc.ValidationServiceServicer):
    def __init__(self, runs: ValidationUseCases) -> None:
        self.runs = runs

    async def QueueValidation(
        self, request: pb.QueueValidationRequest, context: Ctx
    ) -> pb.QueueValidationResponse:
        run = await self.runs.queue(
            parse_uuid("request_id", request.request_id),
            parse_uuid("ta_revision_id", request.ta_revision_id),
        )
        return pb.QueueValidationResponse(validation_run=run_message(run))

    async def ListValidations(
        self, request: pb.ListValidationsRequest, context: Ctx
    ) -> pb.ListValidationsResponse:
        request_id = parse_uuid("request_id", request.request_id)
        page = parse_page(request.page_size, request.page_token)
        status = (
            enum_from_proto(pb.ValidationStatus, ValidationStatus, request.status, "status")
            if request.status
            else None
        )
        found = await self.runs.list(request_id, status, page)
        return pb.ListValidationsResponse(
            validation_runs=[run_message(r) for r in found],
            next_page_token=page.next_token(len(found)),
        )

    async def GetValidation(
        self, request: pb.GetValidationRequest, context: Ctx
    ) -> pb.GetValidationResponse:
        run = await self.runs.get(parse_uuid("run_id", request.run_id))
        return pb.GetValidationResponse(validation_run=run_message(run))

    async def CancelValidation(
        self, request: pb.CancelValidationRequest, context: Ctx
    ) -> pb.CancelValidationResponse:
        run = await self.runs.cancel(parse_uuid("run_id", request.run_id))
        return pb.CancelValidationResponse(validation_run=run_message(run))

    async def DownloadDebugBundle(
        self, request: pb.DownloadDebugBundleRequest, context: Ctx
    ) -> AsyncIterator[pb.DownloadDebugBundleResponse]:
        run, chunks = await self.runs.debug_bundle(parse_uuid("run_id", request.run_id))
        yield pb.DownloadDebugBundleResponse(
            info=files_pb2.FileInfo(filename=f"debug-{run.id}.zip", content_type=DEBUG_BUNDLE_TYPE)
        )
        async for chunk in chunks:
            yield pb.DownloadDebugBundleResponse(chunk=chunk)
