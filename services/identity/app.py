"""Wiring of the identity context: its service definition for the shared bootstrap."""

from __future__ import annotations

from tagen.identity.v1 import identity_pb2 as pb
from tagen.identity.v1 import identity_pb2_grpc as pb_grpc

from services.identity.access import ACCESS
from services.identity.models import AuditOutbox
from services.identity.servicer import IdentityServicer
from services.identity.use_cases.auth import AuthUseCases
from services.identity.use_cases.config import ConfigUseCases
from services.identity.use_cases.deps import IdentityDeps
from services.identity.use_cases.users import UserUseCases
from services.kernel.db import Database
from services.kernel.outbox_relay import OutboxRelay
from services.kernel.runtime import Runtime
from services.kernel.server import ServiceDefinition

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["IdentityService"].full_name


def build(runtime: Runtime, db: Database) -> ServiceDefinition:
    if runtime.keys.private_pem is None:
        raise RuntimeError("identity needs the token signing key (JWT_PRIVATE_KEY_FILE)")
    deps = IdentityDeps.build(db, runtime.settings, runtime.keys.private_pem)
    auth = AuthUseCases(deps)
    servicer = IdentityServicer(auth, UserUseCases(deps), ConfigUseCases(deps))
    relay = OutboxRelay.for_context(runtime, "identity", db, AuditOutbox)
    return ServiceDefinition(
        context="identity",
        service_names=[SERVICE_NAME],
        access=ACCESS,
        add_to_server=lambda server: pb_grpc.add_IdentityServiceServicer_to_server(
            servicer, server
        ),
        on_start=[auth.ensure_roles_and_bootstrap_admin],
        on_stop=[relay.close, db.dispose],
        background=[relay.run],
    )
