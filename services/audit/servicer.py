"""AuditService over gRPC: translate proto <-> use cases, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tagen.audit.v1 import audit_pb2 as pb
from tagen.audit.v1 import audit_pb2_grpc as pb_grpc

from services.audit.event_batch import check_events
from services.audit.models import AuditLog
from services.audit.paging import parse_keyset_page
from services.audit.repositories import AuditLogFilter
from services.audit.use_cases.ingest import IngestUseCases
from services.audit.use_cases.queries import QueryUseCases
from services.kernel.enums import AuditAction
from services.kernel.errors import InvalidArgument
from services.kernel.proto_convert import (
    enum_from_proto,
    enum_to_proto,
    struct,
    text,
    timestamp,
    uuid_text,
)
from services.kernel.validation import optional_text, optional_uuid

Ctx = Any  # grpc.aio.ServicerContext


def log_message(log: AuditLog) -> pb.AuditLog:
    return pb.AuditLog(
        id=str(log.id),
        user_id=uuid_text(log.user_id),
        action=enum_to_proto(pb.AuditAction, log.action),
        entity_type=log.entity_type,
        entity_id=uuid_text(log.entity_id),
        details=struct(log.details),
        ip_address=text(log.ip_address),
        user_agent=text(log.user_agent),
        correlation_id=uuid_text(log.correlation_id),
        timestamp=timestamp(log.timestamp),
    )


def log_filter(request: pb.ListAuditLogsRequest) -> AuditLogFilter:
    return AuditLogFilter(
        entity_type=optional_text("entity_type", request.entity_type, max_length=64),
        entity_id=optional_uuid("entity_id", request.entity_id),
        user_id=optional_uuid("user_id", request.user_id),
        action=(
            enum_from_proto(pb.AuditAction, AuditAction, request.action, "action")
            if request.action
            else None
        ),
        correlation_id=optional_uuid("correlation_id", request.correlation_id),
        start=_time(request, "start_time"),
        end=_time(request, "end_time"),
    )


def _time(request: pb.ListAuditLogsRequest, field: str) -> datetime | None:
    if not request.HasField(field):
        return None
    try:
        return getattr(request, field).ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidArgument(field, "is not a valid timestamp") from None


class AuditServicer(pb_grpc.AuditServiceServicer):
    def __init__(self, ingest: IngestUseCases, queries: QueryUseCases) -> None:
        self.ingest, self.queries = ingest, queries

    async def RecordEvents(
        self, request: pb.RecordEventsRequest, context: Ctx
    ) -> pb.RecordEventsResponse:
        result = await self.ingest.record_events(check_events(request.events))
        return pb.RecordEventsResponse(recorded=result.recorded, duplicates=result.duplicates)

    async def ListAuditLogs(
        self, request: pb.ListAuditLogsRequest, context: Ctx
    ) -> pb.ListAuditLogsResponse:
        page = parse_keyset_page(request.page_size, request.page_token)
        logs, next_token = await self.queries.list_logs(log_filter(request), page)
        return pb.ListAuditLogsResponse(
            audit_logs=[log_message(log) for log in logs], next_page_token=next_token
        )

    async def GetRecentActivity(
        self, request: pb.GetRecentActivityRequest, context: Ctx
    ) -> pb.GetRecentActivityResponse:
        logs = await self.queries.recent_activity(request.hours, request.limit)
        return pb.GetRecentActivityResponse(audit_logs=[log_message(log) for log in logs])
