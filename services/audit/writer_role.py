"""The audit service's connections act as the writer role: INSERT and SELECT on audit_logs,
nothing else, and not the table's owner, whatever user DATABASE_URL names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from services.audit.models import WRITER_ROLE


def _set_role(dbapi_connection: Any, connection_record: Any) -> None:
    # Straight on the driver connection, outside any transaction: SET ROLE run inside one
    # would be undone when that transaction rolls back.
    dbapi_connection.run_async(lambda driver: driver.execute(f"SET ROLE {WRITER_ROLE}"))


def act_as_writer(engine: AsyncEngine) -> None:
    """Every new pooled connection of `engine` runs SET ROLE to the writer role."""
    if not event.contains(engine.sync_engine, "connect", _set_role):
        event.listen(engine.sync_engine, "connect", _set_role)
