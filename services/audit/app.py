"""Wiring of the audit context: its service definition for the shared bootstrap.

The audit context records no audit events of its own (reading the trail is not an audited
action), so it has no outbox and runs no relay."""

from __future__ import annotations

from tagen.audit.v1 import audit_pb2 as pb
from tagen.audit.v1 import audit_pb2_grpc as pb_grpc

from services.audit.access import ACCESS
from services.audit.servicer import AuditServicer
from services.audit.use_cases.ingest import IngestUseCases
from services.audit.use_cases.queries import QueryUseCases
from services.audit.writer_role import act_as_writer
from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.server import ServiceDefinition

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AuditService"].full_name


def build(runtime: Runtime, db: Database) -> ServiceDefinition:
    act_as_writer(db.engine)
    servicer = AuditServicer(IngestUseCases(db), QueryUseCases(db))
    return ServiceDefinition(
        context="audit",
        service_names=[SERVICE_NAME],
        access=ACCESS,
        add_to_server=lambda server: pb_grpc.add_AuditServiceServicer_to_server(servicer, server),
        on_stop=[db.dispose],
    )
