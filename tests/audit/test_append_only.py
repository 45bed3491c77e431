"""audit_logs is append-only at the database level: UPDATE, DELETE and TRUNCATE fail through
the audit service's own engine (privileges: it acts as a role that only inserts and selects)
and for the table's owner too (a trigger)."""

import uuid

import pytest
from sqlalchemy import exc, text

from services.audit.models import WRITER_ROLE
from services.audit.repositories import AuditLogRepository
from services.audit.writer_role import act_as_writer
from services.kernel.db import Database
from services.kernel.enums import AuditAction
from services.kernel.errors import FailedPrecondition

CHANGES = [
    "UPDATE audit.audit_logs SET entity_type = 'tampered' WHERE id = :id",
    "DELETE FROM audit.audit_logs WHERE id = :id",
    "TRUNCATE audit.audit_logs",
]


async def _one_log(db: Database) -> uuid.UUID:
    async with db.unit_of_work() as session:
        log = await AuditLogRepository(session).create_log(
            user_id=None, action=AuditAction.CREATE, entity_type="request", entity_id=uuid.uuid4()
        )
    return log.id


async def _entity_type(db: Database, log_id: uuid.UUID) -> str | None:
    async with db.read_only() as session:
        return await session.scalar(
            text("SELECT entity_type FROM audit.audit_logs WHERE id = :id"), {"id": log_id}
        )


async def test_the_service_engine_acts_as_the_writer_role_on_every_connection(audit_db):
    async with audit_db.engine.connect() as a, audit_db.engine.connect() as b:
        for conn in (a, b):
            assert await conn.scalar(text("SELECT current_user")) == WRITER_ROLE
            owner = await conn.scalar(
                text("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_logs'")
            )
            assert owner != WRITER_ROLE


async def test_the_service_engine_inserts_and_selects(audit_db):
    log_id = await _one_log(audit_db)
    assert await _entity_type(audit_db, log_id) == "request"


@pytest.mark.parametrize("statement", CHANGES)
async def test_the_service_engine_cannot_change_or_remove_logs(audit_db, statement):
    log_id = await _one_log(audit_db)
    with pytest.raises(exc.DBAPIError, match="permission denied"):
        async with audit_db.unit_of_work() as session:
            await session.execute(text(statement), {"id": log_id})
    assert await _entity_type(audit_db, log_id) == "request"


@pytest.mark.parametrize("statement", CHANGES)
async def test_the_owner_cannot_either(database, statement):
    log_id = await _one_log(database)
    with pytest.raises(exc.DBAPIError, match="append-only"):
        async with database.unit_of_work() as session:
            await session.execute(text(statement), {"id": log_id})
    assert await _entity_type(database, log_id) == "request"


async def test_even_a_change_that_matches_no_row_is_refused(database):
    with pytest.raises(exc.DBAPIError, match="append-only"):
        async with database.unit_of_work() as session:
            await session.execute(text("DELETE FROM audit.audit_logs WHERE false"))


async def test_the_repository_refuses_update_and_delete(database):
    log_id = await _one_log(database)
    async with database.unit_of_work() as session:
        repo = AuditLogRepository(session)
        with pytest.raises(FailedPrecondition):
            await repo.update(log_id, {"entity_type": "x"})
        with pytest.raises(FailedPrecondition):
            await repo.delete(log_id)


async def test_a_rolled_back_transaction_does_not_undo_the_role(settings):
    db = Database.from_settings(settings.model_copy(update={"database_pool_size": 1}))
    act_as_writer(db.engine)
    with pytest.raises(exc.DBAPIError):
        async with db.unit_of_work() as session:
            await session.execute(text("SELECT 1/0"))
    try:
        async with db.unit_of_work() as session:
            assert await session.scalar(text("SELECT current_user")) == WRITER_ROLE
    finally:
        await db.dispose()
