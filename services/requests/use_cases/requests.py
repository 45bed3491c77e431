"""Creating, reading, searching and editing requests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from services.kernel.call_context import require_principal, require_user
from services.kernel.enums import AuditAction, UserRoleEnum
from services.kernel.errors import PermissionDenied
from services.kernel.validation import Page, search_text
from services.requests import lifecycle
from services.requests.enums import RequestStatus
from services.requests.models import Request
from services.requests.repositories import RequestRepository, RequestWrites
from services.requests.use_cases import rules
from services.requests.use_cases.deps import RequestsDeps

UNSET: Any = object()


@dataclass(frozen=True)
class RequestChanges:
    """Fields of a PATCH; UNSET ones stay as they are (metadata None clears it)."""

    source_system: str | None = None
    description: str | None = None
    cim_required: bool | None = None
    metadata: Any = UNSET


class RequestUseCases:
    def __init__(self, deps: RequestsDeps) -> None:
        self.deps = deps

    async def create(
        self, source_system: str, description: str, cim_required: bool, metadata: Any
    ) -> Request:
        owner = require_user().user_id
        values = {
            "id": uuid.uuid4(),
            "created_by": owner,
            "status": RequestStatus.NEW,
            "source_system": rules.check_source_system(source_system),
            "description": rules.check_description(description),
            "cim_required": cim_required,
            "request_metadata": rules.check_metadata(metadata),
        }
        event = self.deps.audit.event_values(
            AuditAction.CREATE,
            "request",
            values["id"],
            {"source_system": values["source_system"], "new_status": RequestStatus.NEW.value},
        )
        # The request and its audit event are one INSERT statement: atomic on its own.
        async with self.deps.db.single_statement() as connection:
            return await RequestWrites(connection).create_with_audit_event(values, event)

    async def list(self, status: RequestStatus | None, query: str, page: Page) -> list[Request]:
        principal = require_principal()
        owner = None if rules.sees_all(principal) else principal.user_id
        async with self.deps.db.read_only() as session:
            return await RequestRepository(session).search_requests(
                search_text("query", query), status, page.offset, page.size, created_by=owner
            )

    async def get_details(self, request_id: uuid.UUID) -> Request:
        principal = require_principal()
        async with self.deps.db.read_only() as session:
            repo = RequestRepository(session)
            request = await repo.get_full_details(request_id)
            if request is None:
                await rules.load(repo, request_id)
            assert request is not None
            rules.require_reader(principal, request)
            return request

    async def update(self, request_id: uuid.UUID, changes: RequestChanges) -> Request:
        principal = require_user()
        values: dict[str, Any] = {}
        if changes.source_system is not None:
            values["source_system"] = rules.check_source_system(changes.source_system)
        if changes.description is not None:
            values["description"] = rules.check_description(changes.description)
        if changes.cim_required is not None:
            values["cim_required"] = changes.cim_required
        if changes.metadata is not UNSET:
            values["request_metadata"] = rules.check_metadata(changes.metadata)
        async with self.deps.db.unit_of_work() as session:
            repo = RequestRepository(session)
            request = await rules.load_locked(repo, request_id)
            if not (rules.is_owner(principal, request) or principal.has_any([UserRoleEnum.ADMIN])):
                rules.require_reader(principal, request)
                raise PermissionDenied("only the owner or an ADMIN may change a request")
            lifecycle.require_editable(request.status, "a request can be changed")
            changed = sorted(
                ("metadata" if k == "request_metadata" else k)
                for k, v in values.items()
                if getattr(request, k) != v
            )
            if changed:
                request = await repo.update(request.id, values) or request
                self.deps.audit.record(
                    session, AuditAction.UPDATE, "request", request.id, {"changed": changed}
                )
            return request

    async def statistics(self) -> dict[str, int]:
        async with self.deps.db.read_only() as session:
            return await RequestRepository(session).get_statistics()
