"""An uploaded object belongs to the row that names it: if writing the row fails, the object
goes, so no object is left that no row claims (and no row claims a missing object)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from services.kernel.storage.base import ObjectStorage, StoredObject

log = logging.getLogger(__name__)


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
