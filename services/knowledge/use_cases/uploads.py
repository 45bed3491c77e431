"""An object streamed in before its row exists is removed when the row cannot be written:
no row ever claims an object that does not exist, no object is left without its row."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

from services.kernel.storage import ObjectStorage, StoredObject

log = logging.getLogger(__name__)


def document_key(document_id: uuid.UUID) -> str:
    """A fresh key chosen by the service, never derived from a client's file name."""
    return f"knowledge/{document_id}/{uuid.uuid4()}"


async def discard(storage: ObjectStorage, stored: StoredObject) -> None:
    """Best-effort removal of an object whose row was not written."""
    try:
        await storage.delete(stored.key, bucket=stored.bucket)
    except Exception:
        log.exception("could not remove orphan object %s/%s", stored.bucket, stored.key)


@contextlib.asynccontextmanager
async def owned_by_row(storage: ObjectStorage, stored: StoredObject) -> AsyncIterator[None]:
    """Run the block that writes the row; if it fails (or is cancelled) remove the object."""
    try:
        yield
    except BaseException:
        await discard(storage, stored)
        raise
