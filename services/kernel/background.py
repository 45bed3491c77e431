"""The loop of a background worker that drains a queue: work while there is work, then sleep
until woken (something was queued in this process) or the poll interval passed. A round that
breaks is logged and retried after the poll interval; cancelling the task stops the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def drain_forever(
    name: str, one: Callable[[], Awaitable[bool]], wake: asyncio.Event, poll_seconds: float
) -> None:
    """Call `one` (True: it did something, call again) until it finds nothing, then wait."""
    while True:
        wake.clear()
        try:
            while await one():
                pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s round failed; retrying in %.1f s", name, poll_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), poll_seconds)
